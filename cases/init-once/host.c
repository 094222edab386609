/*
 * init-once: a Go library's package initialization (variable initializers,
 * then every init function) must run exactly once per process, and main.main
 * never, however often the host opens the library.
 *
 * dlopen rather than linking: only a host that loads the library itself can
 * open the same file a second time, by the same path and by another name,
 * and close every handle and open it again, which is what plugin hosts do.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "csm.h"
#include "libinitgo.h"

/* Package-level initializer, then both init functions in source order; no "main". */
#define WANT_TRACE "var,init1,init2"

struct exports {
    __typeof__(&InitRuns) init_runs;
    __typeof__(&MainRuns) main_runs;
    __typeof__(&InitTrace) init_trace;
};

static int lookup(void *handle, const char *via, struct exports *e) {
    e->init_runs = (__typeof__(&InitRuns))dlsym(handle, "InitRuns");
    e->main_runs = (__typeof__(&MainRuns))dlsym(handle, "MainRuns");
    e->init_trace = (__typeof__(&InitTrace))dlsym(handle, "InitTrace");
    return CSM_CHECK(e->init_runs && e->main_runs && e->init_trace, "%s: dlsym finds InitRuns, MainRuns, InitTrace", via);
}

static void check_trace(const struct exports *e, const char *when) {
    char *trace = e->init_trace();
    CSM_CHECK(trace != NULL && strcmp(trace, WANT_TRACE) == 0, "%s: InitTrace() == \"" WANT_TRACE "\" (got \"%s\")", when,
              trace ? trace : "(null)");
    /* C.CString allocates with the C allocator, so ownership passes to us. */
    free(trace);
}

static double ms_since(const struct timespec *t0) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) * 1e3 + (double)(now.tv_nsec - t0->tv_nsec) / 1e6;
}

static void check_counts(const struct exports *e, const char *when) {
    int inits = e->init_runs();
    CSM_CHECK(inits == 1, "%s: InitRuns() == 1 (got %d)", when, inits);
    int mains = e->main_runs();
    CSM_CHECK(mains == 0, "%s: MainRuns() == 0 (got %d)", when, mains);
}

int main(void) {
    const char *path = csm_lib("initgo");

    /* Nothing may have loaded the library before this host does. */
    void *before = dlopen(path, RTLD_NOW | RTLD_NOLOAD);

    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    void *first = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (first == NULL) csm_load_failed("initgo", dlerror());
    CSM_LOADED("initgo");
    printf("# dlopen returned after %.1f ms\n", ms_since(&t0));
    CSM_CHECK(before == NULL, "RTLD_NOLOAD before the first dlopen finds nothing");

    struct exports e;
    if (!lookup(first, "first dlopen", &e)) return CSM_DONE();

    /* Straight after dlopen, while the slow init function may still be
     * sleeping: an export has to wait for package initialization to finish. */
    check_trace(&e, "first call");
    printf("# the first call returned %.1f ms after dlopen began\n", ms_since(&t0));
    for (int i = 0; i < 3; i++) check_counts(&e, "after repeated calls");

    /* The same path again: the loader only takes another reference. */
    void *again = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    CSM_CHECK(again == first, "second dlopen of the same path returns the same handle");
    if (again) {
        struct exports e2;
        if (lookup(again, "second dlopen", &e2)) {
            CSM_CHECK(e2.init_runs == e.init_runs, "second dlopen: InitRuns is the same function");
            check_counts(&e2, "second dlopen");
        }
    }

    /* Another name for the same file: the loader must recognize the file,
     * not the string, or a second Go runtime would start in this process. */
    char alias[64];
    snprintf(alias, sizeof alias, "/tmp/csm-init-once-%ld.so", (long)getpid());
    unlink(alias);
    int linked = symlink(path, alias) == 0;
    CSM_CHECK(linked, "symlink %s -> the library", alias);
    void *aliased = linked ? dlopen(alias, RTLD_NOW | RTLD_LOCAL) : NULL;
    if (linked) {
        const char *err = aliased ? NULL : dlerror();
        CSM_CHECK(aliased == first, "dlopen through a symlink returns the same handle%s%s", err ? ": " : "", err ? err : "");
        unlink(alias);
    }
    check_counts(&e, "dlopen through a symlink");

    /* Close every handle. Go marks its libraries NODELETE (a runtime with
     * threads cannot be unmapped), so the library stays, and opening it again
     * must neither fail nor initialize it a second time. */
    if (aliased) dlclose(aliased);
    if (again) dlclose(again);
    dlclose(first);
    void *kept = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
    CSM_CHECK(kept != NULL, "after dlclose of every handle the library is still loaded (RTLD_NOLOAD)");
    void *reopened = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    const char *err = reopened ? NULL : dlerror();
    CSM_CHECK(reopened != NULL, "dlopen after dlclose of every handle succeeds%s%s", err ? ": " : "", err ? err : "");
    if (reopened) {
        struct exports e3;
        if (lookup(reopened, "reopened", &e3)) {
            check_counts(&e3, "after dlclose and dlopen again");
            check_trace(&e3, "after dlclose and dlopen again");
        }
    }

    /* If main were going to run, it would run right after the init functions,
     * long before now; a last look after a pause makes "never" a fair claim. */
    struct timespec pause = {0, 200 * 1000 * 1000};
    nanosleep(&pause, NULL);
    check_counts(&e, "at the end");
    check_trace(&e, "at the end");

    return CSM_DONE();
}
