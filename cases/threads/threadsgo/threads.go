// Package main is libthreads: exports that C threads call concurrently, and
// exports that call back into C through a function pointer from the host.
package main

/*
typedef int (*intfn)(int);

// Go has no way to call a C function pointer itself; cgo can only call named C
// functions, so this trampoline makes the call on Go's behalf. static inline
// because this preamble is copied into libthreads.h, and an unused plain
// static function there would warn in every host that includes it.
static inline int call_intfn(intfn f, int x) { return f(x); }
*/
import "C"

import (
	"runtime"
	"sync/atomic"
)

// MaxThreads bounds the per-thread totals; the host uses fewer.
const MaxThreads = 16

var (
	totals [MaxThreads]int64 // atomic; sync/atomic's functions, not its types: gccgo 14's library is Go 1.18's
	calls  int64
)

// Work returns thread*1000003 + i*i as a 64-bit value (a register pair on
// 32-bit ARM) and adds it to the caller's total, so both every return value
// and the sum of them can be checked. A call now and then runs a collection,
// which has to stop the other C threads that are inside Go at that moment.
//
//export Work
func Work(thread, i C.int) C.longlong {
	if thread < 0 || thread >= MaxThreads {
		return -1
	}
	v := int64(thread)*1000003 + int64(i)*int64(i)
	atomic.AddInt64(&totals[thread], v)
	atomic.AddInt64(&calls, 1)
	if i%250 == 249 {
		runtime.GC()
	}
	return C.longlong(v)
}

// Total is the sum of every value Work returned to the given thread index.
//
//export Total
func Total(thread C.int) C.longlong {
	if thread < 0 || thread >= MaxThreads {
		return -1
	}
	return C.longlong(atomic.LoadInt64(&totals[thread]))
}

// Calls is the number of Work calls Go saw, from every thread.
//
//export Calls
func Calls() C.longlong {
	return C.longlong(atomic.LoadInt64(&calls))
}

// Square is called from inside a C callback, to re-enter Go while a Go frame
// (ApplyTwice's) is already on the same thread's stack.
//
//export Square
func Square(x C.int) C.int {
	return x * x
}

// ApplyTwice returns f(f(x)), calling the host's function pointer through the
// C trampoline.
//
//export ApplyTwice
func ApplyTwice(f C.intfn, x C.int) C.int {
	return C.call_intfn(f, C.call_intfn(f, x))
}

func main() {}
