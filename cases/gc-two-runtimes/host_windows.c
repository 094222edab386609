/*
 * gc-two-runtimes on Windows: host.c with LoadLibrary, CreateThread and
 * QueryPerformanceCounter; the checks are the same. From host.c:
 *
 * two Go libraries, each with a Go runtime of its own, in one
 * process, both allocating and collecting at once from several C threads
 * (golang/go#18976: "We do not support multiple Go runtimes in a single
 * process"; #65050: "Using multiple c-shared libraries in the same process is
 * never really supported").
 *
 * The host dlopen()s libalpha and libbeta and starts four pthreads, two per
 * library. Each calls its library's Churn in a loop: 200 nodes (a slice and a
 * map of 32-256 values) per call, each put in a live set shared by the
 * library's threads in place of an older node that is checked first, with
 * 16-64 KiB of garbage per node (so the runtimes also start cycles of their
 * own), and runtime.GC() after every 50. A thread stops after 2 s of wall clock once it
 * made at least MIN_CALLS calls, and in any case at a quarter of the host's own
 * time limit (CSM_TIMEOUT_MS, emulation included).
 *
 * Checked: every call's checksum against the same sequence computed in C;
 * each runtime's counters (calls, sum of checksums) against what the host
 * counted for that library alone; no live node corrupted; each runtime ran
 * its own forced collections.
 */
#include "csm.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

#define THREADS 4
#define ITERS 200
#define GC_EVERY 50
#define MIN_CALLS 10
#define WALL_SECONDS 2.0

typedef unsigned long long (*churn_fn)(unsigned long long, int, int);
typedef void (*stats_fn)(unsigned long long *);

struct lib {
    const char *name;
    churn_fn churn;
    stats_fn stats;
};

struct worker {
    int index;
    struct lib *lib;
    double wall, hard;       /* seconds */
    long long calls, wrong;  /* calls made, and returned checksums that differ from C's */
    unsigned long long sum;  /* of every checksum returned */
    double seconds;
};

static double now(void) {
    LARGE_INTEGER t, f;
    QueryPerformanceCounter(&t);
    QueryPerformanceFrequency(&f);
    return (double)t.QuadPart / (double)f.QuadPart;
}

static uint64_t next(uint64_t x) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
}

/* What Churn(seed, iters, ·) must return: the same walk as in alpha.go. */
static uint64_t expected(uint64_t seed, int iters) {
    uint64_t x = seed | 1, total = 0;
    for (int i = 0; i < iters; i++) {
        x = next(x);
        int n = 32 + (int)(x % 225);
        for (int j = 0; j < n; j++) {
            x = next(x);
            total += x;
        }
    }
    return total;
}

static DWORD WINAPI work(LPVOID arg) {
    struct worker *w = arg;
    double start = now();
    for (;;) {
        double t = now() - start;
        if (t >= w->hard || (t >= w->wall && w->calls >= MIN_CALLS)) break;
        uint64_t seed = ((uint64_t)(w->index + 1) << 40) ^ ((uint64_t)w->calls * 0x9E3779B97F4A7C15ULL);
        unsigned long long got = w->lib->churn(seed, ITERS, GC_EVERY);
        if (got != expected(seed, ITERS)) w->wrong++;
        w->sum += got;
        w->calls++;
    }
    w->seconds = now() - start;
    return 0;
}

static void open_lib(struct lib *l, const char *name, const char *churn, const char *stats) {
    HMODULE h = LoadLibraryA(csm_lib(name));
    if (!h) csm_load_failed(name, csm_win_error("LoadLibrary", GetLastError()));
    l->name = name;
    l->churn = (churn_fn)(void (*)(void))GetProcAddress(h, churn);
    l->stats = (stats_fn)(void (*)(void))GetProcAddress(h, stats);
    if (!l->churn || !l->stats) csm_load_failed(name, csm_win_error("GetProcAddress", GetLastError()));
}

int main(void) {
    const char *limit = getenv("CSM_TIMEOUT_MS");
    double budget = (limit && atof(limit) > 0 ? atof(limit) : 30000) / 1000 / 4;
    struct lib libs[2];
    open_lib(&libs[0], "alpha", "AlphaChurn", "AlphaStats");
    open_lib(&libs[1], "beta", "BetaChurn", "BetaStats");
    CSM_LOADED("alpha beta");

    struct worker w[THREADS];
    HANDLE t[THREADS];
    int started[THREADS];
    for (int i = 0; i < THREADS; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].index = i;
        w[i].lib = &libs[i % 2];
        w[i].wall = WALL_SECONDS < budget ? WALL_SECONDS : budget;
        w[i].hard = budget;
        t[i] = CreateThread(NULL, 0, work, &w[i], 0, NULL);
        started[i] = t[i] != NULL;
    }
    for (int i = 0; i < THREADS; i++)
        if (started[i] && WaitForSingleObject(t[i], INFINITE) == WAIT_OBJECT_0) CloseHandle(t[i]);

    for (int i = 0; i < THREADS; i++) {
        printf("# thread %d (%s): %lld calls, %lld forced collections, in %.2f s\n", i, w[i].lib->name, w[i].calls,
               w[i].calls * (ITERS / GC_EVERY), w[i].seconds);
        CSM_CHECK(started[i] && w[i].calls >= MIN_CALLS, "thread %d (%s) made at least %d calls before its time was up (%lld)", i,
                  w[i].lib->name, MIN_CALLS, w[i].calls);
        CSM_CHECK(started[i] && w[i].wrong == 0, "thread %d (%s): every checksum equals C's (%lld of %lld differ)", i, w[i].lib->name,
                  w[i].wrong, w[i].calls);
    }

    unsigned long long st[2][8];
    for (int l = 0; l < 2; l++) {
        libs[l].stats(st[l]);
        long long calls = 0, most = 0;
        unsigned long long sum = 0;
        for (int i = l; i < THREADS; i += 2) {
            calls += w[i].calls;
            sum += w[i].sum;
            long long f = w[i].calls * (ITERS / GC_EVERY);
            if (f > most) most = f;
        }
        const char *n = libs[l].name;
        printf("# %s's runtime: NumGC %llu, NumForcedGC %llu, HeapSys %llu KiB, a new heap object at 0x%llx\n", n, st[l][4], st[l][5],
               st[l][7] / 1024, st[l][6]);
        CSM_CHECK(st[l][0] == (unsigned long long)calls, "%s's runtime counted the calls its two threads made (%llu, host %lld)", n, st[l][0],
                  calls);
        CSM_CHECK(st[l][3] == sum, "%s's runtime's sum of checksums equals the host's for its threads", n);
        CSM_CHECK(st[l][1] == (unsigned long long)calls * (ITERS / GC_EVERY),
                  "%s called runtime.GC() as often as its calls say (%llu, want %lld)", n, st[l][1], calls * (ITERS / GC_EVERY));
        CSM_CHECK(st[l][2] == 0, "%s's live nodes were intact after every collection (%llu corrupted)", n, st[l][2]);
        /* Concurrent runtime.GC() calls may share a cycle; one thread's calls never do. */
        CSM_CHECK(st[l][5] >= (unsigned long long)most && st[l][5] <= st[l][1] && st[l][4] >= st[l][5],
                  "%s's own runtime ran the forced cycles: NumForcedGC %llu is between one thread's %lld and all %llu, NumGC %llu", n, st[l][5],
                  most, st[l][1], st[l][4]);
    }
    return CSM_DONE();
}
