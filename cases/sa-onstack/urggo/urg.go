// Package main is liburg: the Go side of the sa-onstack case. It sends its
// own thread SIGURG (Go's preemption signal, one of the few a c-shared
// library's runtime installs a handler for) while Go code runs, so the
// signal lands on a goroutine stack, where a handler without SA_ONSTACK runs.
package main

import "C"

import "syscall"

// RaiseWhileInGo sends SIGURG to the calling thread n times from Go code, with
// Go work between, and returns how many of the sends succeeded. A C thread
// calling into Go keeps its goroutine on that thread, so tgkill(gettid())
// targets the thread that is running this very function.
//
//export RaiseWhileInGo
func RaiseWhileInGo(n C.int) C.int {
	pid, tid := syscall.Getpid(), syscall.Gettid()
	sent, sum := 0, 0
	for i := 0; i < int(n); i++ {
		if syscall.Tgkill(pid, tid, syscall.SIGURG) == nil {
			sent++
		}
		for j := 0; j < 10000; j++ {
			sum += j ^ i
		}
	}
	if sum == -1 {
		return -1 // never: keeps the loop from being optimized away
	}
	return C.int(sent)
}

func main() {}
