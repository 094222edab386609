/*
 * init-before-call on Windows: host.c's question and checks with LoadLibrary,
 * CreateThread and QueryPerformanceCounter. Since Go 1.25 LoadLibrary no
 * longer waits for the Go runtime to initialize (golang/go#75949), so what the
 * host sees right after it returns is reported, as on ELF, and only what
 * follows the first exported call is checked. The library finds the host's
 * marker globals by name (the executable exports them), as PE has no weak
 * references to an executable's data. From host.c:
 *
 * is a Go library's initialization finished when dlopen()
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
#include "csm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

/* Set by the library (see initgo.go), which finds them with GetProcAddress. */
__declspec(dllexport) volatile int csm_init_mark[2];
__declspec(dllexport) volatile long long csm_init_ns[2];
__declspec(dllexport) volatile long csm_init_tid[2];

/* The library's exports, typed by hand: libinitgo.h repeats the library's weak
 * declarations of the globals above, which would make these definitions weak. */
typedef int (*init_runs_fn)(void);
typedef char *(*marker_error_fn)(void);
static init_runs_fn init_runs;

/* The library's clock (initgo.go's csm_now_ns), computed the same way. */
static long long now_ns(void) {
    LARGE_INTEGER t, f;
    QueryPerformanceCounter(&t);
    QueryPerformanceFrequency(&f);
    return (long long)((double)t.QuadPart * 1e9 / (double)f.QuadPart);
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

static DWORD WINAPI second_thread(LPVOID arg) {
    first_call((struct first_call *)arg);
    return 0;
}

/* This thread's first call and a new thread's, at once; 0 if the thread could not start. */
static int both_first_calls(struct first_call *mine, struct first_call *other) {
    HANDLE t = CreateThread(NULL, 0, second_thread, other, 0, NULL);
    first_call(mine);
    if (t == NULL) return 0;
    WaitForSingleObject(t, INFINITE);
    CloseHandle(t);
    return 1;
}

static double ms(long long ns) { return (double)ns / 1e6; }

int main(void) {
    const char *dir = getenv("INIT_MARKER_DIR");
    snprintf(marker_path, sizeof marker_path, "%s/init-before-call.marker", dir ? dir : "/nonexistent");
    long dlopen_tid = (long)GetCurrentThreadId();

    long long before = now_ns();
    HMODULE h = LoadLibraryA(csm_lib("initgo"));
    DWORD load_error = GetLastError();
    long long opened = now_ns();
    /* The observation right after dlopen(), before anything else runs here. */
    int early0 = mark(0), late0 = mark(1);
    char buf0[128];
    const char *file0 = marker_file(buf0, sizeof buf0);
    if (!h) csm_load_failed("initgo", csm_win_error("LoadLibrary", load_error));
    init_runs = (init_runs_fn)(void (*)(void))GetProcAddress(h, "InitRuns");
    marker_error_fn marker_error = (marker_error_fn)(void (*)(void))GetProcAddress(h, "MarkerError");
    if (!init_runs || !marker_error) csm_load_failed("initgo", csm_win_error("GetProcAddress", GetLastError()));
    CSM_LOADED("initgo");

    printf("# right after LoadLibrary: early marker %s, late marker %s, file %s (LoadLibrary took %.2f ms)\n",
           early0 ? "present" : "absent", late0 ? "present" : "absent", strcmp(file0, "absent") ? "present" : "absent",
           ms(opened - before));

    /* Two first calls at once: this thread's, and a new C thread's. */
    struct first_call main_call = {0}, other_call = {0};
    long long started = now_ns();
    int threaded = both_first_calls(&main_call, &other_call);

    /* When each marker was set, relative to LoadLibrary returning (negative: while it still ran). */
    if (mark(0)) printf("# early marker set %+.2f ms after LoadLibrary returned, on %s\n", ms(csm_init_ns[0] - opened),
                        csm_init_tid[0] == dlopen_tid ? "the thread that called LoadLibrary" : "another thread");
    if (mark(1)) printf("# late marker set %+.2f ms after LoadLibrary returned, on %s\n", ms(csm_init_ns[1] - opened),
                        csm_init_tid[1] == dlopen_tid ? "the thread that called LoadLibrary" : "another thread");
    printf("# the first call returned %.2f ms after it was made\n", ms(main_call.done_ns - started));

    CSM_CHECK(main_call.early == 1 && main_call.late == 1,
              "once the first call (from the thread that called LoadLibrary) returned, init's markers are set (early %d, late %d)",
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
    snprintf(want, sizeof want, "pid %lu", (unsigned long)GetCurrentProcessId());
    char *err = marker_error();
    CSM_CHECK(strcmp(file, want) == 0, "init's file %s holds \"%s\" (got \"%s\"%s%s)", marker_path, want, file,
              err && *err ? ", init said: " : "", err && *err ? err : "");
    free(err);

    CSM_CHECK(init_runs() == 101 && mark(0) == 1 && mark(1) == 1, "init ran once in all (markers %d and %d, InitRuns() = %d)", mark(0), mark(1),
              init_runs());
    return CSM_DONE();
}
