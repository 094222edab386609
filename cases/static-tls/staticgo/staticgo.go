// Package main is libstaticgo: an ordinary Go library. Its runtime keeps the
// current goroutine in an initial-exec TLS slot (8 bytes), so loading it needs
// static TLS.
package main

import "C"

// SumTo adds 1..n with one goroutine per term, so a call has the scheduler,
// and with it the runtime's TLS slot, at work on the calling thread.
//
//export SumTo
func SumTo(n C.int) C.longlong {
	results := make(chan int64)
	for i := 1; i <= int(n); i++ {
		go func(i int64) { results <- i }(int64(i))
	}
	var sum int64
	for i := 1; i <= int(n); i++ {
		sum += <-results
	}
	return C.longlong(sum)
}

func main() {}
