/*
 * tls on Windows: host.c with LoadLibrary and CreateThread. GCC for
 * mingw-w64 implements __thread with emulated TLS (__emutls, on a TlsAlloc
 * slot per module), the Go DLL keeps its g in a TLS slot of its own, and the
 * host's C DLL (libtlsc.dll, imported) has __thread data too: none may land on
 * another's. From host.c:
 *
 * the host has __thread variables of its own, in the executable and in
 * libtlsc.so (linked at build time), and dlopen()s a Go library, which uses
 * the initial-exec TLS model. The 2013 thread's "more advanced C program that
 * dlopen()s a go library and use __thread TLS variables": the Go runtime's TLS
 * slot must be allocated beside the host's, never on top of it, and Go must
 * work from any C thread, including one created after it was loaded.
 */
#include "csm.h"

#include <windows.h>

#include "libtlsgo.h"
#include "tlsc.h"

/* Main and the second thread use different seeds, so a thread that saw the
 * other's TLS instead of its own would also fail the checks. */
#define MAIN_SEED 0x11UL
#define THREAD_SEED 0x22UL

/* Sum of squares 1..n is n(n+1)(2n+1)/6. */
#define SQUARES_100 338350LL
#define SQUARES_50 42925LL

static __thread unsigned long exe_words[TLSC_WORDS];

static __typeof__(&SumSquares) sum_squares;

static void exe_fill(unsigned long seed) {
    for (int i = 0; i < TLSC_WORDS; i++) exe_words[i] = tlsc_pattern(seed, i);
}

static int exe_first_mismatch(unsigned long seed) {
    for (int i = 0; i < TLSC_WORDS; i++)
        if (exe_words[i] != tlsc_pattern(seed, i)) return i;
    return -1;
}

static int exe_first_nonzero(void) {
    for (int i = 0; i < TLSC_WORDS; i++)
        if (exe_words[i] != 0) return i;
    return -1;
}

static void check_tls(const char *thread, unsigned long seed, const char *when) {
    int bad = exe_first_mismatch(seed);
    CSM_CHECK(bad < 0, "%s thread: executable TLS intact %s (first bad word: %d)", thread, when, bad);
    bad = tlsc_first_mismatch(seed);
    CSM_CHECK(bad < 0, "%s thread: libtlsc TLS intact %s (first bad word: %d)", thread, when, bad);
}

static DWORD WINAPI second_thread(LPVOID arg) {
    (void)arg;
    /* A new thread starts from the TLS initialization image (all zero here),
     * not from main's values. */
    int bad = exe_first_nonzero();
    CSM_CHECK(bad < 0, "second thread: executable TLS starts zeroed (first nonzero word: %d)", bad);
    bad = tlsc_first_nonzero();
    CSM_CHECK(bad < 0, "second thread: libtlsc TLS starts zeroed (first nonzero word: %d)", bad);
    exe_fill(THREAD_SEED);
    tlsc_fill(THREAD_SEED);

    /* Twice, because each call from a C thread unknown to Go borrows and
     * returns an M, which must leave the thread's TLS as it found it. */
    for (int round = 1; round <= 2; round++) {
        long long sum = sum_squares(50);
        CSM_CHECK(sum == SQUARES_50, "second thread: SumSquares(50) == 42925, call %d (got %lld)", round, sum);
    }
    check_tls("second", THREAD_SEED, "after calling Go");
    return 0;
}

int main(void) {
    /* Set before the Go library exists, so Go's TLS allocation at dlopen time
     * has to fit around values that are already live. */
    exe_fill(MAIN_SEED);
    tlsc_fill(MAIN_SEED);

    HMODULE handle = LoadLibraryA(csm_lib("tlsgo"));
    if (handle == NULL) csm_load_failed("tlsgo", csm_win_error("LoadLibrary", GetLastError()));
    CSM_LOADED("tlsgo");

    check_tls("main", MAIN_SEED, "after LoadLibrary");

    sum_squares = (__typeof__(&SumSquares))(void (*)(void))GetProcAddress(handle, "SumSquares");
    CSM_CHECK(sum_squares != NULL, "GetProcAddress(\"SumSquares\") != NULL");
    if (sum_squares == NULL) return CSM_DONE();

    long long sum = sum_squares(100);
    CSM_CHECK(sum == SQUARES_100, "main thread: SumSquares(100) == 338350 (got %lld)", sum);
    check_tls("main", MAIN_SEED, "after calling Go");

    HANDLE thread = CreateThread(NULL, 0, second_thread, NULL, 0, NULL);
    CSM_CHECK(thread != NULL, "CreateThread succeeded%s%s", thread ? "" : ": ",
              thread ? "" : csm_win_error("CreateThread", GetLastError()));
    if (thread != NULL) {
        WaitForSingleObject(thread, INFINITE);
        CloseHandle(thread);
    }

    /* Go keeps threads of its own running; main's TLS must survive them and
     * the second thread's exit. */
    sum = sum_squares(100);
    CSM_CHECK(sum == SQUARES_100, "main thread: SumSquares(100) == 338350 again after the second thread (got %lld)", sum);
    check_tls("main", MAIN_SEED, "at the end");

    return CSM_DONE();
}
