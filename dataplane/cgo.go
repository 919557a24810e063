package dataplane

/*
#cgo pkg-config: libdpdk
#cgo CFLAGS: -O3 -DALLOW_EXPERIMENTAL_API -I${SRCDIR}/../csrc -Wall -Wextra -Werror
#cgo LDFLAGS: -lrte_bus_vdev
#include "tf.h"
*/
import "C"

import (
	"fmt"
	"syscall"

	_ "tunfwd/csrc" // build cache key for the C sources
)

// errno turns a negative errno returned by a C helper into an error.
func errno(ret C.int) error {
	if ret >= 0 {
		return nil
	}
	return syscall.Errno(-ret)
}

// cerr wraps a failed C call's negative errno with context.
func cerr(what string, ret C.int) error {
	if err := errno(ret); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
