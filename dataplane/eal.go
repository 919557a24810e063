package dataplane

/*
#include <stdlib.h>
#include <rte_eal.h>
#include <rte_lcore.h>
#include "tf.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"unsafe"
)

// ErrNotInitialized is returned by calls that need the EAL before Init.
var ErrNotInitialized = errors.New("dataplane: EAL not initialized")

var (
	initOnce sync.Once
	initErr  error
	jobs     chan func()
)

// Init starts the EAL with args (without argv[0]) on a dedicated, locked OS
// thread that becomes the main lcore and serves Do for the life of the
// process. Only the first call initializes; later calls return its result.
func Init(args []string) error {
	initOnce.Do(func() {
		done := make(chan error)
		jobs = make(chan func())
		go mainLcore(args, done)
		initErr = <-done
	})
	return initErr
}

func mainLcore(args []string, done chan<- error) {
	runtime.LockOSThread() // never unlocked: this thread is lcore 0 for EAL
	argv := make([]*C.char, 0, len(args)+1)
	// EAL permutes argv and may keep pointers into it: never freed.
	for _, a := range append([]string{"tunfwd"}, args...) {
		argv = append(argv, C.CString(a))
	}
	cargv := (**C.char)(C.malloc(C.size_t(len(argv)) * C.size_t(unsafe.Sizeof(argv[0]))))
	copy(unsafe.Slice(cargv, len(argv)), argv)
	if ret := C.tf_eal_init(C.int(len(argv)), cargv); ret < 0 {
		done <- fmt.Errorf("rte_eal_init: %w", errno(ret))
		return
	}
	done <- nil
	for f := range jobs {
		f()
	}
}

// Do runs f on the main lcore thread and waits for it. Every DPDK control
// call goes through Do: it serialises thread-unsafe APIs and keeps lcore TLS
// (rte_lcore_id, rte_errno) consistent.
func Do(f func()) {
	if jobs == nil || initErr != nil {
		panic(ErrNotInitialized)
	}
	done := make(chan struct{})
	jobs <- func() {
		defer close(done)
		f()
	}
	<-done
}

// Cleanup releases the EAL. Every DPDK object is invalid afterwards, and the
// EAL cannot be initialized again in this process.
func Cleanup() error {
	var ret C.int
	Do(func() { ret = C.rte_eal_cleanup() })
	return cerr("rte_eal_cleanup", ret)
}

// LcoreCount returns the number of lcores the EAL runs (main included).
func LcoreCount() int {
	var n C.uint
	Do(func() { n = C.rte_lcore_count() })
	return int(n)
}
