/*
 * init-once on Windows: a Go DLL's package initialization (variable
 * initializers, then every init function) must run exactly once per process,
 * and main.main never, however often the host loads the DLL: by the same
 * path, by another spelling of it (Windows paths are case-insensitive, and
 * the loader must recognize the module, not the string, or a second Go
 * runtime would start), and after FreeLibrary of every reference. PE has no
 * NODELETE: if the last FreeLibrary unloads the DLL (golang/go#11100), the
 * host says so and stops rather than load a second runtime over the first
 * one's still-running threads.
 */
#include "csm.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

#include "libinitgo.h"

/* Package-level initializer, then both init functions in source order; no "main". */
#define WANT_TRACE "var,init1,init2"

struct exports {
    __typeof__(&InitRuns) init_runs;
    __typeof__(&MainRuns) main_runs;
    __typeof__(&InitTrace) init_trace;
};

#define PROC(module, name) (__typeof__(&name))(void (*)(void))GetProcAddress(module, #name)

static int lookup(HMODULE module, const char *via, struct exports *e) {
    e->init_runs = PROC(module, InitRuns);
    e->main_runs = PROC(module, MainRuns);
    e->init_trace = PROC(module, InitTrace);
    return CSM_CHECK(e->init_runs && e->main_runs && e->init_trace, "%s: GetProcAddress finds InitRuns, MainRuns, InitTrace", via);
}

static void check_trace(const struct exports *e, const char *when) {
    char *trace = e->init_trace();
    CSM_CHECK(trace != NULL && strcmp(trace, WANT_TRACE) == 0, "%s: InitTrace() == \"" WANT_TRACE "\" (got \"%s\")", when,
              trace ? trace : "(null)");
    free(trace);
}

static void check_counts(const struct exports *e, const char *when) {
    int inits = e->init_runs();
    CSM_CHECK(inits == 1, "%s: InitRuns() == 1 (got %d)", when, inits);
    int mains = e->main_runs();
    CSM_CHECK(mains == 0, "%s: MainRuns() == 0 (got %d)", when, mains);
}

/* The module if it is loaded, without taking a reference. */
static HMODULE resident(const char *path) {
    HMODULE m = NULL;
    return GetModuleHandleExA(GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT, path, &m) ? m : NULL;
}

static double ms_since(LARGE_INTEGER t0) {
    LARGE_INTEGER now, freq;
    QueryPerformanceCounter(&now);
    QueryPerformanceFrequency(&freq);
    return (double)(now.QuadPart - t0.QuadPart) * 1e3 / (double)freq.QuadPart;
}

/* Three more references: the same path again, and the path in upper case. */
static void load_again(const char *path, HMODULE first, const struct exports *e, HMODULE *again, HMODULE *aliased) {
    *again = LoadLibraryA(path);
    CSM_CHECK(*again == first, "second LoadLibrary of the same path returns the same handle");
    struct exports e2;
    if (*again && lookup(*again, "second LoadLibrary", &e2)) {
        CSM_CHECK(e2.init_runs == e->init_runs, "second LoadLibrary: InitRuns is the same function");
        check_counts(&e2, "second LoadLibrary");
    }
    char alias[MAX_PATH];
    snprintf(alias, sizeof alias, "%s", path);
    for (char *p = alias; *p; p++) *p = (char)toupper((unsigned char)*p);
    *aliased = LoadLibraryA(alias);
    CSM_CHECK(*aliased == first, "LoadLibrary of the path spelled in upper case (%s) returns the same handle%s%s", alias,
              *aliased ? "" : ": ", *aliased ? "" : csm_win_error("LoadLibrary", GetLastError()));
    check_counts(e, "LoadLibrary of the path in upper case");
}

int main(void) {
    const char *path = csm_lib("initgo");
    HMODULE before = resident(path);

    LARGE_INTEGER t0;
    QueryPerformanceCounter(&t0);
    HMODULE first = LoadLibraryA(path);
    if (first == NULL) csm_load_failed("initgo", csm_win_error("LoadLibrary", GetLastError()));
    CSM_LOADED("initgo");
    printf("# LoadLibrary returned after %.1f ms\n", ms_since(t0));
    CSM_CHECK(before == NULL, "GetModuleHandleEx before the first LoadLibrary finds nothing");

    struct exports e;
    if (!lookup(first, "first LoadLibrary", &e)) return CSM_DONE();

    /* Straight after LoadLibrary, while the slow init function may still be
     * sleeping: an export has to wait for package initialization to finish. */
    check_trace(&e, "first call");
    printf("# the first call returned %.1f ms after LoadLibrary began\n", ms_since(t0));
    for (int i = 0; i < 3; i++) check_counts(&e, "after repeated calls");

    HMODULE again, aliased;
    load_again(path, first, &e, &again, &aliased);

    if (aliased) FreeLibrary(aliased);
    if (again) FreeLibrary(again);
    FreeLibrary(first);
    HMODULE kept = resident(path);
    CSM_CHECK(kept != NULL, "after FreeLibrary of every reference the DLL is still loaded (GetModuleHandleEx)");
    if (kept == NULL) return CSM_DONE();
    HMODULE reopened = LoadLibraryA(path);
    CSM_CHECK(reopened != NULL, "LoadLibrary after FreeLibrary of every reference succeeds");
    struct exports e3;
    if (reopened && lookup(reopened, "reopened", &e3)) {
        check_counts(&e3, "after FreeLibrary and LoadLibrary again");
        check_trace(&e3, "after FreeLibrary and LoadLibrary again");
    }

    /* If main were going to run, it would run right after the init functions,
     * long before now; a last look after a pause makes "never" a fair claim. */
    Sleep(200);
    check_counts(&e, "at the end");
    check_trace(&e, "at the end");
    return CSM_DONE();
}
