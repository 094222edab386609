/*
 * threads on Windows: threads made with CreateThread, which Go never created,
 * call into Go at the same time, and Go calls back into C through a function
 * pointer. Each C thread entering Go must get an M of its own (needm), and a
 * collection started by one of them must stop every other thread that is
 * inside Go at that moment. The host is linked against libthreads.dll (an
 * import), so the loader has run the DLL's initialization before main().
 */
#include "csm.h"

#include <windows.h>

#include "libthreads.h"

#define NTHREADS 8
#define NCALLS 1000

/* The value Work(thread, i) must return; the same formula as the Go side. */
static long long expected(int thread, int i) { return (long long)thread * 1000003LL + (long long)i * i; }

static int callback_calls;

static int triple_plus_one(int x) {
    __atomic_add_fetch(&callback_calls, 1, __ATOMIC_SEQ_CST);
    return 3 * x + 1;
}

/* Called by Go, calls Go again: C -> Go -> C -> Go on one stack. */
static int square_plus_one(int x) { return Square(x) + 1; }

struct worker {
    int index;
    int wrong;                /* calls whose return value was not expected() */
    int first_wrong;          /* the i of the first one, or -1 */
    long long first_got;      /* and what it returned */
    long long sum;            /* what the host expects Go's Total() to be */
    int applied;              /* ApplyTwice(triple_plus_one, index) from this thread */
};

/* The start line: a manual-reset event the main thread sets once every
 * worker exists, so the calls overlap. */
static HANDLE start_line;

static DWORD WINAPI work(LPVOID arg) {
    struct worker *w = arg;
    w->first_wrong = -1;
    WaitForSingleObject(start_line, INFINITE);
    for (int i = 0; i < NCALLS; i++) {
        long long want = expected(w->index, i);
        long long got = Work(w->index, i);
        w->sum += want;
        if (got != want && w->wrong++ == 0) {
            w->first_wrong = i;
            w->first_got = got;
        }
    }
    /* A callback from a thread Go knows only through needm. */
    w->applied = ApplyTwice(triple_plus_one, w->index);
    return 0;
}

int main(void) {
    /* Linked (an import of libthreads.dll): reaching main means the loader
     * loaded it and ran its initialization. */
    CSM_LOADED("threads");

    /* f(f(5)) with f(x) = 3x+1: 5 -> 16 -> 49, and the C function ran twice. */
    int r = ApplyTwice(triple_plus_one, 5);
    CSM_CHECK(r == 49, "ApplyTwice(triple_plus_one, 5) == 49 on the main thread (got %d)", r);
    int seen = __atomic_load_n(&callback_calls, __ATOMIC_SEQ_CST);
    CSM_CHECK(seen == 2, "the C callback ran twice (ran %d times)", seen);
    /* (3*3+1)^2+1: the callback itself called Square in Go. */
    r = ApplyTwice(square_plus_one, 3);
    CSM_CHECK(r == 101, "ApplyTwice(square_plus_one, 3) == 101, re-entering Go from the callback (got %d)", r);

    struct worker workers[NTHREADS] = {0};
    HANDLE tids[NTHREADS];
    start_line = CreateEventA(NULL, TRUE, FALSE, NULL);
    for (int k = 0; k < NTHREADS; k++) {
        workers[k].index = k;
        tids[k] = CreateThread(NULL, 0, work, &workers[k], 0, NULL);
        if (tids[k] == NULL) {
            CSM_CHECK(0, "CreateThread for thread %d (%s)", k, csm_win_error("CreateThread", GetLastError()));
            return CSM_DONE();
        }
    }
    SetEvent(start_line);
    WaitForMultipleObjects(NTHREADS, tids, TRUE, INFINITE);
    for (int k = 0; k < NTHREADS; k++) CloseHandle(tids[k]);
    CloseHandle(start_line);

    for (int k = 0; k < NTHREADS; k++) {
        struct worker *w = &workers[k];
        CSM_CHECK(w->wrong == 0, "thread %d: all %d Work calls returned the right value (%d wrong, first at i=%d: %lld)", k,
                  NCALLS, w->wrong, w->first_wrong, w->wrong ? w->first_got : 0LL);
        long long total = Total(k);
        CSM_CHECK(total == w->sum, "thread %d: Go's total == %lld (got %lld)", k, w->sum, total);
        int want = 3 * (3 * k + 1) + 1;
        CSM_CHECK(w->applied == want, "thread %d: ApplyTwice(triple_plus_one, %d) == %d (got %d)", k, k, want,
                  w->applied);
    }
    long long calls = Calls();
    CSM_CHECK(calls == (long long)NTHREADS * NCALLS, "Go counted %d Work calls (got %lld)", NTHREADS * NCALLS, calls);
    seen = __atomic_load_n(&callback_calls, __ATOMIC_SEQ_CST);
    CSM_CHECK(seen == 2 + 2 * NTHREADS, "the C callback ran %d times in all (ran %d)", 2 + 2 * NTHREADS, seen);

    return CSM_DONE();
}
