// Package main is libpygo: the exports a Python program reaches through
// ctypes, passing ints and C strings both ways.
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
// differs from len() of the bytes for non-ASCII text.
//
//export CountRunes
func CountRunes(s *C.char) C.int {
	return C.int(utf8.RuneCountInString(C.GoString(s)))
}

// SumTo adds 1..n with one goroutine per term, so a call from a Python
// thread has the Go scheduler at work on a thread Go did not create.
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
