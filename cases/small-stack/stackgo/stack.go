// Package main is libstack: the Go side of the small-stack case. Work is
// called from C stacks with little room (a pthread with the smallest stack
// allowed) and from deep C recursion. Every step of it makes the runtime use
// the system stack of the calling M, which for a C thread is the C thread's
// own stack (g0): growing the goroutine stack (newstack and copystack run on
// g0), a large allocation, blocking on a channel while another goroutine runs
// (a locked M parks on g0), and a full collection.
package main

import "C"

import (
	"fmt"
	"runtime"
	"strings"
)

// grow recurses n deep with a 128-byte array in every frame: grow(2000)
// needs some 300 KiB of goroutine stack, so the 8 KiB stack a callback's
// goroutine starts with is grown (copied) several times. It returns the sum
// of k&255 for k = 1..n.
//
//go:noinline
func grow(n int) int {
	var pad [128]byte
	pad[n%128] = byte(n)
	if n == 0 {
		return int(pad[0])
	}
	return grow(n-1) + int(pad[n%128])
}

// Work does the steps above and returns a value the host computes on its own:
// grow(2000) + grow(500) (from a new goroutine) + the sum of a 1 MiB buffer
// filled with (i+seed)&255 + the length of a formatted string.
//
//export Work
func Work(seed C.int) C.longlong {
	total := int64(grow(2000))

	buf := make([]byte, 1<<20)
	for i := range buf {
		buf[i] = byte(i + int(seed))
	}
	for _, b := range buf {
		total += int64(b)
	}

	s := fmt.Sprintf("%d-%s", int(seed), strings.Repeat("x", 100))
	total += int64(len(s))

	ch := make(chan int64)
	go func() { ch <- int64(grow(500)) }()
	total += <-ch

	runtime.GC()
	return C.longlong(total)
}

func main() {}
