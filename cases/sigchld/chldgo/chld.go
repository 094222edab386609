// Package main is libchld: the Go side of the sigchld case. Goroutines keep
// the runtime's threads busy, so a SIGCHLD the kernel sends the process may
// land on a thread Go created, where only the host's handler is installed (a
// c-shared runtime leaves asynchronous signals to the host).
package main

import "C"

import (
	"errors"
	"os/exec"
	"strconv"
	"sync/atomic"
	"time"
)

var ticks int64 // atomic; sync/atomic's functions, not its types: gccgo 14's library is Go 1.18's

// StartBackground starts n goroutines that tick forever, a millisecond apart.
//
//export StartBackground
func StartBackground(n C.int) {
	for i := 0; i < int(n); i++ {
		go func() {
			for {
				atomic.AddInt64(&ticks, 1)
				time.Sleep(time.Millisecond)
			}
		}()
	}
}

// Ticks is how often the background goroutines have ticked so far.
//
//export Ticks
func Ticks() C.longlong { return C.longlong(atomic.LoadInt64(&ticks)) }

// RunChild runs `/bin/sh -c "exit <code>"` with os/exec and returns the exit
// status Go's Wait saw, or -1 if Wait failed otherwise (ECHILD: someone else
// reaped Go's child).
//
//export RunChild
func RunChild(code C.int) C.int {
	err := exec.Command("/bin/sh", "-c", "exit "+strconv.Itoa(int(code))).Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return C.int(ee.ExitCode())
	default:
		return -1
	}
}

func main() {}
