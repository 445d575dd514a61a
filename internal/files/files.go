// Package files is the local storage behind Transfer's S3 and EFS domains,
// shared by the data plane (SFTP/FTP servers) and the B2B connectors.
//
// Layout under the data directory:
//
//	<data-dir>/files/s3/<bucket>/<key...>     the S3 domain: "/bucket/key" of a home directory
//	<data-dir>/files/efs/<fs-id>/<path...>    the EFS domain: "/fs-id/path"
//
// Paths are confined with os.Root: nothing outside a bucket or file system
// folder can be reached, whatever the path says. The data plane opens its
// folders with OpenContainerBeneath, which follows no symbolic link at any
// component below <data-dir>/files (package beneath).
package files

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ersatz-dev/ersatz/internal/files/beneath"
)

// Domain is the storage domain of a Transfer server.
type Domain string

// The domains.
const (
	S3  Domain = "S3"
	EFS Domain = "EFS"
)

// Store is the root of local file storage.
type Store struct {
	dir string
}

// New returns the file store rooted at <dataDir>/files.
func New(dataDir string) *Store {
	return &Store{dir: filepath.Join(dataDir, "files")}
}

// Dir is the folder holding every domain.
func (s *Store) Dir() string { return s.dir }

// SpoolDir is the folder of <files> where S3 uploads wait until they are
// stored: no bucket and no List shows it, and the local backend moves a
// file from it into place rather than copying it.
func (s *Store) SpoolDir() string { return filepath.Join(s.dir, "spool") }

// ErrBadPath is a path that names no bucket or file system.
var ErrBadPath = errors.New("files: path must start with /<bucket> or /<file-system-id>")

// Split cleans a Transfer path ("/bucket/key/...") into its container
// (bucket or file system id) and the path inside it ("key/..."; "" for the
// container itself).
func Split(p string) (container, rest string, err error) {
	if strings.ContainsRune(p, 0) {
		return "", "", ErrBadPath
	}
	clean := path.Clean("/" + p)
	parts := strings.SplitN(strings.TrimPrefix(clean, "/"), "/", 2)
	if parts[0] == "" || parts[0] == "." || parts[0] == ".." {
		return "", "", ErrBadPath
	}
	if len(parts) == 2 {
		rest = parts[1]
	}
	return parts[0], rest, nil
}

// Container opens the folder of one bucket or file system as an os.Root,
// creating it when missing.
func (s *Store) Container(d Domain, name string) (*os.Root, error) {
	return s.OpenContainer(d, name, true)
}

// ErrBadContainer is a bucket or file system name that cannot be a folder.
var ErrBadContainer = errors.New("files: bad container name")

// ContainerDir is the folder of one bucket or file system.
func (s *Store) ContainerDir(d Domain, name string) (string, error) {
	if name == "" || strings.ContainsAny(name, "/\\\x00") || name == "." || name == ".." {
		return "", fmt.Errorf("%w: %q", ErrBadContainer, name)
	}
	return filepath.Join(s.dir, strings.ToLower(string(d)), name), nil
}

// OpenContainer opens the folder of one bucket or file system as an os.Root;
// when it is missing, it is created if create is set, and otherwise the
// error wraps os.ErrNotExist. A container folder that is a link leaving the
// store's folder is refused; os.Root follows links that stay inside the
// container (the data plane uses OpenContainerBeneath, which follows none).
func (s *Store) OpenContainer(d Domain, name string, create bool) (*os.Root, error) {
	dir, err := s.ContainerDir(d, name)
	if err != nil {
		return nil, err
	}
	// The container is opened through the store's folder, so a domain or
	// container folder that is a link out of it is refused.
	if create {
		if err := os.MkdirAll(s.dir, 0o755); err != nil {
			return nil, fmt.Errorf("files: create %s: %w", s.dir, err)
		}
	}
	top, err := os.OpenRoot(s.dir)
	if err != nil {
		return nil, fmt.Errorf("files: open %s: %w", dir, err)
	}
	defer top.Close()
	rel := strings.ToLower(string(d)) + "/" + name
	if create {
		if err := top.MkdirAll(rel, 0o755); err != nil {
			return nil, fmt.Errorf("files: create %s: %w", dir, err)
		}
	}
	root, err := top.OpenRoot(rel)
	if err != nil {
		return nil, fmt.Errorf("files: open %s: %w", dir, err)
	}
	return root, nil
}

// OpenContainerBeneath opens the folder of one bucket or file system
// without following a symbolic link at any component below the store's
// folder (the domain's folder and the container's own included); when it
// is missing, it is created if create is set, and otherwise the error wraps
// os.ErrNotExist. A link wraps beneath.ErrLink.
func (s *Store) OpenContainerBeneath(d Domain, name string, create bool) (*beneath.Dir, error) {
	if _, err := s.ContainerDir(d, name); err != nil {
		return nil, err
	}
	if create {
		if err := os.MkdirAll(s.dir, 0o755); err != nil {
			return nil, fmt.Errorf("files: create %s: %w", s.dir, err)
		}
	}
	root, err := beneath.OpenRoot(s.dir)
	if err != nil {
		return nil, fmt.Errorf("files: open %s: %w", s.dir, err)
	}
	defer root.Close()
	dir, err := root.OpenDir(strings.ToLower(string(d))+"/"+name, create)
	if err != nil {
		return nil, fmt.Errorf("files: open %s container %s: %w", d, name, err)
	}
	return dir, nil
}

// Buckets lists the S3 buckets that have a folder.
func (s *Store) Buckets() ([]string, error) { return s.Containers(S3) }

// Containers lists the buckets or file systems of a domain that have a
// folder, in ascending order.
func (s *Store) Containers(d Domain) ([]string, error) {
	root, err := beneath.OpenRoot(s.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("files: list %s containers: %w", d, err)
	}
	defer root.Close()
	entries, err := root.ReadDir(strings.ToLower(string(d)))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("files: list %s containers: %w", d, err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() { // a link is not a container
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out, nil
}

// Empty deletes every file and folder of every domain: what a reset of
// Ersatz's state does to the files, so that the next test does not see the
// uploads of the last one.
func (s *Store) Empty() error {
	entries, err := os.ReadDir(s.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("files: empty %s: %w", s.dir, err)
	}
	var errs []error
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(s.dir, e.Name())); err != nil {
			errs = append(errs, fmt.Errorf("files: empty %s: %w", s.dir, err))
		}
	}
	return errors.Join(errs...)
}
