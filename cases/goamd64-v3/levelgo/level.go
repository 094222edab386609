// Package main is a library built with GOAMD64=v3 (case.json's goenv), as it
// is when the build machine is newer than the machine that loads it: the
// compiler may then use AVX2, BMI2, FMA, LZCNT and MOVBE anywhere.
package main

import "C"

import "math/bits"

// Bits returns the number of set bits plus the leading zeros of x: with v3,
// POPCNT and LZCNT without a run-time CPU check.
//
//export Bits
func Bits(x C.ulonglong) C.int {
	return C.int(bits.OnesCount64(uint64(x)) + bits.LeadingZeros64(uint64(x)))
}

func main() {}
