/*
 * setenv-after-load: once a Go library is loaded, the host changes its
 * environment with setenv(): it adds a key and replaces the value of one
 * that was there at exec. A program that embeds Go expects os.Getenv to
 * follow, as getenv() does; today it does not (golang/go#27693): the runtime
 * copies the environment once, while it starts, and never looks again.
 *
 * The Go runtime of a c-shared library starts on a thread of its own, so
 * dlopen() can return before it has copied anything, and a setenv() straight
 * after dlopen() would race with that copy. The host therefore calls Go first:
 * an export does not return until the runtime and package initialization are
 * done, so every setenv() below comes after the copy, and the result is the
 * same on every run.
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

static void check_c_sees(const char *key, const char *want) {
    const char *got = getenv(key);
    CSM_CHECK(got != NULL && strcmp(got, want) == 0, "C sees %s=%s", key, want);
}

int main(void) {
    void *handle = dlopen(csm_lib("envgo"), RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) csm_load_failed("envgo", dlerror());
    CSM_LOADED("envgo");

    go_getenv = (__typeof__(&GoGetenv))dlsym(handle, "GoGetenv");
    CSM_CHECK(go_getenv != NULL, "dlsym(\"GoGetenv\") != NULL");
    if (go_getenv == NULL) return CSM_DONE();

    /* The first call waits for the runtime to finish starting, so Go has
     * taken its copy of the environment before the first setenv(). Both keys
     * come from run.env: if Go does not see them, nothing below means much. */
    check_go_sees("CSM_FROM_EXEC", "from-exec");
    check_go_sees("CSM_REPLACED", "from-exec");

    /* Replace first: glibc then writes the new value into the exec-time
     * environment array, the one the Go runtime copies from, so a copy that
     * had not happened yet would pick it up. Adding a key moves the
     * environment to a new array, which Go never reads. */
    if (setenv("CSM_REPLACED", "replaced-after-load", 1) != 0 || setenv("CSM_ADDED", "added-after-load", 0) != 0) {
        perror("setenv");
        return 2;
    }
    check_c_sees("CSM_ADDED", "added-after-load");
    check_c_sees("CSM_REPLACED", "replaced-after-load");

    /* What an embedding program wants: Go reads the environment the process
     * has now, as C does. */
    check_go_sees("CSM_ADDED", "added-after-load");
    check_go_sees("CSM_REPLACED", "replaced-after-load");

    return CSM_DONE();
}
