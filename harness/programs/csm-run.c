/*
 * csm-run: run one host with a hard deadline and report exactly how it ended.
 *
 *   csm-run [--as UID:GID] [--fresh DIR]... <timeout-ms> <nonce> -- <command> [args...]
 *   csm-run --run-as UID:GID [--fresh DIR]... -- <command> [args...]
 *   csm-run --idle
 *   csm-run --serve
 *
 * --as runs the command as another user than the supervisor, so the host can
 * neither signal nor trace it (the container gives the supervisor CAP_SETUID,
 * CAP_SETGID and CAP_KILL; the host keeps none). --fresh empties DIR, as that
 * user, before the command starts and after it and everything it left has
 * died: each host starts from a clean /tmp whatever ran before it.
 * --run-as is the same for one step inside a build script: drop to the user,
 * run, kill whatever of that user is left, clean, exit with the command's
 * status (128+N for a signal), without deadline or status line.
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
#include <grp.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* State and parent of /proc/<pid>; -1 for anything that is not a live process entry. */
static int proc_stat(const char *pid, char *state, int *ppid) {
    char path[300], buf[512];
    if (pid[0] < '0' || pid[0] > '9') return -1;
    snprintf(path, sizeof path, "/proc/%s/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    /* Field 4 is the parent pid; the command name in field 2 may hold spaces, so parse after its ')'. */
    char *rp = strrchr(buf, ')');
    return rp && sscanf(rp + 1, " %c %d", state, ppid) == 2 ? 0 : -1;
}

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
            char state;
            int ppid;
            if (proc_stat(e->d_name, &state, &ppid) == 0 && ppid == self) {
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


/* Where the status line goes: stderr for a direct run, a pipe of its own under --serve. */
static int status_fd = 2;

struct identity {
    int set;
    uid_t uid;
    gid_t gid;
};

static int parse_identity(const char *s, struct identity *id) {
    unsigned long u, g;
    char *end;
    u = strtoul(s, &end, 10);
    if (end == s || *end != ':') return -1;
    g = strtoul(end + 1, &end, 10);
    if (*end || u == 0 || g == 0) return -1; /* never "drop" to root */
    id->set = 1;
    id->uid = (uid_t)u;
    id->gid = (gid_t)g;
    return 0;
}

/* Become the user for good: no groups, every uid and gid, no way back. */
static int become(const struct identity *id) {
    if (!id->set) return 0;
    if (setgroups(0, NULL) != 0 || setresgid(id->gid, id->gid, id->gid) != 0 || setresuid(id->uid, id->uid, id->uid) != 0) return -1;
    return getuid() == id->uid && geteuid() == id->uid ? 0 : -1;
}

/* Remove everything below the open directory dfd (owned by us: we may chmod what a host locked). */
static int wipe_at(int dfd, int depth) {
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return -1;
    }
    int bad = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *n = e->d_name;
        if (!strcmp(n, ".") || !strcmp(n, "..")) continue;
        if (unlinkat(dirfd(d), n, 0) == 0) continue;
        fchmodat(dirfd(d), n, 0700, 0);
        int sub = depth < 4096 ? openat(dirfd(d), n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
        if (sub >= 0) bad |= wipe_at(sub, depth + 1);
        if (unlinkat(dirfd(d), n, AT_REMOVEDIR) != 0) bad = -1;
    }
    closedir(d);
    return bad;
}

/* Empty each DIR as the user (created if missing). 0 when every one is empty now. */
static int freshen(const struct identity *id, char **dirs, int ndirs) {
    if (!ndirs) return 0;
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        if (become(id) != 0) _exit(1);
        int bad = 0;
        for (int i = 0; i < ndirs; i++) {
            mkdir(dirs[i], 0700);
            int fd = open(dirs[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0 || wipe_at(fd, 0) != 0) bad = 1;
        }
        _exit(bad);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* Is any process of uid alive in this pid namespace? (/proc/<pid> belongs to its real uid's owner.) */
static int user_alive(uid_t uid) {
    DIR *d = opendir("/proc");
    if (!d) return 0;
    struct dirent *e;
    int found = 0;
    while (!found && (e = readdir(d))) {
        struct stat st;
        char path[300], state;
        int ppid;
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        snprintf(path, sizeof path, "/proc/%s", e->d_name);
        if (stat(path, &st) != 0 || st.st_uid != uid) continue;
        /* A zombie waiting for its parent is dead already. */
        if (proc_stat(e->d_name, &state, &ppid) == 0 && state != 'Z') found = 1;
    }
    closedir(d);
    return found;
}

/* Kill every process of the user in this pid namespace, as that user (kill(-1)
 * spares the caller), until none is left: a process forking while the signal
 * goes round can leave a child that missed it. */
static void kill_user(const struct identity *id) {
    if (!id->set) return;
    for (int round = 0; round < 500; round++) {
        pid_t pid = fork();
        if (pid == 0) {
            if (become(id) != 0) _exit(1);
            kill(-1, SIGKILL);
            _exit(0);
        }
        if (pid > 0) while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
        while (waitpid(-1, NULL, WNOHANG) > 0) {}
        if (!user_alive(id->uid)) return;
        usleep(1000);
    }
}

/* Leading --as and --fresh options; returns how many argv entries they took. */
static int parse_options(int argc, char **argv, struct identity *id, char ***fresh, int *nfresh) {
    int i = 1;
    *fresh = calloc((size_t)argc, sizeof **fresh);
    *nfresh = 0;
    while (i + 1 < argc) {
        if (!strcmp(argv[i], "--as") || !strcmp(argv[i], "--run-as")) {
            if (parse_identity(argv[i + 1], id) != 0) return -1;
        } else if (!strcmp(argv[i], "--fresh")) {
            (*fresh)[(*nfresh)++] = argv[i + 1];
        } else
            break;
        i += 2;
    }
    return i - 1;
}

static long ms_since(const struct timespec *t0) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - t0->tv_sec) * 1000L + (now.tv_nsec - t0->tv_nsec) / 1000000L;
}

static int supervise(int argc, char **argv) {
    struct identity id = {0};
    char **fresh;
    int nfresh;
    int skip = parse_options(argc, argv, &id, &fresh, &nfresh);
    if (skip < 0) {
        fprintf(stderr, "csm-run: --as takes UID:GID, neither 0\n");
        return 125;
    }
    argc -= skip;
    argv += skip;
    if (argc < 5 || strcmp(argv[3], "--") != 0) {
        fprintf(stderr, "usage: csm-run [--as UID:GID] [--fresh DIR]... <timeout-ms> <nonce> -- <command> [args...]\n");
        return 125;
    }
    long timeout_ms = atol(argv[1]);
    const char *nonce = argv[2];
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);

    /* Orphans of the host's tree come to us, not to the container's init. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);

    if (freshen(&id, fresh, nfresh) != 0) {
        dprintf(status_fd, "\n@@csm-status %s {\"error\":\"cannot empty %s before the host\",\"clean\":false}\n", nonce, fresh[0]);
        return 125;
    }

    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);

    pid_t pid = fork();
    if (pid < 0) {
        dprintf(status_fd, "\n@@csm-status %s {\"error\":\"fork: %s\"}\n", nonce, strerror(errno));
        return 125;
    }
    if (pid == 0) {
        sigprocmask(SIG_UNBLOCK, &chld, NULL);
        setpgid(0, 0);
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core);
        /* The host never holds the status channel. */
        if (status_fd != 2) close(status_fd);
        if (become(&id) != 0) {
            fprintf(stderr, "csm-run: cannot become %u:%u: %s\n", (unsigned)id.uid, (unsigned)id.gid, strerror(errno));
            _exit(125);
        }
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
    /* What the host left in its directories goes now; a slot that cannot be cleaned is replaced. */
    const char *clean = freshen(&id, fresh, nfresh) == 0 ? "true" : "false";
    fflush(stdout);
    /* The status line is what the harness reads; the exit code mirrors it the way
     * shells and timeout(1) do, for people rerunning a bundle by hand. */
    if (timed_out) {
        dprintf(status_fd, "\n@@csm-status %s {\"timeout\":true,\"ms\":%ld,\"cpuMs\":%ld,\"clean\":%s}\n", nonce, ms, cpu, clean);
        return 124;
    }
    if (WIFSIGNALED(status)) {
        dprintf(status_fd, "\n@@csm-status %s {\"signal\":%d,\"ms\":%ld,\"cpuMs\":%ld,\"clean\":%s}\n", nonce, WTERMSIG(status), ms, cpu, clean);
        return 128 + WTERMSIG(status);
    }
    dprintf(status_fd, "\n@@csm-status %s {\"exit\":%d,\"ms\":%ld,\"cpuMs\":%ld,\"clean\":%s}\n", nonce, WEXITSTATUS(status), ms, cpu, clean);
    return WEXITSTATUS(status);
}

/*
 * --run-as: one untrusted step inside a trusted build script. The script (root,
 * with the builder's few capabilities) prepares the step's output directory and
 * publishes it to the cache afterwards; the step itself runs as the lane's user
 * and cannot write anything else. Whatever of that user is still alive when the
 * step returns is killed before the script reads the outputs, so no process of
 * the step can change them after they were checked.
 */
static int run_as(int argc, char **argv) {
    struct identity id = {0};
    char **fresh;
    int nfresh;
    int skip = parse_options(argc, argv, &id, &fresh, &nfresh);
    if (skip < 0 || !id.set || skip + 2 >= argc || strcmp(argv[skip + 1], "--") != 0) {
        fprintf(stderr, "usage: csm-run --run-as UID:GID [--fresh DIR]... -- <command> [args...]\n");
        return 125;
    }
    char **cmd = argv + skip + 2;
    if (freshen(&id, fresh, nfresh) != 0) {
        fprintf(stderr, "csm-run: cannot empty %s for the step\n", fresh[0]);
        return 125;
    }
    pid_t pid = fork();
    if (pid < 0) return 125;
    if (pid == 0) {
        if (become(&id) != 0) {
            fprintf(stderr, "csm-run: cannot become %u:%u: %s\n", (unsigned)id.uid, (unsigned)id.gid, strerror(errno));
            _exit(125);
        }
        /* Group-writable files, so the lanes share one Go build cache. */
        umask(002);
        execvp(cmd[0], cmd);
        fprintf(stderr, "csm-run: cannot execute %s: %s\n", cmd[0], strerror(errno));
        _exit(127);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    kill_user(&id);
    if (freshen(&id, fresh, nfresh) != 0) fprintf(stderr, "csm-run: could not empty %s after the step\n", fresh[0]);
    return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
}

/*
 * --serve: run many hosts, one after another, for one long-lived `docker exec`.
 * Starting an exec costs the engine about 45 ms of CPU (runc, the shim), as much
 * as a host run itself; a matrix of hundreds of cells paid that per cell.
 *
 * Each request on stdin is NUL-terminated fields:
 *   cwd, max-output bytes, env count, env (K=V)..., argc, argv...
 * where argv is this program's own command line ([--as …] <timeout-ms> <nonce> -- cmd...).
 * A fresh child handles it exactly as a separate exec would: the requested
 * directory and environment, stdout and stderr to pipes, then supervise(),
 * whose status line goes to a third pipe the host never holds. The answer on
 * stdout is one frame:
 *   "@@csm-frame <out> <err> <out-dropped> <err-dropped> <out-head> <err-head> <status>
 *    <ok> <not-ok> <csm> <loaded> <done-passed> <done-total>\n" out err status
 * so the host's output can hold anything, markers included. Of each stream the
 * first and the last half of max-output bytes are kept (<x-head> bytes, then
 * the tail); the bytes between are counted as dropped. The protocol lines of
 * harness/programs/csm.h on stdout are counted here, over all of it, so a verdict
 * never depends on how much a host printed (done-* are -1 without csm-done).
 */
static char *field(void) {
    static char *buf;
    static size_t cap;
    ssize_t n = getdelim(&buf, &cap, '\0', stdin);
    if (n <= 0) return NULL;
    return strdup(buf);
}

/* One output stream of the host: the head and the tail kept, the middle counted. */
struct capture {
    int fd;
    char *head, *tail;
    long hlen, hcap, tcap, tpos, tlen, total;
};

/* The protocol lines of csm.h, counted as they stream by (a line's first bytes suffice). */
struct lines {
    char buf[96];
    int len;
    long ok, notok, csm, loaded, done_p, done_t;
};

static int digits_then(const char *s, const char *after) {
    if (*s < '0' || *s > '9') return 0;
    while (*s >= '0' && *s <= '9') s++;
    return strncmp(s, after, strlen(after)) == 0;
}

static void end_line(struct lines *l) {
    char *b = l->buf;
    b[l->len] = 0;
    if (!strncmp(b, "ok ", 3) && digits_then(b + 3, " - ")) l->ok++;
    else if (!strncmp(b, "not ok ", 7) && digits_then(b + 7, " - ")) l->notok++;
    if (!strncmp(b, "csm-", 4)) {
        l->csm++;
        char c = b[10];
        if (!strncmp(b, "csm-loaded", 10) && !(c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) l->loaded++;
        long p, t;
        int used = 0;
        if (sscanf(b, "csm-done %ld/%ld%n", &p, &t, &used) == 2 && l->len < (int)sizeof l->buf - 1) {
            const char *rest = b + used;
            while (*rest == ' ' || *rest == '\t' || *rest == '\r') rest++;
            if (!*rest) l->done_p = p, l->done_t = t;
        }
    }
    l->len = 0;
}

static void count_lines(struct lines *l, const char *p, long n) {
    for (long i = 0; i < n; i++) {
        if (p[i] == '\n') end_line(l);
        else if (l->len < (int)sizeof l->buf - 1) l->buf[l->len++] = p[i];
    }
}

static void keep(struct capture *c, const char *p, long n) {
    c->total += n;
    long h = c->hcap - c->hlen;
    if (h > n) h = n;
    if (h > 0) {
        memcpy(c->head + c->hlen, p, (size_t)h);
        c->hlen += h;
        p += h;
        n -= h;
    }
    if (c->tcap <= 0) return;
    if (n > c->tcap) p += n - c->tcap, n = c->tcap;
    for (long i = 0; i < n; i++) {
        c->tail[c->tpos] = p[i];
        c->tpos = (c->tpos + 1) % c->tcap;
    }
    c->tlen = c->tlen + n > c->tcap ? c->tcap : c->tlen + n;
}

static void drain(struct capture *c, struct lines *l) {
    char chunk[65536];
    ssize_t n = read(c->fd, chunk, sizeof chunk);
    if (n <= 0) {
        if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
            close(c->fd);
            c->fd = -1;
        }
        return;
    }
    if (l) count_lines(l, chunk, n);
    keep(c, chunk, n);
}

/* The tail, oldest byte first. */
static void write_tail(const struct capture *c) {
    long start = c->tlen < c->tcap ? 0 : c->tpos;
    for (long i = 0; i < c->tlen; i++) fputc(c->tail[(start + i) % c->tcap], stdout);
}

static char *read_all(int fd, long *len) {
    long cap = 4096;
    char *buf = malloc((size_t)cap);
    *len = 0;
    for (;;) {
        if (*len == cap) buf = realloc(buf, (size_t)(cap *= 2));
        ssize_t n = read(fd, buf + *len, (size_t)(cap - *len));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        *len += n;
    }
    close(fd);
    return buf;
}

/* Pipes, read while the host runs, as `docker exec` would: the host never blocks
 * on a full pipe, a flood of output costs no disk or memory, and a root
 * filesystem without a writable /tmp still works. */
static int serve(void) {
    signal(SIGPIPE, SIG_IGN);
    /* Not dumpable: a host of the same user (builds with no --as) stays out of /proc/<pid>/fd. */
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

        long hcap = max / 2, tcap = max - max / 2;
        struct capture cap[2];
        for (int i = 0; i < 2; i++) cap[i] = (struct capture){-1, malloc((size_t)hcap + 1), malloc((size_t)tcap + 1), 0, hcap, tcap, 0, 0, 0};
        struct lines lines = {.done_p = -1, .done_t = -1};
        char *status = NULL;
        long slen = 0;
        int po[2], pe[2], ps[2];
        pid_t pid = -1;
        if (pipe(po) == 0 && pipe(pe) == 0 && pipe(ps) == 0) pid = fork();
        if (pid == 0) {
            int null = open("/dev/null", O_RDONLY);
            dup2(null, 0);
            dup2(po[1], 1);
            dup2(pe[1], 2);
            close(null);
            close(po[0]); close(po[1]); close(pe[0]); close(pe[1]); close(ps[0]);
            status_fd = ps[1];
            fcntl(status_fd, F_SETFD, FD_CLOEXEC);
            for (long i = 0; i < nenv; i++)
                if (env[i]) putenv(env[i]);
            if (chdir(cwd) != 0) {
                dprintf(status_fd, "\n@@csm-status - {\"error\":\"cannot enter %s: %s\"}\n", cwd, strerror(errno));
                _exit(125);
            }
            _exit(supervise((int)ac + 1, av));
        }
        if (pid > 0) {
            close(po[1]);
            close(pe[1]);
            close(ps[1]);
            cap[0].fd = po[0];
            cap[1].fd = pe[0];
            while (cap[0].fd >= 0 || cap[1].fd >= 0) {
                struct pollfd pf[2];
                int n = 0;
                for (int i = 0; i < 2; i++)
                    if (cap[i].fd >= 0) pf[n++] = (struct pollfd){cap[i].fd, POLLIN, 0};
                if (poll(pf, (nfds_t)n, -1) < 0 && errno != EINTR) break;
                for (int i = 0, j = 0; i < 2; i++)
                    if (cap[i].fd >= 0 && (pf[j++].revents & (POLLIN | POLLHUP | POLLERR))) drain(&cap[i], i == 0 ? &lines : NULL);
            }
            if (lines.len) end_line(&lines);
            /* The host and its tree are gone once stdout and stderr closed; the
             * supervisor writes its line after that, then exits. */
            status = read_all(ps[0], &slen);
            while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
        } else {
            char msg[200];
            int k = snprintf(msg, sizeof msg, "\n@@csm-status - {\"error\":\"cannot start the host: %s\"}\n", strerror(errno));
            status = strdup(msg);
            slen = k < 0 ? 0 : k;
        }
        long drop[2];
        for (int i = 0; i < 2; i++) drop[i] = cap[i].total - cap[i].hlen - cap[i].tlen;
        printf("@@csm-frame %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld\n", cap[0].hlen + cap[0].tlen, cap[1].hlen + cap[1].tlen, drop[0], drop[1],
               cap[0].hlen, cap[1].hlen, slen, lines.ok, lines.notok, lines.csm, lines.loaded, lines.done_p, lines.done_t);
        for (int i = 0; i < 2; i++) {
            fwrite(cap[i].head, 1, (size_t)cap[i].hlen, stdout);
            write_tail(&cap[i]);
        }
        fwrite(status, 1, (size_t)slen, stdout);
        fflush(stdout);
        for (int i = 0; i < 2; i++) {
            if (cap[i].fd >= 0) close(cap[i].fd);
            free(cap[i].head);
            free(cap[i].tail);
        }
        free(status);
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
    if (argc > 1 && strcmp(argv[1], "--run-as") == 0) return run_as(argc, argv);
    return supervise(argc, argv);
}
