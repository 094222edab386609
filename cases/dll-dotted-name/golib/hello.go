// Package main is libhello: a minimal Go c-shared library whose exports pass
// integers and C strings both ways across the cgo boundary.
package main

import "C"

import "unicode/utf8"

//export Add
func Add(a, b C.int) C.int {
	return a + b
}

// Greet returns a string allocated by C.CString (malloc); the caller frees it.
//
//export Greet
func Greet(name *C.char) *C.char {
	return C.CString("hello, " + C.GoString(name))
}

// CountRunes decodes its argument as UTF-8 on the Go side, so its answer
// differs from strlen() for non-ASCII text.
//
//export CountRunes
func CountRunes(s *C.char) C.int {
	return C.int(utf8.RuneCountInString(C.GoString(s)))
}

func main() {}
