/*
 * init-before-call: is a Go library's initialization finished when dlopen()
 * returns, or only when the first exported call does (golang/go#12639)?
 *
 * A c-shared library's ELF initializer only starts a thread that initializes
 * the Go runtime and then runs the packages' init functions; dlopen() returns
 * while that goes on. An exported function called from a C thread waits until
 * package initialization is complete (the runtime's main_init_done; Ian Lance
 * Taylor in #26184: "calls to exported symbols are blocked until that
 * initialization is successful"). There is no supported way to know init is
 * done without calling into Go (#11768, open).
 *
 * So what the host sees right after dlopen() returns is a race by design and
 * is reported on '#' lines, not checked. The checks are what Go guarantees:
 * once the first exported call returns, on the thread that called dlopen()
 * and on another C thread calling at the same time, every side effect of
 * init is visible, and init ran once.
 *
 * The library's side effects: two markers in C globals defined here and
 * exported (-rdynamic), each with the time (CLOCK_MONOTONIC) and thread it was
 * set on; early = the main package's variables are being initialized, late =
 * the end of init(), after 100 ms of stand-in work and after it wrote a file
 * under $INIT_MARKER_DIR.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "csm.h"

/* Set by the library (see initgo.go); exported by -rdynamic. */
volatile int csm_init_mark[2];
volatile long long csm_init_ns[2];
volatile long csm_init_tid[2];

/* The library's exports, typed by hand: libinitgo.h repeats the library's weak
 * declarations of the globals above, which would make these definitions weak. */
typedef int (*init_runs_fn)(void);
typedef char *(*marker_error_fn)(void);
static init_runs_fn init_runs;

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int mark(int which) { return __atomic_load_n(&csm_init_mark[which], __ATOMIC_ACQUIRE); }

static char marker_path[512];

/* "pid N" when the file is there and holds this process's pid, else a word for what is there. */
static const char *marker_file(char *buf, size_t len) {
    FILE *f = fopen(marker_path, "r");
    if (!f) return "absent";
    size_t n = fread(buf, 1, len - 1, f);
    fclose(f);
    buf[n] = 0;
    char *nl = strchr(buf, '\n');
    if (nl) *nl = 0;
    return buf;
}

struct first_call {
    int runs;          /* what InitRuns() returned */
    int early, late;   /* the markers as seen right after it returned */
    long long done_ns; /* when it returned */
};

static void first_call(struct first_call *c) {
    c->runs = init_runs();
    c->early = mark(0);
    c->late = mark(1);
    c->done_ns = now_ns();
}

static void *second_thread(void *arg) {
    first_call((struct first_call *)arg);
    return NULL;
}

static double ms(long long ns) { return (double)ns / 1e6; }

int main(void) {
    const char *dir = getenv("INIT_MARKER_DIR");
    snprintf(marker_path, sizeof marker_path, "%s/init-before-call.marker", dir ? dir : "/nonexistent");
    long dlopen_tid = (long)syscall(SYS_gettid);

    long long before = now_ns();
    void *h = dlopen(csm_lib("initgo"), RTLD_NOW);
    long long opened = now_ns();
    /* The observation right after dlopen(), before anything else runs here. */
    int early0 = mark(0), late0 = mark(1);
    char buf0[128];
    const char *file0 = marker_file(buf0, sizeof buf0);
    if (!h) csm_load_failed("initgo", dlerror());
    init_runs = (init_runs_fn)dlsym(h, "InitRuns");
    marker_error_fn marker_error = (marker_error_fn)dlsym(h, "MarkerError");
    if (!init_runs || !marker_error) csm_load_failed("initgo", dlerror());
    CSM_LOADED("initgo");

    printf("# right after dlopen: early marker %s, late marker %s, file %s (dlopen took %.2f ms)\n",
           early0 ? "present" : "absent", late0 ? "present" : "absent", strcmp(file0, "absent") ? "present" : "absent",
           ms(opened - before));

    /* Two first calls at once: this thread's, and a new C thread's. */
    struct first_call main_call = {0}, other_call = {0};
    pthread_t t;
    long long started = now_ns();
    int threaded = pthread_create(&t, NULL, second_thread, &other_call) == 0;
    first_call(&main_call);
    if (threaded) pthread_join(t, NULL);

    /* When each marker was set, relative to dlopen() returning (negative: while dlopen() still ran). */
    if (mark(0)) printf("# early marker set %+.2f ms after dlopen returned, on %s\n", ms(csm_init_ns[0] - opened),
                        csm_init_tid[0] == dlopen_tid ? "the thread that called dlopen" : "another thread");
    if (mark(1)) printf("# late marker set %+.2f ms after dlopen returned, on %s\n", ms(csm_init_ns[1] - opened),
                        csm_init_tid[1] == dlopen_tid ? "the thread that called dlopen" : "another thread");
    printf("# the first call returned %.2f ms after it was made\n", ms(main_call.done_ns - started));

    CSM_CHECK(main_call.early == 1 && main_call.late == 1,
              "once the first call (from the thread that called dlopen) returned, init's markers are set (early %d, late %d)",
              main_call.early, main_call.late);
    CSM_CHECK(main_call.runs == 101, "that call saw init done from Go: package variables initialized once, init() ran once (InitRuns() = %d, want 101)",
              main_call.runs);
    CSM_CHECK(threaded && other_call.early == 1 && other_call.late == 1 && other_call.runs == 101,
              "a second C thread's first call, made at the same time, also returned after init finished (early %d, late %d, InitRuns() = %d)",
              threaded ? other_call.early : -1, threaded ? other_call.late : -1, threaded ? other_call.runs : -1);
    CSM_CHECK(csm_init_ns[1] <= main_call.done_ns && csm_init_ns[1] <= other_call.done_ns,
              "init's late marker was set before either first call returned");

    char buf[128], want[64];
    const char *file = marker_file(buf, sizeof buf);
    snprintf(want, sizeof want, "pid %d", (int)getpid());
    char *err = marker_error();
    CSM_CHECK(strcmp(file, want) == 0, "init's file %s holds \"%s\" (got \"%s\"%s%s)", marker_path, want, file,
              err && *err ? ", init said: " : "", err && *err ? err : "");
    free(err);

    CSM_CHECK(init_runs() == 101 && mark(0) == 1 && mark(1) == 1, "init ran once in all (markers %d and %d, InitRuns() = %d)", mark(0), mark(1),
              init_runs());
    return CSM_DONE();
}
