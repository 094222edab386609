/*
 * multi on Windows: host.c's checks in Win32 terms (imports for linking,
 * LoadLibrary for dlopen, GetProcAddress for dlsym). From host.c:
 *
 * two Go libraries in one process. The host is linked against both at
 * build time and then dlopen()s both by path. dlopen() of an already loaded
 * library must hand back that same instance (its state continues), and
 * dlsym() on a handle must find that library's definition of a symbol both
 * libraries export (LibName). And the 2013 thread's question: does each
 * library carry its own runtime (gc) or do they share one (gccgo's libgo)?
 * The host tells by the address each sees of runtime.GC, and checks that
 * what a shared runtime implies holds: os.Setenv through one library is seen
 * by os.Getenv through the other exactly when the runtime is one.
 */
#include "csm.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

/* Both headers declare LibName identically; cgo's shared prologue is guarded. */
#include "libalpha.h"
#include "libbeta.h"

typedef char *(*lib_name_fn)(void);

static HMODULE open_lib(const char *name) {
    HMODULE handle = LoadLibraryA(csm_lib(name));
    CSM_CHECK(handle != NULL, "LoadLibrary(lib%s.dll) != NULL%s%s", name, handle ? "" : ": ",
              handle ? "" : csm_win_error("LoadLibrary", GetLastError()));
    return handle;
}

static void check_lib_name(HMODULE handle, const char *name) {
    lib_name_fn lib_name = (lib_name_fn)(void (*)(void))GetProcAddress(handle, "LibName");
    CSM_CHECK(lib_name != NULL, "GetProcAddress(%s, \"LibName\") != NULL", name);
    if (lib_name == NULL) return;
    char *got = lib_name();
    CSM_CHECK(got != NULL && strcmp(got, name) == 0, "GetProcAddress(%s, \"LibName\")() == \"%s\" (got \"%s\")", name, name,
              got ? got : "(null)");
    free(got);
}

/* One runtime or two: reported. The environment is another matter on Windows:
 * os.Setenv and os.Getenv go to the process's one environment block
 * (SetEnvironmentVariableW, GetEnvironmentVariableW) whatever runtime makes
 * the call, so a key set through alpha is seen through beta either way; the
 * ELF host's consistency check (seen exactly when the runtime is shared)
 * becomes this one. */
static void check_runtimes(void) {
    uintptr_t a = AlphaRuntime(), b = BetaRuntime();
    int one = a == b;
    printf("# runtimes: %s (runtime.GC at %#llx through alpha, %#llx through beta)\n",
           one ? "one, shared by both libraries" : "two, one per library", (unsigned long long)a, (unsigned long long)b);
    AlphaSetenv("CSM_MULTI_FROM_ALPHA", "set by alpha");
    char *got = BetaGetenv("CSM_MULTI_FROM_ALPHA");
    int seen = got != NULL && strcmp(got, "set by alpha") == 0;
    CSM_CHECK(seen, "os.Setenv through alpha is %s by os.Getenv through beta, as the process's one environment block means "
              "(%s; beta got \"%s\")", seen ? "seen" : "unseen", one ? "one runtime" : "two runtimes", got ? got : "(null)");
    free(got);
}

int main(void) {
    /* Both are imports, so reaching main means the loader loaded both. */
    CSM_LOADED("alpha beta");

    CSM_CHECK(AlphaBump() == 1, "AlphaBump() == 1");
    CSM_CHECK(AlphaBump() == 2, "AlphaBump() == 2");
    CSM_CHECK(BetaBump() == 10, "BetaBump() == 10");

    /* Which definition an unqualified LibName binds to is link-order policy,
     * not something Go promises, so it is reported, not checked. */
    char *linked = LibName();
    printf("# linked LibName() resolved to %s\n", linked ? linked : "(null)");
    free(linked);

    HMODULE alpha = open_lib("alpha");
    HMODULE beta = open_lib("beta");
    if (alpha == NULL || beta == NULL) return CSM_DONE();

    /* A counter that continues proves LoadLibrary() returned the instance the
     * loader already mapped, not a second copy with a second runtime. */
    __typeof__(&AlphaBump) alpha_bump = (__typeof__(&AlphaBump))(void (*)(void))GetProcAddress(alpha, "AlphaBump");
    __typeof__(&BetaBump) beta_bump = (__typeof__(&BetaBump))(void (*)(void))GetProcAddress(beta, "BetaBump");
    CSM_CHECK(alpha_bump != NULL, "GetProcAddress(alpha, \"AlphaBump\") != NULL");
    CSM_CHECK(beta_bump != NULL, "GetProcAddress(beta, \"BetaBump\") != NULL");
    if (alpha_bump) {
        int n = alpha_bump();
        CSM_CHECK(n == 3, "AlphaBump() through GetProcAddress == 3, continuing the linked calls (got %d)", n);
    }
    if (beta_bump) {
        int n = beta_bump();
        CSM_CHECK(n == 20, "BetaBump() through GetProcAddress == 20, continuing the linked calls (got %d)", n);
    }
    /* And the linked entry points still share that state afterwards. */
    CSM_CHECK(AlphaBump() == 4, "AlphaBump() == 4 after the GetProcAddress call");

    check_lib_name(alpha, "alpha");
    check_lib_name(beta, "beta");
    check_runtimes();

    return CSM_DONE();
}
