/*
 * preload-free: a plain C program started with a Go library that exports
 * free() in LD_PRELOAD (golang/go#26184). The host allocates and frees a
 * little, then asks the library how many frees reached Go.
 */
/* glibc 2.31's dlfcn.h (a build for --glibc-floor 2.31) defines RTLD_DEFAULT only under
 * _GNU_SOURCE; trixie's 2.41 always does (POSIX.1-2024 made it standard). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>

#include "csm.h"

int main(void) {
    CSM_LOADED("freego");
    /* volatile: gcc drops an unused malloc/free pair, and then no free would reach Go. */
    for (int i = 0; i < 10; i++) {
        char *volatile p = malloc(100);
        if (p) p[0] = (char)i;
        free(p);
    }
    printf("# the host's 10 free() calls returned\n");
    long long (*frees)(void) = (long long (*)(void))dlsym(RTLD_DEFAULT, "Frees");
    CSM_CHECK(frees != NULL, "the preloaded library's Frees is in the global scope");
    if (frees) {
        long long n = frees();
        CSM_CHECK(n >= 10, "the host's 10 free() calls reached Go's free (%lld did)", n);
    }
    return CSM_DONE();
}
