// Package csrc holds tunfwd's C dataplane. It is compiled as one translation
// unit by dataplane/csrc.c; this package only embeds the sources so that an
// edit to any of them changes the Go build cache key of dataplane
// (golang/go#24355: cgo does not track #included files).
package csrc

import "embed"

// Sources are the C files and headers, for the build cache and for tests
// that check the unity file lists every .c file.
//
//go:embed *.c *.h
var Sources embed.FS
