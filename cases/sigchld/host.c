/*
 * sigchld: a host with its own SIGCHLD handler, installed before the Go
 * library is loaded, as servers and interpreters that manage children do.
 * golang/go#13042 (fixed in Go 1.6): a c-shared runtime took SIGCHLD and
 * crashed. Since then a c-shared runtime installs handlers only for the
 * synchronous signals, SIGPIPE and its preemption signal, so SIGCHLD stays the
 * host's, wherever it lands: with goroutines running, the kernel may deliver
 * it to a thread Go created. The handler uses SA_ONSTACK, as os/signal
 * requires of non-Go handlers (see the sa-onstack case).
 *
 * The handler reaps only the host's own children (by pid, WNOHANG), so that
 * Go's os/exec, run meanwhile, still waits for its own child: a handler that
 * reaps with waitpid(-1) would take Go's child from it (Wait: ECHILD), which
 * is the host's bug, not Go's.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "csm.h"
/* Included only for the prototypes; the host dlopen()s the library. */
#include "libchld.h"

#define CHILDREN 20

static __typeof__(&StartBackground) start_background;
static __typeof__(&Ticks) ticks;
static __typeof__(&RunChild) run_child;

static pid_t kids[CHILDREN];
static volatile sig_atomic_t statuses[CHILDREN];
static volatile sig_atomic_t reaped, deliveries, foreign_thread;
static pthread_t main_thread;

static void on_sigchld(int sig, siginfo_t *info, void *ctx) {
    (void)sig, (void)info, (void)ctx;
    int saved = errno;
    deliveries++;
    if (!pthread_equal(pthread_self(), main_thread)) foreign_thread = 1;
    for (int i = 0; i < CHILDREN; i++) {
        int st;
        if (kids[i] > 0 && waitpid(kids[i], &st, WNOHANG) == kids[i]) {
            statuses[i] = WIFEXITED(st) ? WEXITSTATUS(st) : 1000;
            kids[i] = -kids[i];
            reaped++;
        }
    }
    errno = saved;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Go's own child, from another C thread, while the host's children exit. */
static void *go_exec(void *arg) {
    *(int *)arg = run_child(7);
    return NULL;
}

int main(void) {
    main_thread = pthread_self();
    static char altstack[64 * 1024];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack};
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigchld;
    sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK | SA_NOCLDSTOP;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGCHLD, &sa, NULL) != 0) return 2;

    void *h = dlopen(csm_lib("chld"), RTLD_NOW);
    if (!h) csm_load_failed("chld", dlerror());
    start_background = (__typeof__(start_background))dlsym(h, "StartBackground");
    ticks = (__typeof__(ticks))dlsym(h, "Ticks");
    run_child = (__typeof__(run_child))dlsym(h, "RunChild");
    if (!start_background || !ticks || !run_child) csm_load_failed("chld", dlerror());
    CSM_LOADED("chld");

    struct sigaction now_sa;
    sigaction(SIGCHLD, NULL, &now_sa);
    CSM_CHECK(now_sa.sa_sigaction == on_sigchld, "after dlopen: SIGCHLD is still the host's handler (go#13042)");

    start_background(4);
    const char *limit = getenv("CSM_TIMEOUT_MS");
    double seconds = (limit && atof(limit) > 0 ? atof(limit) : 20000) / 1000;
    double until = now() + 0.2 * seconds;
    while (ticks() < 50 && now() < until) usleep(1000);

    int go_status = -2;
    pthread_t t;
    pthread_create(&t, NULL, go_exec, &go_status);
    for (int i = 0; i < CHILDREN; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            usleep(1000 * (i % 5));
            _exit(i + 10);
        }
        kids[i] = pid;
    }
    /* A child that exited before its pid was stored is reaped at the next delivery; a SIGCHLD sent to the process every 20 ms makes sure there is one (the handler still does the reaping). */
    until = now() + 0.5 * seconds;
    for (int n = 0; reaped < CHILDREN && now() < until; n++) {
        usleep(1000);
        if (n % 20 == 19) kill(getpid(), SIGCHLD);
    }
    pthread_join(t, NULL);

    int right = 0;
    for (int i = 0; i < CHILDREN; i++) right += statuses[i] == i + 10;
    printf("# %d SIGCHLD deliveries for %d children, %s\n", (int)deliveries, CHILDREN,
           foreign_thread ? "some on threads other than main (Go's)" : "all on the main thread");
    CSM_CHECK(reaped == CHILDREN && right == CHILDREN, "the host's SIGCHLD handler reaped all %d of its children, each with its exit code (%d right)", CHILDREN, right);
    CSM_CHECK(go_status == 7, "Go's os/exec, meanwhile, waited for its own child and saw its exit code 7 (got %d)", go_status);
    CSM_CHECK(ticks() > 50, "Go's goroutines ran throughout");
    return CSM_DONE();
}
