package beneath

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// openat2 resolves name beneath dirfd in one call, refusing every link; it
// reports errors.ErrUnsupported when the kernel (or a seccomp filter) does
// not offer openat2, and the caller walks the path instead.
func openat2(dirfd int, name string, flags int, perm uint32) (int, error) {
	how := &unix.OpenHow{
		Flags:   uint64(flags),
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	}
	if flags&unix.O_CREAT != 0 {
		how.Mode = uint64(perm) // openat2 refuses a mode without O_CREAT
	}
	for tries := 0; ; tries++ {
		fd, err := unix.Openat2(dirfd, name, how)
		switch {
		case err == nil:
			return fd, nil
		case errors.Is(err, unix.ENOSYS), errors.Is(err, unix.EPERM):
			return -1, fmt.Errorf("openat2: %w", errors.ErrUnsupported)
		case (errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR)) && tries < 8:
			continue // a concurrent rename; try again
		}
		return -1, err
	}
}
