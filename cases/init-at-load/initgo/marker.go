package main

// The marker is C data in the library itself, exported like a function, so
// the host can read it without calling into Go: calling an export would wait
// for init and hide the very thing measured. It lives in this file's preamble
// because a file with //export may declare but not define C symbols.

/*
#ifdef _WIN32
#define CSM_EXPORT __declspec(dllexport)
#else
#define CSM_EXPORT __attribute__((visibility("default")))
#endif
CSM_EXPORT volatile int csm_init_mark;
static void csm_set_mark(int v) { __atomic_store_n(&csm_init_mark, v, __ATOMIC_RELEASE); }
*/
import "C"

var runs int

func init() {
	runs++
	C.csm_set_mark(C.int(runs))
}
