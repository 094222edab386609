// Package main is libalpha: one of two Go libraries loaded into the same host.
// Built by gc, each carries its own Go runtime; built by gccgo, both link one
// shared libgo, and the exports below let the host tell which.
package main

// #include <stdint.h>
import "C"

import (
	"os"
	"reflect"
	"runtime"
	"sync/atomic"
)

var bumps int32 // atomic; sync/atomic's functions, not its types: gccgo 14's library is Go 1.18's

// AlphaBump adds 1 to this library's counter and returns the new value;
// the step differs between alpha and beta so their counts can't be confused.
//
//export AlphaBump
func AlphaBump() C.int {
	return C.int(atomic.AddInt32(&bumps, 1))
}

// LibName is exported under the same name by both libraries on purpose. The
// caller frees the result.
//
//export LibName
func LibName() *C.char {
	return C.CString("alpha")
}

// AlphaRuntime is the address of the runtime's GC function as this library
// sees it: two runtimes, two addresses; one shared libgo, one.
//
//export AlphaRuntime
func AlphaRuntime() C.uintptr_t {
	return C.uintptr_t(reflect.ValueOf(runtime.GC).Pointer())
}

// AlphaSetenv sets a variable through this library's os package.
//
//export AlphaSetenv
func AlphaSetenv(key, value *C.char) {
	os.Setenv(C.GoString(key), C.GoString(value))
}

// AlphaGetenv reads one through this library's os package; the caller frees it.
//
//export AlphaGetenv
func AlphaGetenv(key *C.char) *C.char {
	return C.CString(os.Getenv(C.GoString(key)))
}

func main() {}
