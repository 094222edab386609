// jnigo: a Go library a JVM loads with System.load, the shape of the 2013
// thread's motivating case (Go code inside Android's Java runtime). Its
// exports are JNI native methods of class Host: the JVM finds them by name
// (Java_<class>_<method>) and calls them with its JNIEnv.
package main

/*
#include <stdlib.h>
#include <jni.h>

// JNIEnv is a table of function pointers, which Go cannot call directly.
static jstring csm_new_string(JNIEnv *env, const char *s) { return (*env)->NewStringUTF(env, s); }
static const char *csm_chars(JNIEnv *env, jstring s) { return (*env)->GetStringUTFChars(env, s, NULL); }
static void csm_release(JNIEnv *env, jstring s, const char *c) { (*env)->ReleaseStringUTFChars(env, s, c); }
*/
import "C"

import (
	"sync"
	"unsafe"
)

//export Java_Host_add
func Java_Host_add(env *C.JNIEnv, cls C.jclass, a, b C.jint) C.jint { return a + b }

// Java_Host_greet calls back into the JVM from Go: a string in, a new Java string out.
//
//export Java_Host_greet
func Java_Host_greet(env *C.JNIEnv, cls C.jclass, who C.jstring) C.jstring {
	c := C.csm_chars(env, who)
	name := C.GoString(c)
	C.csm_release(env, who, c)
	out := C.CString("hello, " + name)
	defer C.free(unsafe.Pointer(out))
	return C.csm_new_string(env, out)
}

// Java_Host_sumTo adds 1..n across four goroutines: the scheduler runs while a
// Java thread waits in the call.
//
//export Java_Host_sumTo
func Java_Host_sumTo(env *C.JNIEnv, cls C.jclass, n C.jint) C.jlong {
	var wg sync.WaitGroup
	parts := make([]int64, 4)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := int64(g) + 1; i <= int64(n); i += 4 {
				parts[g] += i
			}
		}(g)
	}
	wg.Wait()
	return C.jlong(parts[0] + parts[1] + parts[2] + parts[3])
}

func main() {}
