// Package main is libtlsgo: its exports make the Go runtime use its own
// thread-local state (goroutine scheduling, channel blocking, a GC) while
// called from C threads that have TLS of their own.
package main

import "C"

import "runtime"

// SumSquares adds 1²..n² with one goroutine per term, so a call parks the
// calling thread on a channel and wakes it again on the scheduler.
//
//export SumSquares
func SumSquares(n C.int) C.longlong {
	results := make(chan int64)
	for i := 1; i <= int(n); i++ {
		go func(i int64) { results <- i * i }(int64(i))
	}
	var sum int64
	for i := 1; i <= int(n); i++ {
		sum += <-results
	}
	// A collection stops every Go thread and scans their stacks, which
	// includes the C thread currently inside this call.
	runtime.GC()
	return C.longlong(sum)
}

func main() {}
