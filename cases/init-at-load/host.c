/*
 * init-at-load: does loading a Go library start its package init by itself,
 * with no call into Go?
 *
 * golang/go#75949 ("windows.LoadLibrary no longer triggers init functions of
 * Go DLLs", Go 1.25, real Windows): a loader called LoadLibrary and then
 * blocked at once waiting for input (fmt.Scanln), and the DLL's init did not
 * run until the input came. A c-shared library's loader hook only starts a
 * thread that initializes the runtime and runs init (rt0_*_lib, on Windows
 * from the DLL's constructors, on Linux from DT_INIT_ARRAY), so whether init
 * has *finished* when LoadLibrary/dlopen returns is a race by design
 * (golang/go#12639, the init-before-call case): it is reported on a '#' line,
 * not checked. What is checked is the thread's claim: with the loading thread
 * blocked in a read and nothing calling into Go, init runs, and runs once.
 *
 * The library exports its marker as C data (initgo/marker.go), so reading it
 * never enters Go. The same source is the host on every row: the few calls
 * that differ are wrapped below.
 */
#include <stdio.h>
#include <stdlib.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <dlfcn.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#endif

#include "csm.h"

/* How long init is given to show, in 1 ms naps: it took at most 65 ms under Wine and
 * on amd64-glibc (cases/windows-go-releases.md); the rest is for emulated rows. */
#define WAIT_MS 5000

static volatile int *mark;
static int (*init_runs)(void);

#ifdef _WIN32
static long long now_us(void) {
    LARGE_INTEGER f, c;
    QueryPerformanceFrequency(&f);
    QueryPerformanceCounter(&c);
    return (long long)(c.QuadPart * 1000000.0 / f.QuadPart);
}
static void nap_ms(int ms) { Sleep(ms); }
static void *load(const char *path) { return (void *)LoadLibraryA(path); }
static void *sym(void *h, const char *name) { return (void *)GetProcAddress((HMODULE)h, name); }
static const char *load_error(void) {
    static char buf[64];
    snprintf(buf, sizeof buf, "LoadLibrary failed, error %lu", GetLastError());
    return buf;
}
static void end_process(int code) { ExitProcess((UINT)code); }
#else
static long long now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}
static void nap_ms(int ms) { usleep((useconds_t)ms * 1000); }
static void *load(const char *path) { return dlopen(path, RTLD_NOW); }
static void *sym(void *h, const char *name) { return dlsym(h, name); }
static const char *load_error(void) { return dlerror(); }
static void end_process(int code) { exit(code); }
#endif

static int mark_now(void) { return __atomic_load_n(mark, __ATOMIC_ACQUIRE); }

/* Runs while the loading thread is blocked; it ends the process, since nothing ever
 * unblocks that thread. */
static void watch(void) {
    long long start = now_us();
    int naps = 0;
    while (!mark_now() && naps < WAIT_MS) {
        nap_ms(1);
        naps++;
    }
    long long waited = now_us() - start;
    CSM_CHECK(mark_now() == 1, "with no call into Go, init ran while the loading thread was blocked in a read (mark %d, %lld ms after the load returned)",
              mark_now(), waited / 1000);
    int runs = init_runs();
    CSM_CHECK(runs == 1 && mark_now() == 1, "then InitRuns() == 1: init ran once (returned %d, mark %d)", runs, mark_now());
    end_process(CSM_DONE());
}

#ifdef _WIN32
static DWORD WINAPI watcher(LPVOID arg) {
    (void)arg;
    watch();
    return 0;
}
/* A pipe whose write end stays open: the read blocks for good, as a loader waiting for input does. */
static void block_in_read(void) {
    HANDLE rd, wr;
    char c;
    DWORD n;
    if (!CreatePipe(&rd, &wr, NULL, 0)) csm_load_failed("initgo", "CreatePipe failed");
    if (!CreateThread(NULL, 0, watcher, NULL, 0, NULL)) csm_load_failed("initgo", "CreateThread failed");
    ReadFile(rd, &c, 1, &n, NULL);
}
#else
static void *watcher(void *arg) {
    (void)arg;
    watch();
    return NULL;
}
static void block_in_read(void) {
    int fds[2];
    pthread_t t;
    char c;
    if (pipe(fds) != 0) csm_load_failed("initgo", "pipe failed");
    if (pthread_create(&t, NULL, watcher, NULL) != 0) csm_load_failed("initgo", "pthread_create failed");
    while (read(fds[0], &c, 1) != 0) {
    }
}
#endif

int main(void) {
    long long t0 = now_us();
    void *h = load(csm_lib("initgo"));
    if (!h) csm_load_failed("initgo", load_error());
    mark = (volatile int *)sym(h, "csm_init_mark");
    int at_return = mark ? mark_now() : -1;
    long long took = now_us() - t0;
    init_runs = (int (*)(void))sym(h, "InitRuns");
    if (!mark || !init_runs) csm_load_failed("initgo", "csm_init_mark or InitRuns is not exported");
    CSM_LOADED("initgo");
    printf("# right after the load returned (it took %lld us): init %s\n", took, at_return ? "had run" : "had not run yet");
    block_in_read();
    printf("# the read returned: nothing should have written to the pipe\n");
    return 1;
}
