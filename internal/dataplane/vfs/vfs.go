// Package vfs is the file system one logged-in Transfer user sees: the
// virtual paths of its SFTP or FTP session, resolved through its home
// directory type (PATH or LOGICAL mappings) to a bucket's objects (the S3
// domain: the object store, internal/objectstore) or a file system's
// files (the EFS domain: the local file store, internal/files), with its
// session policy deciding every command.
//
// Every path a client sends goes through resolve: it is cleaned as an
// absolute path ("..", "." and repeated slashes cannot climb above "/"),
// refused when it holds a NUL byte, and mapped to one bucket or file system
// and a key inside it. On S3 the key is an object key and every operation
// is one of the store's (s3.go): the store keeps its objects where it
// will, and an upload is spooled to a local file and stored when it is
// closed, so no object is ever half written. On EFS the key is opened
// beneath the file system's folder without following a symbolic link at
// any component (package files/beneath: openat2 with
// RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS on Linux), so no path can leave the
// folder whatever the key says and a link planted on the host is never
// followed; a file with several hard links is never written.
package vfs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/ersatz-dev/ersatz/internal/dataplane/policy"
	"github.com/ersatz-dev/ersatz/internal/files"
	"github.com/ersatz-dev/ersatz/internal/files/beneath"
	"github.com/ersatz-dev/ersatz/internal/objectstore"
	"github.com/ersatz-dev/ersatz/internal/objectstore/localfs"
)

// Home directory types.
const (
	TypePath    = "PATH"
	TypeLogical = "LOGICAL"
)

// Mapping is one logical directory mapping.
type Mapping struct {
	Entry  string
	Target string
	Type   string // FILE or DIRECTORY ("" is DIRECTORY)
}

// Owner is the POSIX owner reported for every file (EFS PosixProfile).
type Owner struct {
	Uid, Gid uint32
}

// Upload describes a completed upload.
type Upload struct {
	Path      string // the user's virtual path
	Container string // bucket or file system id
	Key       string // path inside the container
	Size      int64
	// Partial is an upload cut short: the session ended mid-transfer.
	Partial bool
}

// Config is one session's view.
type Config struct {
	// Files is the local file store: the EFS domain's file systems, and
	// where S3 uploads are spooled.
	Files  *files.Store
	Domain files.Domain
	// Objects is the S3 domain's object store; nil is the local backend
	// over Files' folder (objectstore/localfs).
	Objects objectstore.Store
	// SpoolDir is the folder S3 uploads are written to until they are
	// closed; "" is the local backend's spool folder (<Files>/spool),
	// whence a finished upload is moved into place rather than copied.
	SpoolDir string
	// MultipartAbove is the size above which an upload is stored as a
	// multipart upload rather than one PutObject (0: objectstore.MaxPutSize,
	// the largest PutObject), when the store does not take local files.
	MultipartAbove int64
	// Context bounds the calls to the object store (nil: none).
	Context           context.Context
	UserName          string
	HomeDirectory     string
	HomeDirectoryType string
	Mappings          []Mapping
	// Policy is the session policy ("" for none). It applies on S3 only
	// (AWS: "Amazon EFS does not use session policies").
	Policy string
	// Owner is reported as every file's owner when set (EFS).
	Owner *Owner
	// SetStatNoOp makes SETSTAT succeed without effect (ProtocolDetails
	// SetStatOption ENABLE_NO_OP); otherwise SETSTAT is refused on S3 and
	// applied (mode and times) on EFS.
	SetStatNoOp bool
	// OnUpload is called after a file written through the session is closed
	// (Partial when the transfer was interrupted).
	OnUpload func(Upload)
	// OnClose is called once, when the session's file system is closed.
	OnClose func()
	// Traffic, when set, counts the bytes read and written through the
	// session's files.
	Traffic *Traffic
	// OnOp, when set, is told each operation on a file that succeeded (a
	// file read or written when it is closed).
	OnOp func(FileOp)
}

// Errors. They wrap the os errors the SFTP and FTP servers translate.
var (
	ErrDenied    = fmt.Errorf("access denied: %w", os.ErrPermission)
	ErrNotFound  = fmt.Errorf("no such file or directory: %w", os.ErrNotExist)
	ErrExists    = fmt.Errorf("file exists: %w", os.ErrExist)
	ErrBadPath   = fmt.Errorf("invalid path: %w", os.ErrInvalid)
	ErrNotDir    = fmt.Errorf("not a directory: %w", os.ErrInvalid)
	ErrIsDir     = fmt.Errorf("is a directory: %w", os.ErrInvalid)
	ErrNotEmpty  = fmt.Errorf("directory not empty: %w", os.ErrInvalid)
	ErrReadOnly  = fmt.Errorf("cannot change this virtual directory: %w", os.ErrPermission)
	ErrNoSetStat = fmt.Errorf("SETSTAT is not supported on this server (SetStatOption DEFAULT on S3): %w", errors.ErrUnsupported)
	// ErrFolderRename: S3 has no folders to rename.
	ErrFolderRename = fmt.Errorf("renaming a folder is not supported on S3: %w", errors.ErrUnsupported)
	// ErrMapped: a mapping's target stays where the mapping says.
	ErrMapped = fmt.Errorf("a mapped folder or file cannot be renamed or removed: %w", os.ErrPermission)
	// ErrHardLink: a file with several hard links is never written.
	ErrHardLink = fmt.Errorf("file has several hard links: %w", os.ErrPermission)
)

// FS is one session's file system. It is safe for concurrent use.
type FS struct {
	cfg      Config
	home     string
	mappings []Mapping // cleaned, longest Entry first
	policy   *policy.Policy
	vars     map[string]string

	mu    sync.Mutex
	roots map[string]*beneath.Dir

	// objects is the S3 domain's store (nil on EFS); ctx bounds its calls;
	// buckets are those known to exist; anchors the folders always shown
	// (set by New).
	objects objectstore.Store
	ctx     context.Context
	buckets sync.Map
	anchors []node

	life lifecycle
}

// New builds the session's file system and creates its home directory (and
// the folders of its DIRECTORY mappings) when missing: on EFS as folders;
// on S3 their buckets are made, and the folders are shown with no object
// below them, as S3 shows a prefix that has no objects yet.
func New(cfg Config) (*FS, error) {
	if cfg.Files == nil {
		return nil, errors.New("vfs: no file store")
	}
	if cfg.Domain == "" {
		cfg.Domain = files.S3
	}
	f := &FS{cfg: cfg, roots: map[string]*beneath.Dir{}, life: newLifecycle(), ctx: cfg.Context}
	if f.ctx == nil {
		f.ctx = context.Background()
	}
	if cfg.Domain == files.S3 {
		f.objects = cfg.Objects
		if f.objects == nil {
			f.objects = localfs.New(cfg.Files.Dir())
		}
		if f.cfg.SpoolDir == "" {
			f.cfg.SpoolDir = cfg.Files.SpoolDir()
		}
	}
	f.vars = Variables(cfg.UserName, cfg.HomeDirectory, cfg.HomeDirectoryType, cfg.Mappings)
	switch cfg.HomeDirectoryType {
	case TypeLogical:
		for _, m := range cfg.Mappings {
			entry, err := cleanAbs(m.Entry)
			if err != nil {
				return nil, fmt.Errorf("vfs: mapping entry %q: %w", m.Entry, err)
			}
			target, err := cleanAbs(strings.ReplaceAll(m.Target, "${transfer:UserName}", cfg.UserName))
			if err != nil || target == "/" {
				return nil, fmt.Errorf("vfs: mapping target %q must name a bucket or file system: %w", m.Target, ErrBadPath)
			}
			typ := strings.ToUpper(m.Type)
			if typ == "" {
				typ = "DIRECTORY"
			}
			f.mappings = append(f.mappings, Mapping{Entry: entry, Target: target, Type: typ})
		}
		if len(f.mappings) == 0 {
			return nil, errors.New("vfs: a LOGICAL home directory needs mappings")
		}
		// Longest entry first; equal entries keep the first given.
		sort.SliceStable(f.mappings, func(i, j int) bool { return len(f.mappings[i].Entry) > len(f.mappings[j].Entry) })
		f.home = "/"
		if cfg.HomeDirectory != "" {
			h, err := cleanAbs(cfg.HomeDirectory)
			if err == nil {
				f.home = h
			}
		}
	case TypePath, "":
		f.home = "/"
		if cfg.HomeDirectory != "" {
			h, err := cleanAbs(cfg.HomeDirectory)
			if err != nil {
				return nil, fmt.Errorf("vfs: home directory %q: %w", cfg.HomeDirectory, err)
			}
			f.home = h
		}
	default:
		return nil, fmt.Errorf("vfs: unknown HomeDirectoryType %q", cfg.HomeDirectoryType)
	}
	if cfg.Policy != "" && cfg.Domain == files.S3 {
		p, err := policy.Parse(cfg.Policy, f.vars)
		if err != nil {
			return nil, fmt.Errorf("vfs: session policy: %w", err)
		}
		f.policy = p
	}
	f.prepare()
	return f, nil
}

// Variables are the policy variables of a session: UserName; HomeDirectory
// (the home directory without its leading "/", trailing "/" kept as given,
// so "arn:aws:s3:::${transfer:HomeDirectory}*" names what lies below it);
// HomeBucket (its first component) and HomeFolder (the rest, without
// slashes at either end). A LOGICAL user without a HomeDirectory takes them
// from the target of its "/" mapping, if any.
func Variables(userName, homeDir, homeType string, mappings []Mapping) map[string]string {
	h := homeDir
	if homeType == TypeLogical {
		h = ""
		for _, m := range mappings {
			if strings.TrimRight(m.Entry, "/") == "" {
				h = strings.ReplaceAll(m.Target, "${transfer:UserName}", userName)
			}
		}
	}
	dir := strings.TrimLeft(h, "/")
	trimmed := strings.Trim(h, "/")
	bucket, folder, _ := strings.Cut(trimmed, "/")
	return map[string]string{"UserName": userName, "HomeDirectory": dir, "HomeBucket": bucket, "HomeFolder": folder}
}

// prepare creates the home directory and DIRECTORY mapping targets.
func (f *FS) prepare() {
	var dirs []string
	if f.cfg.HomeDirectoryType == TypeLogical {
		for _, m := range f.mappings {
			if m.Type == "DIRECTORY" {
				dirs = append(dirs, m.Target)
			}
		}
	} else if f.home != "/" {
		dirs = append(dirs, f.home)
	}
	for _, d := range dirs {
		c, key, err := files.Split(d)
		if err != nil {
			continue
		}
		if f.objects != nil {
			f.s3Prepare(c, key)
			continue
		}
		root, err := f.root(c, true)
		if err != nil || key == "" {
			continue
		}
		_ = root.MkdirAll(key, 0o755)
	}
}

// Home is the virtual directory the user lands in.
func (f *FS) Home() string { return f.home }

// Vars returns the session's policy variables.
func (f *FS) Vars() map[string]string { return f.vars }

// Close releases the session's open folders.
func (f *FS) Close() error {
	f.mu.Lock()
	for k, r := range f.roots {
		_ = r.Close()
		delete(f.roots, k)
	}
	f.mu.Unlock()
	f.life.close(f.cfg.OnClose)
	return nil
}

// cleanAbs cleans p as an absolute path; a NUL byte is refused.
func cleanAbs(p string) (string, error) {
	if strings.IndexByte(p, 0) >= 0 {
		return "", ErrBadPath
	}
	return path.Clean("/" + p), nil
}

// node is a resolved virtual path.
type node struct {
	virtual   string
	kind      nodeKind
	container string
	key       string
	fileOnly  bool // a FILE mapping
}

type nodeKind int

const (
	kindReal       nodeKind = iota // a file or folder in a container (key "" is the container's root)
	kindVirtual                    // a LOGICAL parent of mapping entries
	kindContainers                 // PATH "/": the list of buckets or file systems
)

// resolve maps a virtual path to its node.
func (f *FS) resolve(p string) (node, error) {
	if err := f.life.err(); err != nil {
		return node{}, err
	}
	v, err := cleanAbs(p)
	if err != nil {
		return node{}, err
	}
	if f.cfg.HomeDirectoryType != TypeLogical {
		if v == "/" {
			return node{virtual: v, kind: kindContainers}, nil
		}
		c, key, err := files.Split(v)
		if err != nil {
			return node{}, ErrBadPath
		}
		if _, err := f.cfg.Files.ContainerDir(f.cfg.Domain, c); err != nil {
			return node{}, ErrBadPath
		}
		return node{virtual: v, kind: kindReal, container: c, key: key}, nil
	}
	for _, m := range f.mappings {
		var rest string
		switch {
		case v == m.Entry:
		case m.Type == "DIRECTORY" && m.Entry == "/":
			rest = v[1:]
		case m.Type == "DIRECTORY" && strings.HasPrefix(v, m.Entry+"/"):
			rest = v[len(m.Entry)+1:]
		default:
			continue
		}
		real := m.Target
		if rest != "" {
			real = path.Join(m.Target, rest)
		}
		c, key, err := files.Split(real)
		if err != nil {
			return node{}, ErrBadPath
		}
		return node{virtual: v, kind: kindReal, container: c, key: key, fileOnly: m.Type == "FILE" && rest == ""}, nil
	}
	for _, m := range f.mappings {
		if v == "/" || strings.HasPrefix(m.Entry, v+"/") {
			return node{virtual: v, kind: kindVirtual}, nil
		}
	}
	return node{}, ErrNotFound
}

// root opens (and caches) a container's folder.
func (f *FS) root(container string, create bool) (*beneath.Dir, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r, ok := f.roots[container]; ok {
		return r, nil
	}
	r, err := f.cfg.Files.OpenContainerBeneath(f.cfg.Domain, container, create)
	if err != nil {
		if errors.Is(err, beneath.ErrLink) {
			return nil, ErrDenied
		}
		if errors.Is(err, os.ErrNotExist) {
			return nil, ErrNotFound
		}
		if errors.Is(err, files.ErrBadContainer) {
			return nil, ErrBadPath
		}
		return nil, mapErr(err)
	}
	f.roots[container] = r
	return r, nil
}

// mapErr turns a file-system error into one of the package's errors,
// without leaking local paths to the client.
func mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, beneath.ErrLink):
		return ErrDenied
	case errors.Is(err, beneath.ErrInvalid):
		return ErrBadPath
	case errors.Is(err, os.ErrNotExist):
		return ErrNotFound
	case errors.Is(err, os.ErrExist):
		return ErrExists
	case errors.Is(err, os.ErrPermission):
		return ErrDenied
	case errors.Is(err, ErrBadPath), errors.Is(err, ErrNotDir), errors.Is(err, ErrIsDir), errors.Is(err, ErrNotEmpty):
		return err
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s failed: %w", pe.Op, unwrapSyscall(pe.Err))
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return fmt.Errorf("%s failed: %w", le.Op, unwrapSyscall(le.Err))
	}
	return errors.New("operation failed")
}

func unwrapSyscall(err error) error {
	if strings.Contains(err.Error(), "not empty") {
		return ErrNotEmpty
	}
	if strings.Contains(err.Error(), "not a directory") {
		return ErrNotDir
	}
	if strings.Contains(err.Error(), "is a directory") {
		return ErrIsDir
	}
	if strings.Contains(err.Error(), "escapes from parent") || strings.Contains(err.Error(), "path escapes") {
		return ErrDenied
	}
	return err
}

// --- session policy ------------------------------------------------------

const arnS3 = "arn:aws:s3:::"

func (f *FS) allow(action, resource string, ctx map[string]string) bool {
	if f.policy == nil {
		return true
	}
	return f.policy.Allows(policy.Request{Action: action, Resource: resource, Context: ctx})
}

func (f *FS) allowObject(action string, n node) bool {
	return f.allow(action, arnS3+n.container+"/"+n.key, nil)
}

func (f *FS) allowList(container, prefix string) bool {
	return f.allow("s3:ListBucket", arnS3+container, map[string]string{"s3:prefix": prefix})
}

// allowListDir: listing a folder lists the prefix "key/" ("" for the root).
func (f *FS) allowListDir(n node) bool {
	if n.key == "" {
		return f.allowList(n.container, "")
	}
	return f.allowList(n.container, n.key+"/")
}

// allowStat: S3 answers a stat with HeadObject (GetObject) or a listing of
// the key as a prefix.
func (f *FS) allowStat(n node) bool {
	if f.policy == nil {
		return true
	}
	if n.key == "" {
		return f.allowList(n.container, "")
	}
	return f.allowObject("s3:GetObject", n) || f.allowList(n.container, n.key) || f.allowList(n.container, n.key+"/")
}
