// Package main is a library as its authors write it: a package main of
// //export functions, nothing in it written for cshared-matrix. The harness
// builds it with -buildmode=c-shared and loads it with its generated probes.
package main

import "C"

import "strings"

//export Sum
func Sum(a, b C.int) C.int { return a + b }

// Upper returns memory from C.CString (malloc): the caller frees it.
//
//export Upper
func Upper(s *C.char) *C.char { return C.CString(strings.ToUpper(C.GoString(s))) }

//export Version
func Version() *C.char { return C.CString("mylib 1.0") }

func main() {}
