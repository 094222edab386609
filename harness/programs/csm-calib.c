/*
 * csm-calib: a fixed amount of CPU work, run natively and under each emulated
 * platform's qemu-user command to measure how much slower emulation is on this
 * machine. The harness scales emulated hosts' timeouts by that measured factor
 * instead of trusting one number for every machine and qemu release.
 *
 * The loop mixes what hosts do (integer arithmetic, branches, loads and stores);
 * the printed checksum keeps the compiler from dropping it.
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 16000000UL;
    static unsigned buf[4096];
    unsigned x = 2463534242u, s = 0;
    for (unsigned long i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        buf[x & 4095] += x;
        s += buf[(x >> 12) & 4095];
        if (s & 1) s ^= (unsigned)i;
    }
    printf("%u\n", s);
    return 0;
}
