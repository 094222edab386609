// Package main adds environment variables through os.Setenv, which in a cgo
// program also calls C's setenv: each new key grows C's environ array, which
// glibc reallocates (and frees) while another thread may be reading it.
package main

import "C"

import (
	"os"
	"strconv"
	"time"
)

// SetenvMany sets CSM_RACE_0, CSM_RACE_1, … for at most ms milliseconds or
// max keys, whichever comes first, and returns how many it set.
//
//export SetenvMany
func SetenvMany(max, ms C.int) C.int {
	deadline := time.Now().Add(time.Duration(ms) * time.Millisecond)
	n := 0
	for ; n < int(max) && time.Now().Before(deadline); n++ {
		os.Setenv("CSM_RACE_"+strconv.Itoa(n), "set by Go")
	}
	return C.int(n)
}

func main() {}
