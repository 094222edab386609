package main

import "C"

// InitRuns says how many times init ran; calling it waits for init, as every
// export does.
//
//export InitRuns
func InitRuns() C.int { return C.int(runs) }

func main() {}
