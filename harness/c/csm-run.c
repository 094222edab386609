/*
 * csm-run: run one host with a hard deadline and report exactly how it ended.
 *
 *   csm-run <timeout-ms> <nonce> -- <command> [args...]
 *   csm-run --idle
 *   csm-run --serve
 *
 * docker exec only reports an exit code, which cannot tell "exit 139" from
 * "killed by SIGSEGV", and a timeout would leave the host's children running.
 * This puts the host in its own process group, kills the whole group at the
 * deadline (and after a normal exit, so nothing lingers), and prints one status
 * line on stderr: "@@csm-status <nonce> {json}". The nonce is fresh per run, so
 * a host cannot fake the line by accident.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * Kill every process that is still ours. A host can leave its process group
 * (setsid, a daemon); as the child subreaper, every orphan of the host's tree is
 * reparented to us, so repeatedly killing our children until none remain ends
 * the whole tree, wherever it moved. Bounded, so a pathological tree cannot
 * keep the supervisor from reporting.
 */
static void kill_descendants(void) {
    pid_t self = getpid();
    for (int round = 0; round < 200; round++) {
        int found = 0;
        DIR *d = opendir("/proc");
        if (!d) return;
        struct dirent *e;
        while ((e = readdir(d))) {
            char path[300], buf[512];
            if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
            snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
            FILE *f = fopen(path, "r");
            if (!f) continue;
            size_t n = fread(buf, 1, sizeof buf - 1, f);
            fclose(f);
            buf[n] = 0;
            /* Field 4 is the parent pid; the command name in field 2 may hold spaces, so parse after its ')'. */
            char *rp = strrchr(buf, ')');
            int ppid = 0;
            char state = 0;
            if (rp && sscanf(rp + 1, " %c %d", &state, &ppid) == 2 && ppid == self) {
                kill((pid_t)atoi(e->d_name), SIGKILL);
                found++;
            }
        }
        closedir(d);
        while (waitpid(-1, NULL, WNOHANG) > 0) {}
        if (!found) return;
        usleep(10000);
    }
}

static long ms_since(const struct timespec *t0) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - t0->tv_sec) * 1000L + (now.tv_nsec - t0->tv_nsec) / 1000000L;
}

static int supervise(int argc, char **argv) {
    if (argc < 5 || strcmp(argv[3], "--") != 0) {
        fprintf(stderr, "usage: csm-run <timeout-ms> <nonce> -- <command> [args...]\n");
        return 125;
    }
    long timeout_ms = atol(argv[1]);
    const char *nonce = argv[2];
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);

    /* Orphans of the host's tree come to us, not to the container's init. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);

    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);

    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "\n@@csm-status %s {\"error\":\"fork: %s\"}\n", nonce, strerror(errno));
        return 125;
    }
    if (pid == 0) {
        sigprocmask(SIG_UNBLOCK, &chld, NULL);
        setpgid(0, 0);
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core);
        execvp(argv[4], argv + 4);
        fprintf(stderr, "csm-run: cannot execute %s: %s\n", argv[4], strerror(errno));
        _exit(127);
    }
    setpgid(pid, pid);

    int status = 0, timed_out = 0;
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid) break;
        long left = timeout_ms - ms_since(&t0);
        if (left <= 0) {
            timed_out = 1;
            kill(-pid, SIGKILL);
            waitpid(pid, &status, 0);
            break;
        }
        struct timespec ts = {left / 1000, (left % 1000) * 1000000L};
        sigtimedwait(&chld, NULL, &ts);
    }
    /* Children the host left behind die with it: its group, then anything that escaped it. */
    kill(-pid, SIGKILL);
    kill_descendants();
    long ms = ms_since(&t0);
    /* CPU of the host and everything it ran (qemu included): what the run costs
     * the machine, as opposed to how long it waited for it. */
    struct rusage ru;
    long cpu = 0;
    if (getrusage(RUSAGE_CHILDREN, &ru) == 0)
        cpu = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000L + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000L;
    fflush(stdout);
    /* The status line is what the harness reads; the exit code mirrors it the way
     * shells and timeout(1) do, for people rerunning a bundle by hand. */
    if (timed_out) {
        fprintf(stderr, "\n@@csm-status %s {\"timeout\":true,\"ms\":%ld,\"cpuMs\":%ld}\n", nonce, ms, cpu);
        return 124;
    }
    if (WIFSIGNALED(status)) {
        fprintf(stderr, "\n@@csm-status %s {\"signal\":%d,\"ms\":%ld,\"cpuMs\":%ld}\n", nonce, WTERMSIG(status), ms, cpu);
        return 128 + WTERMSIG(status);
    }
    fprintf(stderr, "\n@@csm-status %s {\"exit\":%d,\"ms\":%ld,\"cpuMs\":%ld}\n", nonce, WEXITSTATUS(status), ms, cpu);
    return WEXITSTATUS(status);
}

/*
 * --serve: run many hosts, one after another, for one long-lived `docker exec`.
 * Starting an exec costs the engine about 45 ms of CPU (runc, the shim), as much
 * as a host run itself; a matrix of hundreds of cells paid that per cell.
 *
 * Each request on stdin is NUL-terminated fields:
 *   cwd, max-output bytes, env count, env (K=V)..., argc, argv...
 * where argv is this program's own command line (<timeout-ms> <nonce> -- cmd...).
 * A fresh child handles it exactly as a separate exec would: the requested
 * directory and environment, stdout and stderr to pipes, then supervise().
 * The answer on stdout is one frame:
 *   "@@csm-frame <out-bytes> <err-bytes> <out-dropped> <err-dropped>\n" out err
 * so the host's output can hold anything, markers included.
 */
static char *field(void) {
    static char *buf;
    static size_t cap;
    ssize_t n = getdelim(&buf, &cap, '\0', stdin);
    if (n <= 0) return NULL;
    return strdup(buf);
}

/* One output stream of the host: the first `limit` bytes kept, the rest counted. */
struct capture {
    int fd;
    char *buf;
    long len, dropped, limit;
};

static void drain(struct capture *c) {
    char chunk[65536];
    ssize_t n = read(c->fd, chunk, sizeof chunk);
    if (n <= 0) {
        if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
            close(c->fd);
            c->fd = -1;
        }
        return;
    }
    long keep = c->limit - c->len;
    if (keep > n) keep = n;
    if (keep < 0) keep = 0;
    memcpy(c->buf + c->len, chunk, (size_t)keep);
    c->len += keep;
    c->dropped += n - keep;
}

/* Pipes, read while the host runs, as `docker exec` would: the host never blocks
 * on a full pipe, a flood of output costs no disk or memory, and a root
 * filesystem without a writable /tmp still works. */
static int serve(void) {
    signal(SIGPIPE, SIG_IGN);
    /* Hosts run as our user: not dumpable keeps them out of /proc/<pid>/fd, so a
     * host cannot write frames into the answer stream it shares a server with.
     * exec() makes each host dumpable again; this process and its forks stay not. */
    prctl(PR_SET_DUMPABLE, 0);
    for (;;) {
        char *cwd = field(), *maxs = field(), *envs = field();
        if (!cwd || !maxs || !envs) return 0; /* stdin closed: the harness is done with this slot */
        long max = atol(maxs), nenv = atol(envs);
        if (max < 0) max = 0;
        char **env = calloc((size_t)nenv + 1, sizeof *env);
        for (long i = 0; i < nenv; i++) env[i] = field();
        char *argcs = field();
        if (!argcs) return 0;
        long ac = atol(argcs);
        char **av = calloc((size_t)ac + 2, sizeof *av);
        av[0] = "csm-run";
        for (long i = 0; i < ac; i++) av[i + 1] = field();

        struct capture cap[2] = {{-1, malloc((size_t)max + 1), 0, 0, max}, {-1, malloc((size_t)max + 1), 0, 0, max}};
        int po[2], pe[2];
        pid_t pid = -1;
        if (pipe(po) == 0 && pipe(pe) == 0) pid = fork();
        if (pid == 0) {
            int null = open("/dev/null", O_RDONLY);
            dup2(null, 0);
            dup2(po[1], 1);
            dup2(pe[1], 2);
            close(null);
            close(po[0]); close(po[1]); close(pe[0]); close(pe[1]);
            for (long i = 0; i < nenv; i++)
                if (env[i]) putenv(env[i]);
            if (chdir(cwd) != 0) {
                fprintf(stderr, "csm-run: cannot enter %s: %s\n", cwd, strerror(errno));
                _exit(125);
            }
            _exit(supervise((int)ac + 1, av));
        }
        if (pid > 0) {
            close(po[1]);
            close(pe[1]);
            cap[0].fd = po[0];
            cap[1].fd = pe[0];
            while (cap[0].fd >= 0 || cap[1].fd >= 0) {
                struct pollfd pf[2];
                int n = 0;
                for (int i = 0; i < 2; i++)
                    if (cap[i].fd >= 0) pf[n++] = (struct pollfd){cap[i].fd, POLLIN, 0};
                if (poll(pf, (nfds_t)n, -1) < 0 && errno != EINTR) break;
                for (int i = 0, j = 0; i < 2; i++)
                    if (cap[i].fd >= 0 && (pf[j++].revents & (POLLIN | POLLHUP | POLLERR))) drain(&cap[i]);
            }
            while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
        } else {
            int k = snprintf(cap[1].buf, (size_t)max + 1, "csm-run --serve: cannot start the host: %s\n", strerror(errno));
            cap[1].len = k < 0 ? 0 : (k > max ? max : k);
        }
        printf("@@csm-frame %ld %ld %ld %ld\n", cap[0].len, cap[1].len, cap[0].dropped, cap[1].dropped);
        fwrite(cap[0].buf, 1, (size_t)cap[0].len, stdout);
        fwrite(cap[1].buf, 1, (size_t)cap[1].len, stdout);
        fflush(stdout);
        for (int i = 0; i < 2; i++) {
            if (cap[i].fd >= 0) close(cap[i].fd);
            free(cap[i].buf);
        }
        free(cwd); free(maxs); free(envs); free(argcs);
        for (long i = 0; i < nenv; i++) free(env[i]);
        for (long i = 1; i <= ac; i++) free(av[i]);
        free(env); free(av);
    }
}

int main(int argc, char **argv) {
    /* Keeps a run container alive with nothing from its image: a user-supplied
     * rootfs may have no sleep, no shell, no libc. */
    if (argc == 2 && strcmp(argv[1], "--idle") == 0)
        for (;;) pause();
    if (argc == 2 && strcmp(argv[1], "--serve") == 0) return serve();
    return supervise(argc, argv);
}
