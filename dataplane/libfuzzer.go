package dataplane

/*
#include <stddef.h>
#include <stdint.h>
int tf_fz_abort(void); // fuzz.go
*/
import "C"

import (
	"fmt"
	"os"
	"unsafe"
)

// LibFuzzerOne is what the libFuzzer driver (RunLibFuzzer) does with each
// input; the fuzz harness sets it. An error is printed and aborts the
// process, which libFuzzer turns into a crash artifact.
var LibFuzzerOne func(data []byte) error

//export tfLibFuzzerOne
func tfLibFuzzerOne(data *C.uint8_t, size C.size_t) C.int {
	b := unsafe.Slice((*byte)(unsafe.Pointer(data)), int(size))
	if err := LibFuzzerOne(b); err != nil {
		fmt.Fprintln(os.Stderr, "tunfwd libfuzzer: invariant broken:", err)
		C.tf_fz_abort()
	}
	return 0
}
