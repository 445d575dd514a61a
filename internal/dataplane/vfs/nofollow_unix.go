//go:build unix

package vfs

import "syscall"

// syscallNoFollow refuses to open a symbolic link as the last component.
const syscallNoFollow = syscall.O_NOFOLLOW
