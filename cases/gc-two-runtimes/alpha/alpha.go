// Package main is libalpha, one of the two Go libraries of the gc-two-runtimes
// case (libbeta is the same code under other names): each carries a Go
// runtime of its own, and C threads make both allocate and collect at once.
package main

import "C"

import (
	"runtime"
	"sync/atomic"
	"unsafe"
)

// node is one allocation: a slice of values and a map that indexes them, with
// the sum taken when it was built, so a node can be checked later.
type node struct {
	vals  []uint64
	index map[uint64]int
	sum   uint64
}

// live is the heap that survives collections: every node built replaces one
// here, so the collector marks nodes other C threads built, and the one a node
// replaces is checked before it is dropped.
var live [64]unsafe.Pointer // *node, through sync/atomic's functions (not its types: gccgo 14's library is Go 1.18's)

var (
	calls     int64 // atomic, as are the three below
	forced    int64
	corrupted int64
	checksum  uint64

	// probe keeps the object whose address Stats reports on the heap.
	probe *[64]byte

	// junk holds the last throwaway buffer, so each is heap-allocated and
	// garbage once the next replaces it.
	junk unsafe.Pointer // *[]byte, atomic
)

// next is xorshift64; the host computes the same sequence in C.
func next(x uint64) uint64 {
	x ^= x << 13
	x ^= x >> 7
	x ^= x << 17
	return x
}

func intact(nd *node) bool {
	if len(nd.index) != len(nd.vals) {
		return false
	}
	var s uint64
	for j, v := range nd.vals {
		if k, ok := nd.index[v]; !ok || k != j {
			return false
		}
		s += v
	}
	return s == nd.sum
}

// AlphaChurn builds iters nodes of 32 to 256 values from the xorshift64
// sequence that starts at seed|1, keeps each in live in place of an older one
// (checked first), drops 16-64 KiB of garbage per node, calls runtime.GC()
// after every gcEvery nodes, and returns the sum of all the values (mod 2^64).
//
//export AlphaChurn
func AlphaChurn(seed C.ulonglong, iters, gcEvery C.int) C.ulonglong {
	x := uint64(seed) | 1
	var total uint64
	for i := 0; i < int(iters); i++ {
		x = next(x)
		n := 32 + int(x%225)
		nd := &node{vals: make([]uint64, n), index: make(map[uint64]int, n)}
		for j := range nd.vals {
			x = next(x)
			nd.vals[j] = x
			nd.index[x] = j
			nd.sum += x
		}
		total += nd.sum
		// 16-64 KiB of garbage per node, so the heap also grows past its
		// goal between the forced collections and the runtime starts cycles of
		// its own.
		buf := make([]byte, 16<<10+int(x%(48<<10)))
		buf[len(buf)-1] = byte(x)
		atomic.StorePointer(&junk, unsafe.Pointer(&buf))
		if old := (*node)(atomic.SwapPointer(&live[x%uint64(len(live))], unsafe.Pointer(nd))); old != nil && !intact(old) {
			atomic.AddInt64(&corrupted, 1)
		}
		if gcEvery > 0 && (i+1)%int(gcEvery) == 0 {
			runtime.GC()
			atomic.AddInt64(&forced, 1)
		}
	}
	atomic.AddInt64(&calls, 1)
	atomic.AddUint64(&checksum, total)
	return C.ulonglong(total)
}

// AlphaStats fills out[0..7]: calls to AlphaChurn, runtime.GC() calls it
// made, nodes found corrupted (the live set is checked once more here), the
// sum of everything AlphaChurn returned, the runtime's NumGC and NumForcedGC,
// the address of a new heap object, and its HeapSys.
//
//export AlphaStats
func AlphaStats(out *C.ulonglong) {
	for i := range live {
		if nd := (*node)(atomic.LoadPointer(&live[i])); nd != nil && !intact(nd) {
			atomic.AddInt64(&corrupted, 1)
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	probe = new([64]byte)
	o := unsafe.Slice(out, 8)
	o[0] = C.ulonglong(atomic.LoadInt64(&calls))
	o[1] = C.ulonglong(atomic.LoadInt64(&forced))
	o[2] = C.ulonglong(atomic.LoadInt64(&corrupted))
	o[3] = C.ulonglong(atomic.LoadUint64(&checksum))
	o[4] = C.ulonglong(ms.NumGC)
	o[5] = C.ulonglong(ms.NumForcedGC)
	o[6] = C.ulonglong(uintptr(unsafe.Pointer(probe)))
	o[7] = C.ulonglong(ms.HeapSys)
}

func main() {}
