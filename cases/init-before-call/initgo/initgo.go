// Package main is libinitgo: a library whose initialization leaves side effects
// the host can look for without calling into Go (golang/go#12639): two markers
// in C globals the host defines and exports (-rdynamic), and a file.
//
// The early marker is set while the main package's variables are initialized,
// the first thing of this package to run; the late marker is the last thing
// init() does, after 100 ms that stand for slow initialization work (reading a
// configuration, loading certificates) and after writing the file.
package main

/*
#include <stdint.h>
#include <time.h>

#ifdef _WIN32
// PE has no weak references to an executable's data: the host exports its
// globals (__declspec(dllexport) in an .exe) and the library asks for them
// by name; a host that has none leaves them NULL, as on ELF.
#include <windows.h>

static volatile int *csm_init_mark;
static volatile long long *csm_init_ns;
static volatile long *csm_init_tid;

static inline void csm_find_marks(void) {
	HMODULE exe = GetModuleHandleW(NULL);
	csm_init_mark = (volatile int *)(void *)GetProcAddress(exe, "csm_init_mark");
	csm_init_ns = (volatile long long *)(void *)GetProcAddress(exe, "csm_init_ns");
	csm_init_tid = (volatile long *)(void *)GetProcAddress(exe, "csm_init_tid");
}

// QueryPerformanceCounter in nanoseconds, the clock the Windows host reads too.
static inline long long csm_now_ns(void) {
	LARGE_INTEGER t, f;
	QueryPerformanceCounter(&t);
	QueryPerformanceFrequency(&f);
	return (long long)((double)t.QuadPart * 1e9 / (double)f.QuadPart);
}
static inline long csm_thread_id(void) { return (long)GetCurrentThreadId(); }
#else
#include <sys/syscall.h>
#include <unistd.h>

// Defined by the host executable and exported from it; weak here, so the library
// links without them and a host that has none leaves them NULL.
extern volatile int csm_init_mark[2] __attribute__((weak));
extern volatile long long csm_init_ns[2] __attribute__((weak));
extern volatile long csm_init_tid[2] __attribute__((weak));

static inline void csm_find_marks(void) {}
static inline long long csm_now_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
static inline long csm_thread_id(void) { return (long)syscall(SYS_gettid); }
#endif

// Marker `which` (0 early, 1 late): when (CLOCK_MONOTONIC; on Windows
// QueryPerformanceCounter) and on which thread, then the count, last and with
// release order, so a host that sees the count also sees the other two.
static inline void csm_mark(int which) {
	csm_find_marks();
	if (!csm_init_mark || !csm_init_ns || !csm_init_tid) return;
	csm_init_ns[which] = csm_now_ns();
	csm_init_tid[which] = csm_thread_id();
	__atomic_add_fetch(&csm_init_mark[which], 1, __ATOMIC_RELEASE);
}
*/
import "C"

import (
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"
)

// initDelay stands for the work a real library's init does.
const initDelay = 100 * time.Millisecond

// MarkerName is the file init writes under $INIT_MARKER_DIR.
const MarkerName = "init-before-call.marker"

var (
	initRuns   int32 // atomic; sync/atomic's functions, not its types: gccgo 14's library is Go 1.18's
	markerErr  string
	earlyMarks = markEarly()
)

func markEarly() int {
	C.csm_mark(0)
	return 1
}

func init() {
	atomic.AddInt32(&initRuns, 1)
	time.Sleep(initDelay)
	dir := os.Getenv("INIT_MARKER_DIR")
	if dir == "" {
		markerErr = "INIT_MARKER_DIR is not set"
	} else if err := os.WriteFile(filepath.Join(dir, MarkerName), []byte(fmt.Sprintf("pid %d\n", os.Getpid())), 0o644); err != nil {
		markerErr = err.Error()
	}
	C.csm_mark(1)
}

// InitRuns is how often this package's init() ran (1), and how often its
// variables were initialized (the early marker) times 100.
//
//export InitRuns
func InitRuns() C.int {
	return C.int(atomic.LoadInt32(&initRuns)) + C.int(earlyMarks)*100
}

// MarkerError is why init could not write its file, or "" (the caller frees it).
//
//export MarkerError
func MarkerError() *C.char {
	return C.CString(markerErr)
}

func main() {}
