/*
 * signals: a host with its own SIGSEGV and SIGIO handlers, installed before
 * the Go library is loaded, in the spirit of Go's testcshared main4.c and
 * main5.c. Loading a c-shared library installs Go's handlers for synchronous
 * signals (SIGSEGV among them) over the host's and keeps the host's to forward
 * to; asynchronous ones such as SIGIO are left alone until Go asks for them.
 *
 * The faults on C threads are real ones, a store to a PROT_NONE page, not
 * raise(SIGSEGV), because Go's handler tells the two apart by si_code. A
 * fault the kernel reports outside Go code is forwarded to the host's handler
 * with its siginfo, and one inside Go becomes a panic; a user-sent SIGSEGV
 * (kill(), or raise(), whose SI_TKILL Go also counts as user-sent) is never
 * forwarded as a fault: Go takes it, and on a C thread raises it again for the
 * host's handler (runtime.raisebadsignal). raise() would test that other path,
 * not the one a crash in C takes. The page also gives the handler a known
 * si_addr and si_code to check: the ones the first fault, before Go, reported.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "csm.h"
/* Included only for the prototypes; the host dlopen()s the library. */
#include "libsigs.h"

/* Go's own signal stacks are 32 KiB; a C handler gets at least as much. */
#define ALTSTACK_SIZE (64 * 1024)

static char main_altstack[ALTSTACK_SIZE];

/* The exports, found with dlsym; __typeof__ ties them to cgo's prototypes. */
static __typeof__(&Ping) ping;
static __typeof__(&RecoverNil) recover_nil;
static __typeof__(&CatchSIGIO) catch_sigio;
static __typeof__(&ResetSIGIO) reset_sigio;
static __typeof__(&SawSIGIO) saw_sigio;
static volatile char *guard_page;

static volatile sig_atomic_t sigio_seen;
static sigjmp_buf fault_jmp;
static void *volatile fault_addr;
static volatile int fault_code;

static void segv_handler(int sig, siginfo_t *info, void *ctx) {
    (void)ctx;
    fault_addr = info->si_addr;
    fault_code = info->si_code;
    /* sigsetjmp(…, 1) saved the mask, so this also unblocks SIGSEGV again. */
    siglongjmp(fault_jmp, sig);
}

static void io_handler(int sig, siginfo_t *info, void *ctx) {
    (void)sig;
    (void)info;
    (void)ctx;
    sigio_seen = 1;
}

static void install(int sig, void (*fn)(int, siginfo_t *, void *)) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    sigemptyset(&sa.sa_mask);
    /* SA_ONSTACK: Go requires it of non-Go handlers, which may run on a Go
     * thread's small goroutine stack otherwise. */
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    if (sigaction(sig, &sa, NULL) != 0) {
        perror("sigaction");
        exit(2);
    }
}

/* Whose handler is installed for sig right now. */
static void *current_handler(int sig) {
    struct sigaction sa;
    sigaction(sig, NULL, &sa);
    return (sa.sa_flags & SA_SIGINFO) ? (void *)sa.sa_sigaction : (void *)sa.sa_handler;
}

/* What this platform reports for the store before Go exists: every later
 * fault must reach the host's handler with the same siginfo. Most report the
 * exact address and SEGV_ACCERR; s390x reports only the page (its hardware
 * gives the kernel no more), and qemu-ppc64le 10.0 says SEGV_MAPERR. Those are
 * the platform's, not Go's, so the baseline is measured, not assumed. */
static int have_base;
static void *base_addr;
static int base_code;
static long page_size;

/* Store to the PROT_NONE page and report whether the host's handler caught
 * the fault with the siginfo the platform gave before Go was loaded. */
static void fault_on_this_thread(const char *where) {
    fault_addr = NULL;
    fault_code = 0;
    volatile char *target = guard_page + 16;
    int sig = sigsetjmp(fault_jmp, 1);
    if (sig == 0) {
        *target = 1;
        CSM_CHECK(0, "%s: a store to a PROT_NONE page faulted (it did not)", where);
        return;
    }
    if (!have_base) {
        have_base = 1;
        int on_page = (char *)fault_addr >= (char *)guard_page && (char *)fault_addr < (char *)guard_page + page_size;
        CSM_CHECK(sig == SIGSEGV && on_page,
                  "%s: SIGSEGV from a real fault reached the host's handler (signal %d, si_addr %p on the page at %p)", where,
                  sig, fault_addr, (void *)guard_page);
        if (fault_addr != (void *)target || fault_code != SEGV_ACCERR)
            printf("# this platform reports the store to %p as si_addr %p, si_code %d (not SEGV_ACCERR %d or not the exact address): "
                   "later faults must match it\n",
                   (void *)target, fault_addr, fault_code, SEGV_ACCERR);
        base_addr = fault_addr;
        base_code = fault_code;
        return;
    }
    CSM_CHECK(sig == SIGSEGV && fault_addr == base_addr && fault_code == base_code,
              "%s: SIGSEGV from a real fault reached the host's handler (signal %d, si_addr %p, want %p, si_code %d, want %d "
              "as before Go)",
              where, sig, fault_addr, base_addr, fault_code, base_code);
}

/* Wait up to 5 s for the host's SIGIO handler; raise() delivers to the calling
 * thread, but an emulator may take a moment to hand it over. */
static int wait_sigio(void) {
    struct timespec ms = {0, 1000000};
    for (int i = 0; i < 5000 && !sigio_seen; i++) nanosleep(&ms, NULL);
    return sigio_seen;
}

static void *thread_without_go(void *arg) {
    (void)arg;
    fault_on_this_thread("new thread that never called Go");
    return NULL;
}

static void *thread_after_go(void *arg) {
    (void)arg;
    int pong = ping();
    CSM_CHECK(pong == 42, "new thread: Ping() == 42 (got %d)", pong);
    fault_on_this_thread("new thread after calling Go");
    int r = recover_nil();
    CSM_CHECK(r == 1, "new thread: a nil dereference in Go became a recovered runtime panic (RecoverNil() == %d)", r);
    return NULL;
}

static void run_thread(void *(*fn)(void *)) {
    pthread_t t;
    int err = pthread_create(&t, NULL, fn, NULL);
    /* Only a failure is reported, so the thread's own lines are never
     * interleaved with this one and the numbering stays the same every run. */
    if (err != 0) {
        CSM_CHECK(0, "pthread_create (error %d)", err);
        return;
    }
    pthread_join(t, NULL);
}

int main(void) {
    /* The supervisor leaves the mask as docker exec set it; make sure neither
     * signal is blocked, or a "not delivered" would mean nothing. */
    sigset_t unblock;
    sigemptyset(&unblock);
    sigaddset(&unblock, SIGSEGV);
    sigaddset(&unblock, SIGIO);
    pthread_sigmask(SIG_UNBLOCK, &unblock, NULL);

    stack_t ss = {.ss_sp = main_altstack, .ss_size = sizeof main_altstack, .ss_flags = 0};
    if (sigaltstack(&ss, NULL) != 0) {
        perror("sigaltstack");
        return 2;
    }
    install(SIGSEGV, segv_handler);
    install(SIGIO, io_handler);

    page_size = sysconf(_SC_PAGESIZE);
    guard_page = mmap(NULL, (size_t)page_size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (guard_page == MAP_FAILED) {
        perror("mmap");
        return 2;
    }

    /* The same two signals before Go exists: if these fail, the platform (or
     * its emulator) is at fault, not Go. */
    fault_on_this_thread("main thread, before loading Go");
    raise(SIGIO);
    CSM_CHECK(wait_sigio(), "main thread, before loading Go: raise(SIGIO) reached the host's handler");

    void *handle = dlopen(csm_lib("sigs"), RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) csm_load_failed("sigs", dlerror());
    CSM_LOADED("sigs");

    ping = (__typeof__(ping))dlsym(handle, "Ping");
    recover_nil = (__typeof__(recover_nil))dlsym(handle, "RecoverNil");
    catch_sigio = (__typeof__(catch_sigio))dlsym(handle, "CatchSIGIO");
    reset_sigio = (__typeof__(reset_sigio))dlsym(handle, "ResetSIGIO");
    saw_sigio = (__typeof__(saw_sigio))dlsym(handle, "SawSIGIO");
    CSM_CHECK(ping && recover_nil && catch_sigio && reset_sigio && saw_sigio, "dlsym found all five exports");
    if (!(ping && recover_nil && catch_sigio && reset_sigio && saw_sigio)) return CSM_DONE();

    printf("# after dlopen: SIGSEGV handler is %s, SIGIO handler is %s\n",
           current_handler(SIGSEGV) == (void *)segv_handler ? "the host's" : "another (Go's)",
           current_handler(SIGIO) == (void *)io_handler ? "the host's" : "another (Go's)");
    CSM_CHECK(current_handler(SIGIO) == (void *)io_handler, "after dlopen: the host's SIGIO handler is still installed");

    fault_on_this_thread("main thread, before calling Go");
    int pong = ping();
    CSM_CHECK(pong == 42, "main thread: Ping() == 42 (got %d)", pong);
    fault_on_this_thread("main thread, after calling Go");
    run_thread(thread_without_go);
    run_thread(thread_after_go);

    int r = recover_nil();
    CSM_CHECK(r == 1, "main thread: a nil dereference in Go became a recovered runtime panic (RecoverNil() == %d)", r);
    fault_on_this_thread("main thread, after Go recovered a panic");

    sigio_seen = 0;
    raise(SIGIO);
    CSM_CHECK(wait_sigio(), "before Notify: raise(SIGIO) reached the host's handler");

    /* While Go has SIGIO, the signal is Go's alone (main5.c's check). */
    catch_sigio();
    CSM_CHECK(current_handler(SIGIO) != (void *)io_handler, "after signal.Notify(SIGIO): Go's handler is installed");
    sigio_seen = 0;
    raise(SIGIO);
    int go_saw = saw_sigio(5000);
    CSM_CHECK(go_saw, "after signal.Notify(SIGIO): raise(SIGIO) reached Go's channel");
    CSM_CHECK(!sigio_seen, "after signal.Notify(SIGIO): the host's handler did not see it");

    /* Reset puts back the handler Go found when it took SIGIO over. */
    reset_sigio();
    CSM_CHECK(current_handler(SIGIO) == (void *)io_handler, "after signal.Reset(SIGIO): the host's handler is reinstalled");
    sigio_seen = 0;
    raise(SIGIO);
    CSM_CHECK(wait_sigio(), "after signal.Reset(SIGIO): raise(SIGIO) reached the host's handler again");
    go_saw = saw_sigio(100);
    CSM_CHECK(!go_saw, "after signal.Reset(SIGIO): Go's channel got nothing");

    return CSM_DONE();
}
