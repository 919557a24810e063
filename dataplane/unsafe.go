package dataplane

import "unsafe"

// unsafeSlice views n C elements starting at p as a Go slice (C memory: the
// slice must not outlive the C allocation).
func unsafeSlice[T any](p *T, n int) []T {
	if n == 0 {
		return nil
	}
	return unsafe.Slice(p, n)
}
