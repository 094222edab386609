/*
 * preload: a plain C program, neither linked against the Go library nor
 * dlopen()ing it, started with the library in LD_PRELOAD (case.json's
 * run.preload). First it does ordinary C work while calling nothing of the
 * library (the runtime started anyway, from the library's init), then it
 * finds the exports through the global scope and calls them.
 */
/* glibc 2.31's dlfcn.h (a build for --glibc-floor 2.31) defines RTLD_DEFAULT only under
 * _GNU_SOURCE; trixie's 2.41 always does (POSIX.1-2024 made it standard). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "csm.h"

int main(void) {
    CSM_LOADED("pre");
    const char *preload = getenv("LD_PRELOAD");
    printf("# LD_PRELOAD=%s\n", preload ? preload : "(unset: qemu-user's -E sets it for the guest alone)");

    /* Plain C with the Go runtime in the process: allocation, strings, stdio. */
    char *buf = malloc(1 << 16);
    CSM_CHECK(buf != NULL, "calling nothing of Go: malloc(64 KiB) works");
    if (buf) {
        memset(buf, 'x', 1 << 16);
        buf[(1 << 16) - 1] = 0;
        CSM_CHECK(strlen(buf) == (1 << 16) - 1, "calling nothing of Go: the buffer is usable");
        free(buf);
    }

    int (*add)(int, int) = (int (*)(int, int))dlsym(RTLD_DEFAULT, "PreAdd");
    int (*round_trip)(int) = (int (*)(int))dlsym(RTLD_DEFAULT, "PreRoundTrip");
    CSM_CHECK(add != NULL && round_trip != NULL, "the preloaded library's exports are in the global scope (dlsym(RTLD_DEFAULT))");
    if (add) CSM_CHECK(add(2, 3) == 5, "PreAdd(2, 3) == 5, the first call into Go");
    if (round_trip) CSM_CHECK(round_trip(21) == 42, "PreRoundTrip(21) == 42, through a goroutine");
    return CSM_DONE();
}
