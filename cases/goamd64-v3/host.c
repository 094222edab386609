/*
 * goamd64-v3: a library built with GOAMD64=v3 loaded on whatever CPU the row
 * has. Where the CPU is x86-64-v3 (or the row is not amd64, where GOAMD64
 * means nothing), the call works; on an older CPU, Go's runtime refuses to
 * start before any Go code runs, in words (see README.md).
 */
#include <dlfcn.h>

#include "csm.h"

int main(void) {
    void *h = dlopen(csm_lib("levelgo"), RTLD_NOW);
    if (h == NULL) csm_load_failed("levelgo", dlerror());
    CSM_LOADED("levelgo");
    int (*bits)(unsigned long long) = (int (*)(unsigned long long))dlsym(h, "Bits");
    CSM_CHECK(bits != NULL, "dlsym(Bits) != NULL");
    if (bits) {
        int n = bits(0x00F0F0F0F0F0F0F0ULL);
        CSM_CHECK(n == 28 + 8, "Bits(0x00F0F0F0F0F0F0F0) == 36: 28 set bits and 8 leading zeros (got %d)", n);
    }
    return CSM_DONE();
}
