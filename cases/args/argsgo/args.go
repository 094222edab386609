// Package main is libargs: it reports what os.Args holds inside a c-shared
// library. Nothing passes it explicitly: the Go runtime fills os.Args from the
// argc/argv that its ELF initializer was called with, if any.
package main

import "C"

import (
	"os"
	"unsafe"
)

// ArgCount is len(os.Args).
//
//export ArgCount
func ArgCount() C.int {
	return C.int(len(os.Args))
}

// ArgAt returns os.Args[i] in C memory (the caller frees it), or NULL when i
// is out of range, so a short os.Args shows up as a NULL rather than a crash.
//
//export ArgAt
func ArgAt(i C.int) *C.char {
	if i < 0 || int(i) >= len(os.Args) {
		return nil
	}
	return C.CString(os.Args[i])
}

// ArgsMatch compares the host's own argv, handed down as C strings, with
// os.Args on the Go side, so the comparison does not depend on ArgAt. It
// returns the index of the first difference (argc or len(os.Args) when one is
// a prefix of the other), or -1 when both hold the same strings.
//
//export ArgsMatch
func ArgsMatch(argc C.int, argv **C.char) C.int {
	host := unsafe.Slice(argv, int(argc))
	for i, p := range host {
		if i >= len(os.Args) || os.Args[i] != C.GoString(p) {
			return C.int(i)
		}
	}
	if len(os.Args) != len(host) {
		return C.int(len(host))
	}
	return -1
}

func main() {}
