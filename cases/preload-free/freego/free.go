// Package main exports a function named like libc's free, as an LD_PRELOAD
// hook written in Go does (golang/go#26184): preloaded, it interposes libc's
// free for the whole process, the runtime's own C code included.
package main

import "C"

import (
	"sync/atomic"
	"unsafe"
)

var frees int64 // atomic; gccgo 14's library is Go 1.18's

// free replaces libc's free for the process: it counts and leaks.
//
//export free
func free(p unsafe.Pointer) { atomic.AddInt64(&frees, 1) }

// Frees is how many free() calls reached Go.
//
//export Frees
func Frees() C.longlong { return C.longlong(atomic.LoadInt64(&frees)) }

func main() {}
