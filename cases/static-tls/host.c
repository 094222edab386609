/*
 * static-tls: the host dlopen()s a C library whose initial-exec TLS takes all
 * of glibc's static TLS surplus, and then the Go library, which needs 8 bytes
 * of it for the runtime's goroutine slot. What users want is for the Go
 * library to load anyway, as a library built with the general-dynamic TLS
 * model would; today glibc refuses it: "cannot allocate memory in static TLS
 * block". Python, Java and plugin hosts that loaded some other IE library
 * first hit exactly this.
 *
 * A probe library with 8 bytes of IE TLS, as much as Go's runtime has, is
 * opened in between: if it loads, the surplus was not used up (a glibc with
 * another surplus size) and the host stops with a load failure of the probe,
 * so that such a glibc shows up as a plain failure rather than as a fixed Go.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "csm.h"
#include "libstaticgo.h"
#include "tlsblock.h"

int main(void) {
    char *big_error = NULL;
    void *big = dlopen(csm_lib("bigtls"), RTLD_NOW | RTLD_LOCAL);
    if (big == NULL) {
        /* musl refuses every dlopen()ed library with IE TLS, this one
         * included; the Go library is still tried, so the cell reports what
         * happens to Go there. */
        big_error = strdup(dlerror());
        printf("# libbigtls not loaded: %s\n", big_error);
    } else {
        void *probe = dlopen(csm_lib("tlsprobe"), RTLD_NOW | RTLD_LOCAL);
        if (probe != NULL)
            csm_load_failed("tlsprobe",
                            "loaded after libbigtls, so the static TLS surplus was not used up and the case does not test "
                            "what it claims; change bigtls's -DTLS_BYTES for this glibc (see cases/static-tls/README.md)");
        printf("# libtlsprobe (8 bytes of IE TLS) refused after libbigtls, as intended: %s\n", dlerror());
    }

    void *go = dlopen(csm_lib("staticgo"), RTLD_NOW | RTLD_LOCAL);
    if (go == NULL) csm_load_failed("staticgo", dlerror());
    CSM_LOADED("staticgo");

    /* Loading Go proves nothing unless the surplus was used up first. */
    CSM_CHECK(big != NULL, "libbigtls was loaded before the Go library%s%s", big_error ? ": " : "", big_error ? big_error : "");
    if (big != NULL) {
        __typeof__(&tls_block_touch) touch = (__typeof__(&tls_block_touch))dlsym(big, "tls_block_touch");
        __typeof__(&tls_block_size) size = (__typeof__(&tls_block_size))dlsym(big, "tls_block_size");
        CSM_CHECK(touch && size, "dlsym finds tls_block_touch and tls_block_size in libbigtls");
        if (touch && size) CSM_CHECK(touch(0x5a) == 0x5a, "libbigtls's %u bytes of TLS are usable beside Go", size());
    }

    __typeof__(&SumTo) sum_to = (__typeof__(&SumTo))dlsym(go, "SumTo");
    CSM_CHECK(sum_to != NULL, "dlsym(\"SumTo\") != NULL");
    if (sum_to) {
        long long sum = sum_to(100);
        CSM_CHECK(sum == 5050, "SumTo(100) == 5050 (got %lld)", sum);
    }

    free(big_error);
    return CSM_DONE();
}
