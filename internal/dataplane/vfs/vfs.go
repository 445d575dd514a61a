// Package vfs is the file system one logged-in Transfer user sees: the
// virtual paths of its SFTP or FTP session, resolved through its home
// directory type (PATH or LOGICAL mappings) to the local file store
// (internal/files), with its session policy deciding every command.
//
// Every path a client sends goes through resolve: it is cleaned as an
// absolute path ("..", "." and repeated slashes cannot climb above "/"),
// refused when it holds a NUL byte, mapped to one bucket or file system and
// a key inside it, and walked component by component without following a
// symbolic link. The bucket's folder is opened with os.Root, so no path can
// leave it whatever the key says.
package vfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ersatz-dev/ersatz/internal/dataplane/policy"
	"github.com/ersatz-dev/ersatz/internal/files"
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
	Files             *files.Store
	Domain            files.Domain
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
)

// FS is one session's file system. It is safe for concurrent use.
type FS struct {
	cfg      Config
	home     string
	mappings []Mapping // cleaned, longest Entry first
	policy   *policy.Policy
	vars     map[string]string

	mu    sync.Mutex
	roots map[string]*os.Root
}

// New builds the session's file system and creates its home directory (and
// the folders of its DIRECTORY mappings) when missing, as S3 shows a prefix
// that has no objects yet.
func New(cfg Config) (*FS, error) {
	if cfg.Files == nil {
		return nil, errors.New("vfs: no file store")
	}
	if cfg.Domain == "" {
		cfg.Domain = files.S3
	}
	f := &FS{cfg: cfg, roots: map[string]*os.Root{}}
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
		root, err := f.root(c, true)
		if err != nil || key == "" {
			continue
		}
		if f.safe(root, key, true) == nil {
			_ = root.MkdirAll(key, 0o755)
		}
	}
}

// Home is the virtual directory the user lands in.
func (f *FS) Home() string { return f.home }

// Vars returns the session's policy variables.
func (f *FS) Vars() map[string]string { return f.vars }

// Close releases the session's open folders.
func (f *FS) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, r := range f.roots {
		_ = r.Close()
		delete(f.roots, k)
	}
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
func (f *FS) root(container string, create bool) (*os.Root, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r, ok := f.roots[container]; ok {
		return r, nil
	}
	r, err := f.cfg.Files.OpenContainer(f.cfg.Domain, container, create)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, ErrNotFound
		}
		if errors.Is(err, files.ErrBadContainer) {
			return nil, ErrBadPath
		}
		return nil, err
	}
	f.roots[container] = r
	return r, nil
}

// safeRoot is the root of n's container (made when create) once safe has
// checked n's key in it (a missing component allowed when create).
func (f *FS) safeRoot(n node, create bool) (*os.Root, error) {
	root, err := f.root(n.container, create)
	if err != nil {
		return nil, err
	}
	if err := f.safe(root, n.key, create); err != nil {
		return nil, err
	}
	return root, nil
}

// safe checks that no component of key is a symbolic link (so a link planted
// inside one user's folder cannot reach another's). With allowMissing, a
// missing component ends the walk without error.
func (f *FS) safe(root *os.Root, key string, allowMissing bool) error {
	if key == "" {
		return nil
	}
	cur := ""
	for _, part := range strings.Split(key, "/") {
		if part == "" || part == "." || part == ".." {
			return ErrBadPath
		}
		cur = path.Join(cur, part)
		fi, err := root.Lstat(cur)
		if errors.Is(err, os.ErrNotExist) {
			if allowMissing {
				return nil
			}
			return ErrNotFound
		}
		if err != nil {
			return mapErr(err)
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return ErrDenied
		}
	}
	return nil
}

// mapErr turns a file-system error into one of the package's errors,
// without leaking local paths to the client.
func mapErr(err error) error {
	switch {
	case err == nil:
		return nil
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

// --- file info -----------------------------------------------------------

// FileInfo is what Stat and ReadDir report: the file's own facts with the
// session's owner.
type FileInfo struct {
	name    string
	size    int64
	mode    fs.FileMode
	modTime time.Time
	uid     uint32
	gid     uint32
}

func (i *FileInfo) Name() string       { return i.name }
func (i *FileInfo) Size() int64        { return i.size }
func (i *FileInfo) Mode() fs.FileMode  { return i.mode }
func (i *FileInfo) ModTime() time.Time { return i.modTime }
func (i *FileInfo) IsDir() bool        { return i.mode.IsDir() }
func (i *FileInfo) Sys() any           { return nil }

// Uid and Gid are the owner reported to SFTP clients.
func (i *FileInfo) Uid() uint32 { return i.uid }
func (i *FileInfo) Gid() uint32 { return i.gid }

func (f *FS) info(name string, fi fs.FileInfo) *FileInfo {
	out := &FileInfo{name: name, size: fi.Size(), mode: fi.Mode(), modTime: fi.ModTime()}
	if fi.IsDir() {
		out.size = 0
	}
	if o := f.cfg.Owner; o != nil {
		out.uid, out.gid = o.Uid, o.Gid
	}
	return out
}

func (f *FS) virtualDir(name string) *FileInfo {
	out := &FileInfo{name: name, mode: fs.ModeDir | 0o744}
	if o := f.cfg.Owner; o != nil {
		out.uid, out.gid = o.Uid, o.Gid
	}
	return out
}

func baseName(v string) string {
	if v == "/" {
		return "/"
	}
	return path.Base(v)
}

// --- operations ----------------------------------------------------------

// RealPath cleans p relative to dir (the session's working directory).
func RealPath(dir, p string) string {
	if strings.HasPrefix(p, "/") {
		return path.Clean(p)
	}
	return path.Clean(path.Join("/", dir, p))
}

// Stat reports one virtual path.
func (f *FS) Stat(p string) (*FileInfo, error) {
	n, err := f.resolve(p)
	if err != nil {
		return nil, err
	}
	switch n.kind {
	case kindContainers, kindVirtual:
		return f.virtualDir(baseName(n.virtual)), nil
	}
	if !f.allowStat(n) {
		return nil, ErrDenied
	}
	root, err := f.safeRoot(n, false)
	if err != nil {
		return nil, err
	}
	fi, err := root.Lstat(keyOrDot(n.key))
	if err != nil {
		return nil, mapErr(err)
	}
	if n.fileOnly && fi.IsDir() {
		return nil, ErrNotFound
	}
	return f.info(baseName(n.virtual), fi), nil
}

func keyOrDot(k string) string {
	if k == "" {
		return "."
	}
	return k
}

// ReadDir lists a virtual folder, in ascending order of name. Symbolic
// links are not listed.
func (f *FS) ReadDir(p string) ([]*FileInfo, error) {
	n, err := f.resolve(p)
	if err != nil {
		return nil, err
	}
	switch n.kind {
	case kindContainers:
		if !f.allow("s3:ListAllMyBuckets", arnS3+"*", nil) {
			return nil, ErrDenied
		}
		names, err := f.cfg.Files.Containers(f.cfg.Domain)
		if err != nil {
			return nil, mapErr(err)
		}
		out := make([]*FileInfo, 0, len(names))
		for _, name := range names {
			out = append(out, f.virtualDir(name))
		}
		return out, nil
	case kindVirtual:
		seen := map[string]bool{}
		var out []*FileInfo
		prefix := strings.TrimSuffix(n.virtual, "/") + "/"
		for _, m := range f.mappings {
			if !strings.HasPrefix(m.Entry, prefix) {
				continue
			}
			child, _, _ := strings.Cut(m.Entry[len(prefix):], "/")
			if child == "" || seen[child] {
				continue
			}
			seen[child] = true
			if fi, err := f.Stat(prefix + child); err == nil {
				out = append(out, fi)
			} else if errors.Is(err, os.ErrNotExist) && m.Type == "DIRECTORY" {
				out = append(out, f.virtualDir(child))
			}
		}
		sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
		return out, nil
	}
	if !f.allowListDir(n) {
		return nil, ErrDenied
	}
	root, err := f.safeRoot(n, false)
	if err != nil {
		return nil, err
	}
	dir, err := root.Open(keyOrDot(n.key))
	if err != nil {
		return nil, mapErr(err)
	}
	defer dir.Close()
	st, err := dir.Stat()
	if err != nil {
		return nil, mapErr(err)
	}
	if !st.IsDir() {
		return nil, ErrNotDir
	}
	entries, err := dir.ReadDir(-1)
	if err != nil {
		return nil, mapErr(err)
	}
	out := make([]*FileInfo, 0, len(entries))
	for _, e := range entries {
		if e.Type()&fs.ModeSymlink != 0 {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		out = append(out, f.info(e.Name(), fi))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// real resolves p to a real node, refusing virtual folders with err.
func (f *FS) real(p string, virtualErr error) (node, error) {
	n, err := f.resolve(p)
	if err != nil {
		return n, err
	}
	if n.kind != kindReal {
		return n, virtualErr
	}
	if n.key == "" && virtualErr == ErrReadOnly {
		// A bucket or file system root cannot be written, removed or renamed.
		return n, ErrReadOnly
	}
	return n, nil
}

// OpenFlags say how a file is opened.
type OpenFlags struct {
	Read, Write, Create, Truncate, Exclusive, Append bool
}

// File is an open file of a session.
type File struct {
	*os.File
	fs       *FS
	n        node
	name     string
	write    bool
	failed   atomic.Bool
	once     sync.Once
	closeErr error
}

// Name is the file's virtual path.
func (h *File) Name() string { return h.name }

// Stat reports the open file with the session's owner.
func (h *File) Stat() (os.FileInfo, error) {
	fi, err := h.File.Stat()
	if err != nil {
		return nil, mapErr(err)
	}
	return h.fs.info(baseName(h.n.virtual), fi), nil
}

// TransferError marks the transfer as interrupted (the SFTP and FTP servers
// call it when a session ends mid-transfer): Close then reports a partial
// upload.
func (h *File) TransferError(error) { h.failed.Store(true) }

// Close closes the file; a file opened for writing reports an upload.
func (h *File) Close() error {
	h.once.Do(func() {
		var size int64 = -1
		if h.write {
			if st, err := h.File.Stat(); err == nil {
				size = st.Size()
			}
		}
		h.closeErr = h.File.Close()
		if h.write && h.closeErr == nil && h.fs.cfg.OnUpload != nil {
			h.fs.cfg.OnUpload(Upload{Path: h.n.virtual, Container: h.n.container, Key: h.n.key, Size: size, Partial: h.failed.Load()})
		}
	})
	return h.closeErr
}

// Open opens a file for reading and/or writing.
func (f *FS) Open(p string, fl OpenFlags) (*File, error) {
	n, err := f.real(p, ErrIsDir)
	if err != nil {
		return nil, err
	}
	if n.key == "" {
		return nil, ErrIsDir
	}
	write := fl.Write || fl.Append || fl.Create || fl.Truncate
	if write && !f.allowObject("s3:PutObject", n) {
		return nil, ErrDenied
	}
	if (fl.Read || !write) && !f.allowObject("s3:GetObject", n) {
		return nil, ErrDenied
	}
	root, err := f.safeRoot(n, write)
	if err != nil {
		return nil, err
	}
	flag := os.O_RDONLY
	switch {
	case write && (fl.Read):
		flag = os.O_RDWR
	case write:
		flag = os.O_WRONLY
	}
	if fl.Create {
		flag |= os.O_CREATE
	}
	if fl.Truncate {
		flag |= os.O_TRUNC
	}
	if fl.Exclusive {
		flag |= os.O_EXCL
	}
	if fl.Append {
		flag |= os.O_APPEND
	}
	if write && f.cfg.Domain == files.S3 {
		// S3 has no folders to create first: a key's prefixes exist as soon
		// as the key does.
		if dir := path.Dir(n.key); dir != "." {
			if err := root.MkdirAll(dir, 0o755); err != nil {
				return nil, mapErr(err)
			}
		}
	}
	file, err := root.OpenFile(n.key, flag|syscallNoFollow, 0o644)
	if err != nil {
		return nil, mapErr(err)
	}
	st, err := file.Stat()
	if err != nil {
		file.Close()
		return nil, mapErr(err)
	}
	if st.IsDir() {
		file.Close()
		return nil, ErrIsDir
	}
	return &File{File: file, fs: f, n: n, name: n.virtual, write: write}, nil
}

// Mkdir creates a folder. Its parent must exist.
func (f *FS) Mkdir(p string) error {
	n, err := f.real(p, ErrReadOnly)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return ErrReadOnly
		}
		return err
	}
	if !f.allow("s3:PutObject", arnS3+n.container+"/"+n.key+"/", nil) {
		return ErrDenied
	}
	root, err := f.safeRoot(n, true)
	if err != nil {
		return err
	}
	return mapErr(root.Mkdir(n.key, 0o755))
}

// Remove deletes a file.
func (f *FS) Remove(p string) error {
	n, err := f.real(p, ErrReadOnly)
	if err != nil {
		return err
	}
	if !f.allowObject("s3:DeleteObject", n) {
		return ErrDenied
	}
	root, err := f.safeRoot(n, false)
	if err != nil {
		return err
	}
	fi, err := root.Lstat(n.key)
	if err != nil {
		return mapErr(err)
	}
	if fi.IsDir() {
		return ErrIsDir
	}
	return mapErr(root.Remove(n.key))
}

// Rmdir deletes an empty folder.
func (f *FS) Rmdir(p string) error {
	n, err := f.real(p, ErrReadOnly)
	if err != nil {
		return err
	}
	if !f.allow("s3:DeleteObject", arnS3+n.container+"/"+n.key+"/", nil) {
		return ErrDenied
	}
	root, err := f.safeRoot(n, false)
	if err != nil {
		return err
	}
	fi, err := root.Lstat(n.key)
	if err != nil {
		return mapErr(err)
	}
	if !fi.IsDir() {
		return ErrNotDir
	}
	if n.fileOnly {
		return ErrNotDir
	}
	return mapErr(root.Remove(n.key))
}

// Rename moves a file or folder. With overwrite an existing target file is
// replaced (posix-rename); without, an existing target is refused (SFTP v3
// RENAME).
func (f *FS) Rename(from, to string, overwrite bool) error {
	src, err := f.real(from, ErrReadOnly)
	if err != nil {
		return err
	}
	dst, err := f.real(to, ErrReadOnly)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return ErrReadOnly
		}
		return err
	}
	sroot, err := f.root(src.container, false)
	if err != nil {
		return err
	}
	if err := f.safe(sroot, src.key, false); err != nil {
		return err
	}
	fi, err := sroot.Lstat(src.key)
	if err != nil {
		return mapErr(err)
	}
	srcKey, dstKey := src.key, dst.key
	if fi.IsDir() {
		srcKey, dstKey = srcKey+"/", dstKey+"/"
	}
	// S3 renames are a copy and a delete.
	if !f.allow("s3:GetObject", arnS3+src.container+"/"+srcKey, nil) ||
		!f.allow("s3:DeleteObject", arnS3+src.container+"/"+srcKey, nil) ||
		!f.allow("s3:PutObject", arnS3+dst.container+"/"+dstKey, nil) {
		return ErrDenied
	}
	droot, err := f.root(dst.container, true)
	if err != nil {
		return err
	}
	if err := f.safe(droot, dst.key, true); err != nil {
		return err
	}
	if dfi, err := droot.Lstat(dst.key); err == nil {
		if !overwrite || dfi.IsDir() || fi.IsDir() {
			return ErrExists
		}
	}
	if src.container == dst.container {
		return mapErr(sroot.Rename(src.key, dst.key))
	}
	sdir, err := f.cfg.Files.ContainerDir(f.cfg.Domain, src.container)
	if err != nil {
		return ErrBadPath
	}
	ddir, err := f.cfg.Files.ContainerDir(f.cfg.Domain, dst.container)
	if err != nil {
		return ErrBadPath
	}
	return mapErr(os.Rename(sdir+"/"+src.key, ddir+"/"+dst.key))
}

// SetStat changes a file's mode, size or times where the server allows it.
type SetStat struct {
	Mode  *fs.FileMode
	Size  *int64
	Atime *time.Time
	Mtime *time.Time
}

// Setstat applies attributes: a no-op with SetStatNoOp; refused on S3
// otherwise (AWS: SETSTAT fails on S3 unless SetStatOption is
// ENABLE_NO_OP), except a size change, which is a truncate and needs
// PutObject; applied on EFS.
func (f *FS) Setstat(p string, st SetStat) error {
	n, err := f.real(p, ErrReadOnly)
	if err != nil {
		return err
	}
	if f.cfg.SetStatNoOp {
		_, err := f.Stat(p)
		return err
	}
	root, err := f.safeRoot(n, false)
	if err != nil {
		return err
	}
	if st.Size != nil {
		if !f.allowObject("s3:PutObject", n) {
			return ErrDenied
		}
		file, err := root.OpenFile(n.key, os.O_WRONLY|syscallNoFollow, 0)
		if err != nil {
			return mapErr(err)
		}
		err = file.Truncate(*st.Size)
		file.Close()
		if err != nil {
			return mapErr(err)
		}
	}
	if st.Mode == nil && st.Mtime == nil && st.Atime == nil {
		return nil
	}
	if f.cfg.Domain == files.S3 {
		return ErrNoSetStat
	}
	if st.Mode != nil {
		if err := root.Chmod(n.key, *st.Mode&fs.ModePerm); err != nil {
			return mapErr(err)
		}
	}
	if st.Mtime != nil || st.Atime != nil {
		fi, err := root.Lstat(n.key)
		if err != nil {
			return mapErr(err)
		}
		at, mt := fi.ModTime(), fi.ModTime()
		if st.Atime != nil {
			at = *st.Atime
		}
		if st.Mtime != nil {
			mt = *st.Mtime
		}
		if err := root.Chtimes(n.key, at, mt); err != nil {
			return mapErr(err)
		}
	}
	return nil
}
