/*
 * small-stack: calls into Go from C stacks with little room left, and from
 * deep C recursion (golang/go#59294, #68285).
 *
 * A C thread that calls Go runs the runtime's own system-stack work (stack
 * growth, allocation, scheduling, a collection) on its C stack: that M's g0
 * stack *is* the C stack, and Go must know its bounds. It asks pthread
 * (pthread_getattr_np on glibc) and, when the answer does not contain SP,
 * guesses [SP-32K, SP+1K). #59294 was a callback from deeper than the bounds
 * an earlier, shallow call had recorded ("fatal: morestack on g0"); #68285
 * was wrong bounds on musl for threads whose stack is not the default size.
 *
 * The host dlopen()s libstack.so and calls Work (see stackgo/stack.go), whose
 * result it computes itself, from:
 *   - the main thread, shallow (the baseline), then from 1/4, 1/2, 3/4 and
 *     all of DEEP_MAIN deep in C recursion (a volatile FRAME-byte buffer in
 *     every frame), then shallow again;
 *   - a pthread with a 64 KiB stack (PTHREAD_STACK_MIN where that is larger:
 *     128 KiB on arm64, ppc64le and loong64 glibc), twice;
 *   - a second such pthread: shallow, then from LEFT_SMALL above the bottom
 *     of its stack (at or past the lower edge of a 32 KiB estimate made at
 *     the shallow call), then shallow again.
 * Threads run one after the other, so the output order is fixed. Before each
 * deep call a '#' line says how deep, so a crash shows where it happened.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "csm.h"
/* Included only for the prototype; the host dlopen()s the library. */
#include "libstack.h"

#define KiB ((size_t)1024)
#define FRAME 1024                  /* bytes of volatile buffer per C recursion frame */
#define WANT_SMALL (64 * KiB)       /* the small thread's stack, if pthread allows it */
#define DEEP_MAIN (4096 * KiB)      /* how deep the main thread goes: half the usual 8 MiB */
#define LEFT_SMALL (24 * KiB)       /* room left below the deep call on a small thread */
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
    size_t at;          /* bytes below the descent's top when Go was called */
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

/* The calling thread's stack as pthread (and so Go) sees it. */
static int stack_bounds(uintptr_t *lo, uintptr_t *hi) {
    pthread_attr_t a;
    void *addr;
    size_t size;
    if (pthread_getattr_np(pthread_self(), &a) != 0) return 0;
    int ok = pthread_attr_getstack(&a, &addr, &size) == 0;
    pthread_attr_destroy(&a);
    *lo = (uintptr_t)addr;
    *hi = (uintptr_t)addr + size;
    return ok;
}

struct small {
    int deep;
    uintptr_t lo, hi, top;
    int bounds;
    struct call first, second;      /* shallow calls: before and after the descent */
    struct descent d;
};

static void *small_thread(void *arg) {
    struct small *s = arg;
    volatile char here = 0;
    s->top = (uintptr_t)&here;
    s->bounds = stack_bounds(&s->lo, &s->hi);
    s->first.got = work(s->first.seed);
    s->first.done = 1;
    if (s->deep && s->bounds && s->top - s->lo > LEFT_SMALL + 2 * FRAME) {
        s->d.who = "small pthread";
        s->d.top = s->top;
        s->d.n = 1;
        s->d.depth[0] = s->top - s->lo - LEFT_SMALL;
        descend(&s->d, 0);
    }
    s->second.got = work(s->second.seed);
    s->second.done = 1;
    return NULL;
}

/* Run one small thread to its end; 0 if it could not be started. */
static int run_small(size_t size, struct small *s) {
    pthread_attr_t a;
    pthread_t t;
    pthread_attr_init(&a);
    int rc = pthread_attr_setstacksize(&a, size);
    if (rc == 0) rc = pthread_create(&t, &a, small_thread, s);
    pthread_attr_destroy(&a);
    if (rc != 0) {
        printf("# could not start a pthread with a %zu KiB stack: %s\n", size / KiB, strerror(rc));
        return 0;
    }
    pthread_join(t, NULL);
    return 1;
}

int main(void) {
    volatile char here = 0;
    void *h = dlopen(csm_lib("stack"), RTLD_NOW);
    if (!h) csm_load_failed("stack", dlerror());
    work = (__typeof__(work))dlsym(h, "Work");
    if (!work) csm_load_failed("stack", dlerror());
    CSM_LOADED("stack");

    /* The main thread, shallow: the baseline. */
    struct call base = {.seed = 1};
    base.got = work(base.seed);
    base.done = 1;
    CSM_CHECK(call_ok(&base), "main thread, shallow: Work returned the expected value (%lld)", base.got);

    /* The smallest stack pthread allows, 64 KiB where it may. */
    size_t small = WANT_SMALL;
    pthread_attr_t a;
    pthread_attr_init(&a);
    int rc = pthread_attr_setstacksize(&a, WANT_SMALL);
    pthread_attr_destroy(&a);
    if (rc != 0) {
        long min = sysconf(_SC_THREAD_STACK_MIN);
        small = min > 0 ? (size_t)min : (size_t)PTHREAD_STACK_MIN;
        printf("# pthread_attr_setstacksize(64 KiB): %s; PTHREAD_STACK_MIN here is %zu KiB, the small threads use that\n", strerror(rc), small / KiB);
    } else {
        printf("# pthread_attr_setstacksize(64 KiB) accepted (PTHREAD_STACK_MIN here is %ld KiB)\n", sysconf(_SC_THREAD_STACK_MIN) / 1024);
    }

    struct small one = {.deep = 0, .first = {.seed = 2}, .second = {.seed = 3}};
    int started = run_small(small, &one);
    if (one.bounds) printf("# small pthread 1: pthread_getattr_np gives a %zu KiB stack, entered %zu KiB below its top\n", (size_t)(one.hi - one.lo) / KiB, (size_t)(one.hi - one.top) / KiB);
    CSM_CHECK(started && call_ok(&one.first), "a pthread with a %zu KiB stack: Work returned the expected value", small / KiB);
    CSM_CHECK(started && call_ok(&one.second), "a pthread with a %zu KiB stack: a second Work from it returned the expected value", small / KiB);

    /* The main thread, deep. */
    struct rlimit rl;
    size_t deep = DEEP_MAIN;
    if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur / 2 < deep) deep = rl.rlim_cur / 2;
    uintptr_t lo = 0, hi = 0;
    int mb = stack_bounds(&lo, &hi);
    printf("# main thread: RLIMIT_STACK %s%lld KiB; pthread_getattr_np: %s %zu KiB stack, SP %zu KiB below its top; descending %zu KiB\n",
           rl.rlim_cur == RLIM_INFINITY ? "unlimited, " : "", rl.rlim_cur == RLIM_INFINITY ? -1LL : (long long)(rl.rlim_cur / 1024),
           mb ? "a" : "(failed)", (size_t)(hi - lo) / KiB, mb ? (size_t)(hi - (uintptr_t)&here) / KiB : 0, deep / KiB);
    struct descent md = {.who = "main thread", .top = (uintptr_t)&here, .n = MAX_CALLS};
    for (int i = 0; i < MAX_CALLS; i++) {
        md.depth[i] = deep * (size_t)(i + 1) / MAX_CALLS;
        md.calls[i].seed = 10 + i;
    }
    descend(&md, 0);
    for (int i = 0; i < MAX_CALLS; i++)
        CSM_CHECK(call_ok(&md.calls[i]), "main thread, %d/%d of %zu KiB deep in C recursion (%zu KiB): Work returned the expected value",
                  i + 1, MAX_CALLS, deep / KiB, md.calls[i].at / KiB);
    struct call again = {.seed = 20};
    again.got = work(again.seed);
    again.done = 1;
    CSM_CHECK(call_ok(&again), "main thread, shallow again after the deep calls: Work returned the expected value");

    /* A small pthread, deep: shallow first (the M and its bounds are kept), then near the bottom. */
    struct small two = {.deep = 1, .first = {.seed = 30}, .second = {.seed = 32}};
    two.d.calls[0].seed = 31;
    started = run_small(small, &two);
    if (two.bounds) printf("# small pthread 2: pthread_getattr_np gives a %zu KiB stack, entered %zu KiB below its top\n", (size_t)(two.hi - two.lo) / KiB, (size_t)(two.hi - two.top) / KiB);
    CSM_CHECK(started && call_ok(&two.first), "a second pthread with a %zu KiB stack, shallow: Work returned the expected value", small / KiB);
    CSM_CHECK(started && call_ok(&two.d.calls[0]), "the same pthread, %zu KiB deep in C recursion, about %zu KiB above the bottom of its stack: Work returned the expected value",
              two.d.calls[0].at / KiB, LEFT_SMALL / KiB);
    CSM_CHECK(started && call_ok(&two.second), "the same pthread, shallow again: Work returned the expected value");
    return CSM_DONE();
}
