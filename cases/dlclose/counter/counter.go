// Package main is libcounter: a counter owned by a goroutine that the
// library's init starts, so its value survives only if both the library's
// memory and its running goroutines do.
package main

import "C"

// requests carries one reply channel per Bump to the counting goroutine.
var requests = make(chan chan int32)

func init() {
	go func() {
		var n int32
		for reply := range requests {
			n++
			reply <- n
		}
	}()
}

// Bump asks the counting goroutine for the next value: 1, 2, 3, …
//
//export Bump
func Bump() C.int {
	reply := make(chan int32)
	requests <- reply
	return C.int(<-reply)
}

func main() {}
