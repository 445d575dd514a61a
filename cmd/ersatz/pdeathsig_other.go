//go:build !linux

package main

// dieWithGoRun does nothing where the kernel cannot tie a process to its
// parent's death: stop the server itself, or run a built binary.
func dieWithGoRun() error { return nil }
