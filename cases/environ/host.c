/*
 * environ: a Go library has no main() of its own, so the Go runtime has to
 * take its environment from the C process it was loaded into (the thread:
 * "fetch the environment from the global environ variable ... make sure env
 * keys get through even in library mode"). The host changes an existing
 * variable with setenv() before dlopen(), and Go must see the new value, not
 * the one the process was exec'ed with.
 *
 * A key that C *adds* before loading is deliberately not checked here; that
 * is a separate, known problem (golang/go#27693) with its own case.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "csm.h"
#include "libenvgo.h"

static __typeof__(&GoGetenv) go_getenv;

static void check_go_sees(const char *key, const char *want) {
    char *got = go_getenv((char *)key);
    CSM_CHECK(got != NULL && strcmp(got, want) == 0, "Go sees %s=%s (got %s%s%s)", key, want,
              got ? "\"" : "", got ? got : "unset", got ? "\"" : "");
    /* C.CString allocates with the C allocator, so ownership passes to us. */
    free(got);
}

int main(void) {
    /* Overwrite a key the harness put in the exec environment (run.env). */
    if (setenv("CSM_REPLACED", "replaced-by-c", 1) != 0) {
        perror("setenv");
        return 2;
    }

    void *handle = dlopen(csm_lib("envgo"), RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) csm_load_failed("envgo", dlerror());
    CSM_LOADED("envgo");

    /* If these fail, the harness did not pass run.env, and the Go checks
     * below would be meaningless. */
    const char *greeting = getenv("CSM_GREETING");
    CSM_CHECK(greeting != NULL && strcmp(greeting, "from-exec") == 0, "C sees CSM_GREETING=from-exec");
    const char *replaced = getenv("CSM_REPLACED");
    CSM_CHECK(replaced != NULL && strcmp(replaced, "replaced-by-c") == 0, "C sees CSM_REPLACED=replaced-by-c");

    go_getenv = (__typeof__(&GoGetenv))dlsym(handle, "GoGetenv");
    CSM_CHECK(go_getenv != NULL, "dlsym(\"GoGetenv\") != NULL");
    if (go_getenv == NULL) return CSM_DONE();

    check_go_sees("CSM_GREETING", "from-exec");
    check_go_sees("CSM_REPLACED", "replaced-by-c");

    return CSM_DONE();
}
