/*
 * dlopen on Windows: the link case's libhello.dll loaded at run time with
 * LoadLibrary, so the Go runtime starts inside that call (or, since Go 1.25,
 * right after it: golang/go#75949) rather than before main(), and every export
 * is reached through GetProcAddress.
 */
#include "csm.h"

#include <stdlib.h>
#include <string.h>
#include <windows.h>

/* Included only for the prototypes; the host is not linked against the DLL. */
#include "libhello.h"

static FARPROC lookup(HMODULE module, const char *name) {
    FARPROC sym = GetProcAddress(module, name);
    CSM_CHECK(sym != NULL, "GetProcAddress(\"%s\") != NULL%s%s", name, sym ? "" : ": ",
              sym ? "" : csm_win_error("GetProcAddress", GetLastError()));
    return sym;
}

int main(void) {
    HMODULE module = LoadLibraryA(csm_lib("hello"));
    if (module == NULL) csm_load_failed("hello", csm_win_error("LoadLibrary", GetLastError()));
    CSM_LOADED("hello");

    /* __typeof__ ties each pointer to the signature cgo generated, so a change
     * to the Go side shows up as a compile error rather than a bad call. */
    __typeof__(&Add) add = (__typeof__(&Add))(void (*)(void))lookup(module, "Add");
    __typeof__(&Greet) greet = (__typeof__(&Greet))(void (*)(void))lookup(module, "Greet");
    __typeof__(&CountRunes) count_runes = (__typeof__(&CountRunes))(void (*)(void))lookup(module, "CountRunes");

    if (add) {
        CSM_CHECK(add(2, 3) == 5, "Add(2, 3) == 5");
        CSM_CHECK(add(-40, 2) == -38, "Add(-40, 2) == -38");
    }
    if (greet) {
        char *greeting = greet("dlopen");
        CSM_CHECK(greeting != NULL && strcmp(greeting, "hello, dlopen") == 0,
                  "Greet(\"dlopen\") == \"hello, dlopen\" (got \"%s\")", greeting ? greeting : "(null)");
        /* C.CString allocates with malloc of the C runtime the DLL imports
         * (msvcrt.dll, as this host does), so this free is the matching one. */
        free(greeting);
    }
    if (count_runes) {
        /* 6 bytes, 5 runes: only a real UTF-8 decode on the Go side gives 5. */
        int runes = count_runes("h\xc3\xa9llo");
        CSM_CHECK(runes == 5, "CountRunes(\"h\\xc3\\xa9llo\") == 5 (got %d)", runes);
    }

    /* No FreeLibrary(): a Go runtime cannot be unloaded (golang/go#11100). */
    return CSM_DONE();
}
