package main

import "tunfwd/pktgen"

func writePcap(path string, frames [][]byte) error { return pktgen.WritePcap(path, frames) }
