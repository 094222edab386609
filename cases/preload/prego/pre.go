// Package main is a library a host never names: it is started with it in
// LD_PRELOAD, so the loader maps it (and its init starts the Go runtime)
// before the host's main runs.
package main

import "C"

// PreAdd is a plain call.
//
//export PreAdd
func PreAdd(a, b C.int) C.int { return a + b }

// PreRoundTrip needs another goroutine to answer, so the scheduler must run.
//
//export PreRoundTrip
func PreRoundTrip(v C.int) C.int {
	ch := make(chan C.int)
	go func() { ch <- v * 2 }()
	return <-ch
}

func main() {}
