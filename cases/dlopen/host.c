/*
 * dlopen: the same libhello.so as the link case, but loaded at run time with
 * dlopen(), so the Go runtime starts inside the dlopen() call rather than
 * before main(), and every export is reached through dlsym().
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "csm.h"
/* Included only for the prototypes; the host is not linked against the library. */
#include "libhello.h"

static void *lookup(void *handle, const char *name) {
    void *sym = dlsym(handle, name);
    CSM_CHECK(sym != NULL, "dlsym(\"%s\") != NULL", name);
    return sym;
}

int main(void) {
    /* RTLD_NOW so that any unresolvable relocation is reported here, as a load failure. */
    void *handle = dlopen(csm_lib("hello"), RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) csm_load_failed("hello", dlerror());
    CSM_LOADED("hello");

    /* __typeof__ ties each pointer to the signature cgo generated, so a change
     * to the Go side shows up as a compile error rather than a bad call. */
    __typeof__(&Add) add = (__typeof__(&Add))lookup(handle, "Add");
    __typeof__(&Greet) greet = (__typeof__(&Greet))lookup(handle, "Greet");
    __typeof__(&CountRunes) count_runes = (__typeof__(&CountRunes))lookup(handle, "CountRunes");

    if (add) {
        CSM_CHECK(add(2, 3) == 5, "Add(2, 3) == 5");
        CSM_CHECK(add(-40, 2) == -38, "Add(-40, 2) == -38");
    }
    if (greet) {
        char *greeting = greet("dlopen");
        CSM_CHECK(greeting != NULL && strcmp(greeting, "hello, dlopen") == 0,
                  "Greet(\"dlopen\") == \"hello, dlopen\" (got \"%s\")", greeting ? greeting : "(null)");
        /* C.CString allocates with the C allocator, so ownership passes to us. */
        free(greeting);
    }
    if (count_runes) {
        /* 6 bytes, 5 runes: only a real UTF-8 decode on the Go side gives 5. */
        int runes = count_runes("h\xc3\xa9llo");
        CSM_CHECK(runes == 5, "CountRunes(\"h\\xc3\\xa9llo\") == 5 (got %d)", runes);
    }

    /* No dlclose(): a Go runtime cannot be unloaded once started. */
    return CSM_DONE();
}
