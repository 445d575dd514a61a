//go:build !unix

package vfs

// syscallNoFollow: safe() already refuses symbolic links on every path.
const syscallNoFollow = 0
