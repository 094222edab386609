// Package main is libsigs: the Go side of the signals case, after the
// libgo4/libgo5 libraries of Go's own testcshared tests. It never touches
// SIGSEGV handling itself; the runtime does that on load.
package main

import "C"

import (
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// Ping enters Go and returns, so that the calling C thread becomes known to
// the runtime (it borrows an M, which Go 1.21 and later keep bound to it).
//
//export Ping
func Ping() C.int {
	return 42
}

// nilPtr is a package variable so the compiler cannot prove the dereference
// below faults and turn it into anything but a real load through nil.
var nilPtr *int

// RecoverNil dereferences a nil pointer, which faults (SIGSEGV at address 0)
// and must become a run-time panic that a deferred recover catches. It
// returns 1 if the recovered value is the runtime's nil-dereference error,
// 0 if something else was recovered, and -1 if there was no panic.
//
//export RecoverNil
func RecoverNil() (result C.int) {
	defer func() {
		r := recover()
		err, isRuntime := r.(runtime.Error)
		switch {
		case r == nil:
			result = -1
		case isRuntime && strings.Contains(err.Error(), "nil pointer dereference"):
			result = 1
		default:
			result = 0
		}
	}()
	*nilPtr = 1
	return -1
}

// sigio receives SIGIO while CatchSIGIO's Notify is in force; buffered so a
// signal that arrives before SawSIGIO waits is kept.
var sigio = make(chan os.Signal, 1)

// CatchSIGIO installs Go's handler for SIGIO, which until now was left to the
// host's (Go only takes synchronous signals and SIGPIPE when it is a library).
//
//export CatchSIGIO
func CatchSIGIO() {
	signal.Notify(sigio, syscall.SIGIO)
}

// ResetSIGIO undoes Notify; the runtime puts back the handler it found.
//
//export ResetSIGIO
func ResetSIGIO() {
	signal.Reset(syscall.SIGIO)
}

// SawSIGIO reports whether a SIGIO reached sigio within ms milliseconds.
//
//export SawSIGIO
func SawSIGIO(ms C.int) C.int {
	select {
	case <-sigio:
		return 1
	case <-time.After(time.Duration(ms) * time.Millisecond):
		return 0
	}
}

func main() {}
