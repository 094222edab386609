// Package main is libinitgo: it records every step of its package
// initialization, and whether main ran, so a host can count them.
package main

import "C"

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

var (
	traceMu sync.Mutex
	trace   []string

	initRuns int32
	mainRuns int32
)

// A package-level initializer runs before any init function, so it is the
// first entry of the trace.
var _ = record("var")

func record(step string) bool {
	traceMu.Lock()
	trace = append(trace, step)
	traceMu.Unlock()
	return true
}

func init() {
	atomic.AddInt32(&initRuns, 1)
	record("init1")
}

// Slow on purpose: the runtime starts on a thread of its own, so dlopen()
// can return before this finishes. An export that did not wait for package
// initialization would see a trace without "init2".
func init() {
	time.Sleep(200 * time.Millisecond)
	record("init2")
}

// A c-shared library has no program to run main for; if it ran anyway, the
// trace would end in "main".
func main() {
	atomic.AddInt32(&mainRuns, 1)
	record("main")
}

// InitRuns is how many times the first init function has run.
//
//export InitRuns
func InitRuns() C.int {
	return C.int(atomic.LoadInt32(&initRuns))
}

// MainRuns is how many times main has run.
//
//export MainRuns
func MainRuns() C.int {
	return C.int(atomic.LoadInt32(&mainRuns))
}

// InitTrace returns the steps so far, comma-separated, as a C string the
// caller frees.
//
//export InitTrace
func InitTrace() *C.char {
	traceMu.Lock()
	defer traceMu.Unlock()
	return C.CString(strings.Join(trace, ","))
}
