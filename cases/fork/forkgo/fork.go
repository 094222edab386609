// Package main is libfork: the Go side of the fork case. Background
// goroutines keep the runtime's threads busy, so a fork() copies a process
// whose Go runtime is mid-flight on threads the child will not have.
package main

import "C"

import (
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

// Add needs nothing of the scheduler: the calling thread runs it alone.
//
//export Add
func Add(a, b C.int) C.int { return a + b }

// RoundTrip needs the scheduler: the answer comes from another goroutine, and
// the calling goroutine (locked to its C thread) must wait for it to run.
//
//export RoundTrip
func RoundTrip(v C.int) C.int {
	ch := make(chan C.int)
	go func() { ch <- v * 2 }()
	return <-ch
}

func main() {}
