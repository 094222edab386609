// Package main is libenvgo: it reports the environment as the Go runtime sees it.
package main

import "C"

import "os"

// GoGetenv returns os.Getenv(key) as a C string the caller frees, or NULL
// when Go has no such variable, so "unset" and "empty" stay distinguishable.
//
//export GoGetenv
func GoGetenv(key *C.char) *C.char {
	value, ok := os.LookupEnv(C.GoString(key))
	if !ok {
		return nil
	}
	return C.CString(value)
}

func main() {}
