/*
 * csm.h: the host side of cshared-matrix's protocol. Every case host includes it.
 *
 * The harness reads a host's stdout to tell *where* a cell stopped, so hosts
 * announce two things in a fixed form:
 *   csm-loaded <what>     every library the host needs is loaded (CSM_LOADED)
 *   ok N - <check>        one check passed      (CSM_CHECK)
 *   not ok N - <check>    one check failed
 *   csm-done <passed>/<total>                   (CSM_DONE, also the exit code)
 * A host that dies before "csm-loaded" failed at the load stage; one that dies
 * after it failed at run; one that exits 0 with a "not ok" failed its checks.
 */
#ifndef CSM_H
#define CSM_H

#ifdef _WIN32
/* mingw-w64's own printf family rather than msvcrt.dll's, so %zu, %lld and
 * vsnprintf's truncation behave as in C99 on every row. Only effective when
 * csm.h is a host's first include. */
#ifndef __USE_MINGW_ANSI_STDIO
#define __USE_MINGW_ANSI_STDIO 1
#endif
#endif

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int csm_checks_total;
static int csm_checks_failed;

#ifdef _WIN32
#include <fcntl.h>
#include <io.h>
#endif

/* Unbuffered stdout: if the host crashes, every line it printed is still seen.
 * On Windows also binary: the C runtime's text mode would end every line in
 * "\r\n", and the protocol's patterns anchor lines at "\n". */
__attribute__((constructor)) static void csm_init_stdout(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
#ifdef _WIN32
    _setmode(_fileno(stdout), _O_BINARY);
    _setmode(_fileno(stderr), _O_BINARY);
#endif
}

static inline void CSM_LOADED(const char *what) { printf("csm-loaded %s\n", what); }

/* Checks may run on several threads; the counters are atomic so totals stay exact. */
static inline int csm_check(int ok, const char *fmt, ...) {
    int n = __atomic_add_fetch(&csm_checks_total, 1, __ATOMIC_SEQ_CST);
    if (!ok) __atomic_add_fetch(&csm_checks_failed, 1, __ATOMIC_SEQ_CST);
    char desc[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(desc, sizeof desc, fmt, ap);
    va_end(ap);
    printf("%s %d - %s\n", ok ? "ok" : "not ok", n, desc);
    return ok;
}
#define CSM_CHECK(cond, ...) csm_check(!!(cond), __VA_ARGS__)

/* Returns the process exit code: 0 only when every check passed and at least one ran. */
static inline int CSM_DONE(void) {
    int total = __atomic_load_n(&csm_checks_total, __ATOMIC_SEQ_CST);
    int failed = __atomic_load_n(&csm_checks_failed, __ATOMIC_SEQ_CST);
    printf("csm-done %d/%d\n", total - failed, total);
    return (failed == 0 && total > 0) ? 0 : 1;
}

/* Path of a built library, from CSM_LIB_<NAME> (name upper-cased). Exits 2 if unset,
 * which is a harness fault rather than a finding about Go. */
static inline const char *csm_lib(const char *name) {
    char key[128] = "CSM_LIB_";
    size_t k = strlen(key);
    for (const char *p = name; *p && k + 1 < sizeof key; p++) key[k++] = (char)toupper((unsigned char)*p);
    key[k] = 0;
    const char *path = getenv(key);
    if (!path) {
        fprintf(stderr, "csm: %s is not set; the harness passes one per library\n", key);
        exit(2);
    }
    return path;
}

#ifdef _WIN32
#include <windows.h>

/* A Win32 failure in the words Windows gives it, for csm_load_failed and
 * checks: "LoadLibrary: error 126: The specified module could not be found."
 * The text comes from FormatMessage (the system's message table), so an
 * expectation can match either the code or the words. Not thread-safe. */
static inline const char *csm_win_error(const char *call, DWORD code) {
    static char buf[512];
    int n = snprintf(buf, sizeof buf, "%s: error %lu: ", call, (unsigned long)code);
    if (n < 0 || (size_t)n >= sizeof buf) return call;
    DWORD m = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, code, 0, buf + n,
                             (DWORD)(sizeof buf - (size_t)n), NULL);
    size_t len = strlen(buf);
    /* FormatMessage ends its text with "\r\n". */
    while (len > 0 && isspace((unsigned char)buf[len - 1])) buf[--len] = 0;
    if (m == 0) snprintf(buf + n, sizeof buf - (size_t)n, "(no message text)");
    return buf;
}
#endif

/* Report a failed dlopen in the form expectations match on, then exit 3. */
static inline void csm_load_failed(const char *what, const char *err) {
    fprintf(stderr, "csm-load-failed %s: %s\n", what, err ? err : "(no error text)");
    printf("csm-load-failed %s\n", what);
    exit(3);
}

#endif
