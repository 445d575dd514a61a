package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// dieWithGoRun asks the kernel to send SIGTERM to this process when its
// parent dies, if that parent is `go run`: go run builds a temporary binary
// and runs it as a child, and a SIGTERM to go run would otherwise leave the
// server running. A binary started any other way (a shell, a service
// manager, a container) is left alone, so it outlives a parent that exits.
func dieWithGoRun() error {
	ppid := os.Getppid()
	comm, err := os.ReadFile(filepath.Join("/proc", fmt.Sprint(ppid), "comm"))
	if err != nil || strings.TrimSpace(string(comm)) != "go" {
		return nil
	}
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_PDEATHSIG, uintptr(syscall.SIGTERM), 0); errno != 0 {
		return fmt.Errorf("prctl(PR_SET_PDEATHSIG): %w", errno)
	}
	// go run may have died before the request: then nothing would come.
	if os.Getppid() != ppid {
		return syscall.Kill(os.Getpid(), syscall.SIGTERM)
	}
	return nil
}
