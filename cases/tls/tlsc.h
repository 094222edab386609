/* tlsc: the host's own C shared library with thread-local state. */
#ifndef TLSC_H
#define TLSC_H

#define TLSC_WORDS 16

/* Fill this thread's copy of the library's TLS words from seed. */
void tlsc_fill(unsigned long seed);

/* Index of the first word that no longer matches seed, or -1 if all match. */
int tlsc_first_mismatch(unsigned long seed);

/* Index of the first word that is not zero, or -1 if all are zero. */
int tlsc_first_nonzero(void);

/* The pattern both tlsc and the host use, so a clobbered word is recognizable. */
static inline unsigned long tlsc_pattern(unsigned long seed, int i) {
    return (seed << 8) ^ (0x5ca1ab1eUL + (unsigned long)i * 0x01010101UL);
}

#endif
