/*
 * dlclose on Windows: LoadLibrary a Go DLL, bump a counter kept by a
 * goroutine, FreeLibrary, LoadLibrary again. A started Go runtime cannot be
 * unloaded (its threads would go on running unmapped code: golang/go#11100),
 * and on ELF Go marks its libraries NODELETE; PE has no such flag, so the
 * question here is whether the DLL stays loaded when its only reference is
 * freed (pinned, as GetModuleHandleEx(GET_MODULE_HANDLE_EX_FLAG_PIN) would do),
 * and whether the old pointers, the reopened handle, the GetProcAddress
 * addresses and the count are the ones from before, for several cycles. A
 * plain C DLL (libplainc) run through the same sequence is the control.
 */
#include "csm.h"

#include <windows.h>

/* Included only for the prototype; the host loads the DLL itself. */
#include "libcounter.h"

#define CYCLES 10

typedef __typeof__(&Bump) bump_fn;

/* Whether a DLL is loaded now, without taking a reference (RTLD_NOLOAD's analogue). */
static HMODULE resident(const char *path) {
    HMODULE m = NULL;
    if (!GetModuleHandleExA(GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT, path, &m)) return NULL;
    return m;
}

/* The same sequence on a plain C DLL, reported rather than checked: it shows
 * that the checks below would notice an unload. */
static void control(void) {
    const char *path = csm_lib("plainc");
    HMODULE h = LoadLibraryA(path);
    int (*bump)(void) = h ? (int (*)(void))(void (*)(void))GetProcAddress(h, "plainc_bump") : NULL;
    if (bump == NULL) {
        printf("# control: cannot load libplainc.dll: %s\n", csm_win_error("LoadLibrary", GetLastError()));
        return;
    }
    bump();
    bump();
    FreeLibrary(h);
    HMODULE still = resident(path);
    HMODULE h2 = LoadLibraryA(path);
    int (*bump2)(void) = h2 ? (int (*)(void))(void (*)(void))GetProcAddress(h2, "plainc_bump") : NULL;
    int n = bump2 ? bump2() : -1;
    printf("# control: libplainc.dll after FreeLibrary(): %s; reopened, its counter says %d (%s)\n",
           still ? "still loaded" : "unloaded", n, n == 1 ? "state lost" : n == 3 ? "state kept" : "?");
}

/* FreeLibrary/LoadLibrary cycles after the first: 0, or the first cycle that
 * changed the handle, the address or the count. */
static int more_cycles(const char *path, HMODULE first, bump_fn bump) {
    HMODULE again = first;
    int want = 4;
    for (int cycle = 1; cycle <= CYCLES; cycle++) {
        if (!FreeLibrary(again)) return cycle;
        if (resident(path) != first) return cycle;
        again = LoadLibraryA(path);
        if (again != first || (bump_fn)(void (*)(void))GetProcAddress(again, "Bump") != bump) return cycle;
        if (bump() != ++want) return cycle;
    }
    return 0;
}

int main(void) {
    const char *path = csm_lib("counter");
    HMODULE first = LoadLibraryA(path);
    if (first == NULL) csm_load_failed("counter", csm_win_error("LoadLibrary", GetLastError()));
    CSM_LOADED("counter");

    bump_fn bump = (bump_fn)(void (*)(void))GetProcAddress(first, "Bump");
    CSM_CHECK(bump != NULL, "GetProcAddress(\"Bump\") != NULL");
    if (bump == NULL) return CSM_DONE();
    int n = bump();
    CSM_CHECK(n == 1, "Bump() == 1 (got %d)", n);
    n = bump();
    CSM_CHECK(n == 2, "Bump() == 2 (got %d)", n);

    BOOL freed = FreeLibrary(first);
    CSM_CHECK(freed, "FreeLibrary() succeeded (%s)", freed ? "TRUE" : csm_win_error("FreeLibrary", GetLastError()));

    /* The only reference is gone: an unpinned DLL is unmapped now, and any
     * call into it (ours, or one of the Go runtime's own threads) faults. */
    HMODULE still = resident(path);
    CSM_CHECK(still == first, "libcounter.dll stays loaded after FreeLibrary() of its only reference, same handle (%p, first %p)",
              (void *)still, (void *)first);
    if (still == NULL) return CSM_DONE();

    n = bump();
    CSM_CHECK(n == 3, "Bump() through the pointer from before FreeLibrary() == 3 (got %d)", n);

    HMODULE again = LoadLibraryA(path);
    CSM_CHECK(again == first, "LoadLibrary() after FreeLibrary() returns the same handle (%p, first %p)", (void *)again,
              (void *)first);
    if (again == NULL) return CSM_DONE();
    bump_fn bump_again = (bump_fn)(void (*)(void))GetProcAddress(again, "Bump");
    CSM_CHECK(bump_again == bump, "GetProcAddress(\"Bump\") after reopening == the address from before (%p, before %p)",
              (void *)bump_again, (void *)bump);
    if (bump_again == NULL) return CSM_DONE();
    n = bump_again();
    CSM_CHECK(n == 4, "Bump() after reopening == 4, the count continued (got %d)", n);

    int bad_cycle = more_cycles(path, again, bump);
    CSM_CHECK(bad_cycle == 0, "%d more FreeLibrary()/LoadLibrary() cycles: same handle, same address, count continued to %d "
              "(first bad cycle: %d)", CYCLES, 4 + CYCLES, bad_cycle);

    control();
    return CSM_DONE();
}
