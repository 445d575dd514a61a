//go:build !unix

package vfs

// nonBlock: named pipes are Unix's.
const nonBlock = 0
