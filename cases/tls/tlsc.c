/*
 * A shared library loaded at startup whose TLS lives in the static TLS block
 * beside the executable's. Several words rather than one, so that a foreign
 * runtime writing at a fixed thread-pointer offset would hit one of them.
 */
#include "tlsc.h"

static __thread unsigned long lib_words[TLSC_WORDS];

void tlsc_fill(unsigned long seed) {
    for (int i = 0; i < TLSC_WORDS; i++) lib_words[i] = tlsc_pattern(seed, i);
}

int tlsc_first_mismatch(unsigned long seed) {
    for (int i = 0; i < TLSC_WORDS; i++)
        if (lib_words[i] != tlsc_pattern(seed, i)) return i;
    return -1;
}

int tlsc_first_nonzero(void) {
    for (int i = 0; i < TLSC_WORDS; i++)
        if (lib_words[i] != 0) return i;
    return -1;
}
