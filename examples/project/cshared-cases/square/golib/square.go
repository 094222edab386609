// A project's own case: its Go library lives inside the case directory
// (a case is copied into the sandbox alone), with a host that calls it.
package main

import "C"

//export Square
func Square(x C.long) C.long { return x * x }

func main() {}
