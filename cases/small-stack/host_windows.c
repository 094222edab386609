/*
 * small-stack on Windows: calls into Go from threads with small stacks and
 * from deep C recursion (golang/go#59294, #68285 were the ELF side), with
 * CreateThread. A C thread that calls Go runs the runtime's own system-stack
 * work on its C stack (its M's g0), so Go must know the stack's bounds; on
 * Windows the runtime asks the OS about the stack the SP is in
 * (VirtualQuery), not pthread. The host calls Work (stackgo/stack.go), whose
 * result it computes itself, from:
 *   - the main thread, shallow, then from 1/4, 1/2, 3/4 and all of half its
 *     stack (GetCurrentThreadStackLimits; the executable's reserve, 2 MiB
 *     with mingw-w64's defaults) deep in C recursion, then shallow again;
 *   - a thread whose stack reserve is asked to be 64 KiB (CreateThread with
 *     STACK_SIZE_PARAM_IS_A_RESERVATION; Windows' allocation granularity),
 *     twice (under Wine it gets 1 MiB: see given());
 *   - a second such thread: shallow, then from LEFT_SMALL above the bottom of
 *     its stack, then shallow again.
 * Threads run one after the other, so the output order is fixed. Before each
 * deep call a '#' line says how deep, so a crash shows where it happened.
 */
#include "csm.h"

#include <stdint.h>
#include <string.h>
#include <windows.h>

/* Included only for the prototype; the host loads the DLL itself. */
#include "libstack.h"

#define KiB ((size_t)1024)
#define FRAME 1024             /* bytes of volatile buffer per C recursion frame */
#define WANT_SMALL (64 * KiB)  /* the small threads' stack reserve */
#define DEEP_MAIN (4096 * KiB) /* at most this deep on the main thread, and at most half its stack */
#define LEFT_SMALL (24 * KiB)  /* room left below the deep call on a small thread */
#define MAX_CALLS 4

static __typeof__(&Work) work;

/* What Work(seed) must return: the same sums as stack.go, computed here. */
static long long grow_sum(int n) {
    long long s = 0;
    for (int k = 1; k <= n; k++) s += k & 255;
    return s;
}
static long long expected(int seed) {
    char s[32];
    long long buf = 0;
    for (long i = 0; i < (1L << 20); i++) buf += (unsigned char)(i + seed);
    return grow_sum(2000) + grow_sum(500) + buf + snprintf(s, sizeof s, "%d-", seed) + 100;
}

struct call {
    int seed;
    size_t at; /* bytes below the descent's top when Go was called */
    long long got;
    int done;
};

/* A C recursion that calls Go once it is depth[i] bytes deep, for each i. */
struct descent {
    const char *who;
    uintptr_t top;
    int n, next;
    size_t depth[MAX_CALLS];
    struct call calls[MAX_CALLS];
};

static __attribute__((noinline)) long long descend(struct descent *d, unsigned level) {
    volatile char pad[FRAME];
    pad[0] = (char)level;
    pad[FRAME - 1] = (char)(level >> 3);
    size_t used = d->top - (uintptr_t)&pad[0];
    if (used >= d->depth[d->next]) {
        struct call *c = &d->calls[d->next++];
        c->at = used;
        printf("# %s: calling Go %zu KiB deep\n", d->who, used / KiB);
        c->got = work(c->seed);
        c->done = 1;
    }
    long long r = d->next < d->n ? descend(d, level + 1) : 0;
    return r + pad[0] + pad[FRAME - 1];
}

static int call_ok(const struct call *c) { return c->done && c->got == expected(c->seed); }

/* The calling thread's stack as Windows gives it: [lo, hi), the guard pages included. */
static void stack_bounds(uintptr_t *lo, uintptr_t *hi) {
    ULONG_PTR l = 0, h = 0;
    GetCurrentThreadStackLimits(&l, &h);
    *lo = (uintptr_t)l;
    *hi = (uintptr_t)h;
}

struct small {
    int deep;
    uintptr_t lo, hi, top;
    struct call first, second; /* shallow calls: before and after the descent */
    struct descent d;
};

static DWORD WINAPI small_thread(LPVOID arg) {
    struct small *s = arg;
    volatile char here = 0;
    s->top = (uintptr_t)&here;
    stack_bounds(&s->lo, &s->hi);
    s->first.got = work(s->first.seed);
    s->first.done = 1;
    if (s->deep && s->top - s->lo > LEFT_SMALL + 2 * FRAME) {
        s->d.who = "small thread";
        s->d.top = s->top;
        s->d.n = 1;
        s->d.depth[0] = s->top - s->lo - LEFT_SMALL;
        descend(&s->d, 0);
    }
    s->second.got = work(s->second.seed);
    s->second.done = 1;
    return 0;
}

/* Run one small thread to its end; 0 if it could not be started. */
static int run_small(size_t size, struct small *s) {
    HANDLE t = CreateThread(NULL, size, small_thread, s, STACK_SIZE_PARAM_IS_A_RESERVATION, NULL);
    if (t == NULL) {
        printf("# could not start a thread with a %zu KiB stack: %s\n", size / KiB, csm_win_error("CreateThread", GetLastError()));
        return 0;
    }
    WaitForSingleObject(t, INFINITE);
    CloseHandle(t);
    return 1;
}

/* The stack a small thread got, which is not always the one asked for: Wine
 * reserves at least 1 MiB for every thread (dlls/ntdll/unix/virtual.c,
 * "Xlib needs a large stack"); Windows reserves what was asked, rounded to
 * 64 KiB. The checks name the size given, a '#' line both. */
static size_t given(const struct small *s, int started) {
    size_t size = started ? (size_t)(s->hi - s->lo) : WANT_SMALL;
    printf("# a thread whose stack reserve was asked to be %zu KiB got %zu KiB, entered %zu KiB below its top\n", WANT_SMALL / KiB,
           size / KiB, started ? (size_t)(s->hi - s->top) / KiB : 0);
    return size / KiB;
}

static void small_threads(void) {
    struct small one = {.deep = 0, .first = {.seed = 2}, .second = {.seed = 3}};
    int started = run_small(WANT_SMALL, &one);
    size_t kib = given(&one, started);
    CSM_CHECK(started && call_ok(&one.first), "a thread with a %zu KiB stack: Work returned the expected value", kib);
    CSM_CHECK(started && call_ok(&one.second), "a thread with a %zu KiB stack: a second Work from it returned the expected value", kib);
}

static void main_deep(void) {
    volatile char here = 0;
    uintptr_t lo = 0, hi = 0;
    stack_bounds(&lo, &hi);
    size_t deep = DEEP_MAIN < (hi - lo) / 2 ? DEEP_MAIN : (hi - lo) / 2;
    printf("# main thread: a %zu KiB stack, SP %zu KiB below its top; descending %zu KiB\n", (size_t)(hi - lo) / KiB,
           (size_t)(hi - (uintptr_t)&here) / KiB, deep / KiB);
    struct descent md = {.who = "main thread", .top = (uintptr_t)&here, .n = MAX_CALLS};
    for (int i = 0; i < MAX_CALLS; i++) {
        md.depth[i] = deep * (size_t)(i + 1) / MAX_CALLS;
        md.calls[i].seed = 10 + i;
    }
    descend(&md, 0);
    for (int i = 0; i < MAX_CALLS; i++)
        CSM_CHECK(call_ok(&md.calls[i]), "main thread, %d/%d of %zu KiB deep in C recursion (%zu KiB): Work returned the expected value",
                  i + 1, MAX_CALLS, deep / KiB, md.calls[i].at / KiB);
}

int main(void) {
    HMODULE h = LoadLibraryA(csm_lib("stack"));
    if (!h) csm_load_failed("stack", csm_win_error("LoadLibrary", GetLastError()));
    work = (__typeof__(work))(void (*)(void))GetProcAddress(h, "Work");
    if (!work) csm_load_failed("stack", csm_win_error("GetProcAddress", GetLastError()));
    CSM_LOADED("stack");

    struct call base = {.seed = 1};
    base.got = work(base.seed);
    base.done = 1;
    CSM_CHECK(call_ok(&base), "main thread, shallow: Work returned the expected value (%lld)", base.got);

    small_threads();
    main_deep();
    struct call again = {.seed = 20};
    again.got = work(again.seed);
    again.done = 1;
    CSM_CHECK(call_ok(&again), "main thread, shallow again after the deep calls: Work returned the expected value");

    /* A small thread, deep: shallow first (the M and its bounds are kept), then near the bottom. */
    struct small two = {.deep = 1, .first = {.seed = 30}, .second = {.seed = 32}};
    two.d.calls[0].seed = 31;
    int started = run_small(WANT_SMALL, &two);
    size_t kib = given(&two, started);
    CSM_CHECK(started && call_ok(&two.first), "a second thread with a %zu KiB stack, shallow: Work returned the expected value", kib);
    CSM_CHECK(started && call_ok(&two.d.calls[0]), "the same thread, %zu KiB deep in C recursion, about %zu KiB above the bottom of its stack: Work returned the expected value",
              two.d.calls[0].at / KiB, LEFT_SMALL / KiB);
    CSM_CHECK(started && call_ok(&two.second), "the same thread, shallow again: Work returned the expected value");
    return CSM_DONE();
}
