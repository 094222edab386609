// Package main is libbeta: one of two Go libraries loaded into the same host,
// each with its own Go runtime and its own state.
package main

import "C"

import "sync/atomic"

var bumps atomic.Int32

// BetaBump adds 10 to this library's counter and returns the new value;
// the step differs between alpha and beta so their counts can't be confused.
//
//export BetaBump
func BetaBump() C.int {
	return C.int(bumps.Add(10))
}

// LibName is exported under the same name by both libraries on purpose. The
// caller frees the result.
//
//export LibName
func LibName() *C.char {
	return C.CString("beta")
}

func main() {}
