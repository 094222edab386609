/*
 * csm-run: run one host with a hard deadline and report exactly how it ended.
 *
 *   csm-run <timeout-ms> <nonce> -- <command> [args...]
 *   csm-run --idle
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

int main(int argc, char **argv) {
    /* Keeps a run container alive with nothing from its image: a user-supplied
     * rootfs may have no sleep, no shell, no libc. */
    if (argc == 2 && strcmp(argv[1], "--idle") == 0)
        for (;;) pause();
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
    fflush(stdout);
    /* The status line is what the harness reads; the exit code mirrors it the way
     * shells and timeout(1) do, for people rerunning a bundle by hand. */
    if (timed_out) {
        fprintf(stderr, "\n@@csm-status %s {\"timeout\":true,\"ms\":%ld}\n", nonce, ms);
        return 124;
    }
    if (WIFSIGNALED(status)) {
        fprintf(stderr, "\n@@csm-status %s {\"signal\":%d,\"ms\":%ld}\n", nonce, WTERMSIG(status), ms);
        return 128 + WTERMSIG(status);
    }
    fprintf(stderr, "\n@@csm-status %s {\"exit\":%d,\"ms\":%ld}\n", nonce, WEXITSTATUS(status), ms);
    return WEXITSTATUS(status);
}
