/*
 * sa-onstack: a host that installs its own handler for a signal Go also
 * handles, after the Go library is loaded, and chains to Go's handler from it,
 * as crash reporters and language runtimes do. SIGURG is Go's preemption
 * signal; a c-shared library's runtime installs a handler for it (and for the
 * synchronous signals and SIGPIPE), so the host's sigaction() returns Go's.
 *
 * os/signal documents the rule: non-Go code that installs signal handlers
 * must use SA_ONSTACK, or the program is likely to crash when the signal
 * arrives. A handler without it runs on whatever stack the thread was on, a
 * goroutine's when Go code was running; Go's handler, reached through the
 * chain, finds itself off its signal stack and throws "non-Go code set up
 * signal handler without SA_ONSTACK flag". With SA_ONSTACK both run on the
 * thread's alternate stack, which Go set up, and all is well.
 *
 * The two ways are two children, forked before anything is loaded (so no Go
 * runtime is ever forked: that is the fork case's question). Each dlopen()s
 * the library, installs the chaining handler, calls into Go, and Go sends its
 * own thread SIGURG 100 times. A child reports through a pipe; the parent
 * alone prints the checks, so the protocol's counts stay one process's.
 */
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "csm.h"
/* Included only for the prototype; the children dlopen() the library. */
#include "liburg.h"

#define SIGNALS 100
#define GO_THROW "non-Go code set up signal handler without SA_ONSTACK flag"

static struct sigaction go_action;
static volatile sig_atomic_t handled;

static void chain(int sig, siginfo_t *info, void *ctx) {
    handled++;
    if (go_action.sa_flags & SA_SIGINFO)
        go_action.sa_sigaction(sig, info, ctx);
    else if (go_action.sa_handler != SIG_DFL && go_action.sa_handler != SIG_IGN)
        go_action.sa_handler(sig);
}

static void report(int fd, const char *fmt, ...) {
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (write(fd, line, n > 0 && n < (int)sizeof line ? (size_t)n : strlen(line)) < 0) _exit(4);
}

/* One child: load, take over SIGURG (with or without SA_ONSTACK), run Go. Reports "loaded", "go-handler Y|N", "handled H sent S". */
static void child(int out, int onstack) {
    void *h = dlopen(csm_lib("urg"), RTLD_NOW);
    if (!h) {
        report(out, "load-failed %s\n", dlerror());
        _exit(3);
    }
    __typeof__(&RaiseWhileInGo) raise_in_go = (__typeof__(&RaiseWhileInGo))dlsym(h, "RaiseWhileInGo");
    if (!raise_in_go) {
        report(out, "load-failed %s\n", dlerror());
        _exit(3);
    }
    report(out, "loaded\n");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = chain;
    sa.sa_flags = SA_SIGINFO | SA_RESTART | (onstack ? SA_ONSTACK : 0);
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGURG, &sa, &go_action) != 0) _exit(5);
    int go_had_one = (go_action.sa_flags & SA_SIGINFO) ? go_action.sa_sigaction != NULL
                                                         : go_action.sa_handler != SIG_DFL && go_action.sa_handler != SIG_IGN;
    report(out, "go-handler %c\n", go_had_one ? 'Y' : 'N');
    int sent = raise_in_go(SIGNALS);
    report(out, "handled %d sent %d\n", (int)handled, sent);
    _exit(0);
}

struct outcome {
    char report[2048];
    char err[16384];
    int status;
    int hung;
};

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Append what fd has to buf (keeping the first cap-1 bytes); false at its end. */
static int take(int fd, char *buf, size_t cap, size_t *n) {
    char chunk[4096];
    ssize_t r = read(fd, chunk, sizeof chunk);
    if (r <= 0) return 0;
    size_t k = (size_t)r < cap - 1 - *n ? (size_t)r : cap - 1 - *n;
    memcpy(buf + *n, chunk, k);
    *n += k;
    buf[*n] = 0;
    return 1;
}

/* Fork a child, read its report and stderr until both end or the deadline (a child still running then is killed: hung), reap it. */
static void run_child(int onstack, double seconds, struct outcome *o) {
    int rep[2], err[2];
    if (pipe(rep) != 0 || pipe(err) != 0) exit(2);
    pid_t pid = fork();
    if (pid < 0) exit(2);
    if (pid == 0) {
        close(rep[0]);
        close(err[0]);
        dup2(err[1], 2);
        child(rep[1], onstack);
    }
    close(rep[1]);
    close(err[1]);
    size_t nr = 0, ne = 0;
    o->report[0] = o->err[0] = 0;
    o->hung = 0;
    struct pollfd fds[2] = {{.fd = rep[0], .events = POLLIN}, {.fd = err[0], .events = POLLIN}};
    double deadline = now() + seconds;
    while (fds[0].fd >= 0 || fds[1].fd >= 0) {
        int left = (int)((deadline - now()) * 1000);
        if (left <= 0) {
            o->hung = 1;
            break;
        }
        if (poll(fds, 2, left) < 0 && errno != EINTR) break;
        if (fds[0].revents && !take(rep[0], o->report, sizeof o->report, &nr)) fds[0].fd = -1;
        if (fds[1].revents && !take(err[0], o->err, sizeof o->err, &ne)) fds[1].fd = -1;
    }
    if (o->hung) kill(pid, SIGKILL);
    close(rep[0]);
    close(err[0]);
    waitpid(pid, &o->status, 0);
}

static const char *status_text(const struct outcome *o, char *buf, size_t cap) {
    int status = o->status;
    if (o->hung) snprintf(buf, cap, "hung, killed at its deadline");
    else if (WIFEXITED(status)) snprintf(buf, cap, "exit %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status)) snprintf(buf, cap, "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
    else snprintf(buf, cap, "status %#x", status);
    return buf;
}

static void relay(const char *who, const struct outcome *o) {
    if (o->err[0]) fprintf(stderr, "--- stderr of the child %s ---\n%s\n--- end ---\n", who, o->err);
}

int main(void) {
    struct outcome with, without;
    char st[128];
    /* The child with SA_ONSTACK may take a quarter of the host's own limit (CSM_TIMEOUT_MS, emulation included). */
    const char *limit = getenv("CSM_TIMEOUT_MS");
    double seconds = 0.25 * (limit && atof(limit) > 0 ? atof(limit) : 30000) / 1000;
    run_child(1, seconds, &with);
    relay("with SA_ONSTACK", &with);
    const char *failed = strstr(with.report, "load-failed ");
    if (failed) {
        char why[2048];
        snprintf(why, sizeof why, "%s", failed + strlen("load-failed "));
        why[strcspn(why, "\n")] = 0;
        csm_load_failed("urg", why);
    }
    CSM_LOADED("urg");
    int handled = -1, sent = -1;
    const char *h = strstr(with.report, "handled ");
    if (h) sscanf(h, "handled %d sent %d", &handled, &sent);
    printf("# with SA_ONSTACK: %s, %d of %d SIGURGs sent from Go, %d reached the host's handler (more: the runtime's own preemption requests)\n", status_text(&with, st, sizeof st), sent, SIGNALS, handled);
    CSM_CHECK(strstr(with.report, "go-handler Y") != NULL, "the handler sigaction() replaced for SIGURG was Go's (a c-shared runtime installs one for its preemption signal)");
    /* At least: the runtime sends SIGURG itself too (preemption requests from sysmon and the GC), and those reach the chain as well. */
    CSM_CHECK(WIFEXITED(with.status) && WEXITSTATUS(with.status) == 0 && sent == SIGNALS && handled >= SIGNALS,
              "with SA_ONSTACK: %d SIGURGs sent while Go code ran reached the host's handler, which chained to Go's, and the process lived", SIGNALS);

    /*
     * A fiftieth for the child without SA_ONSTACK: a hang is one of the ends
     * its check accepts (the # line says which), so its deadline decides no
     * verdict; a quarter made each hang under qemu cost its cell ~30 s.
     */
    run_child(0, seconds / 50, &without);
    relay("without SA_ONSTACK", &without);
    printf("# without SA_ONSTACK: %s, %s\n", status_text(&without, st, sizeof st), strstr(without.report, "handled ") ? "it finished" : "before Go returned");
    CSM_CHECK(strstr(without.report, "go-handler Y") != NULL, "without SA_ONSTACK: the replaced handler was Go's here too");
    /*
     * os/signal promises no more than "likely to crash". What the runtime
     * usually does is throw GO_THROW and abort (a c-shared runtime's fatal
     * error ends in abort(), not exit(2): runtime1.go sets tracebackCrash for
     * libraries, "when C owns the process, simply exit'ing the process on
     * fatal errors and panics is surprising. Be louder and abort instead.");
     * under qemu the child has also hung silently, or panicked during the
     * panic. The check is the documented rule; the # line says which it was.
     */
    int threw = strstr(without.err, GO_THROW) != NULL;
    int aborted = !without.hung && WIFSIGNALED(without.status) && WTERMSIG(without.status) == SIGABRT;
    printf("# without SA_ONSTACK, how it ended: %s\n", threw && aborted ? "the runtime threw \"" GO_THROW "\" and aborted (SIGABRT)"
                                                    : threw ? "the runtime threw \"" GO_THROW "\", then did not abort cleanly"
                                                    : without.hung ? "hung before the runtime said anything (killed at the deadline)"
                                                                   : "it died without the runtime's message");
    CSM_CHECK(strstr(without.report, "handled ") == NULL && (without.hung || WIFSIGNALED(without.status) || (WIFEXITED(without.status) && WEXITSTATUS(without.status) != 0)),
              "without SA_ONSTACK: the process did not carry on: a signal reaching Go's handler off its signal stack stopped it, as os/signal warns");
    return CSM_DONE();
}
