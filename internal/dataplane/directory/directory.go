// Package directory is Ersatz's small local stand-in for AWS Directory
// Service: users with passwords and the SIDs of their groups, per directory
// id, against which the data plane authenticates the users of
// AWS_DIRECTORY_SERVICE servers. Its state lives in the store (scope
// account "ersatz", region "local", service "directory"), so it survives
// restarts on sqlite and PostgreSQL; it is loaded from a JSON file
// (ersatz serve --directory FILE) and managed through /_ersatz/directory.
package directory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/ersatz-dev/ersatz/internal/store"
)

// Scope is where the directory keeps its state.
var Scope = store.Scope{Account: "ersatz", Region: "local", Service: "directory"}

// AnyDirectory is the directory id that serves every server whose own
// directory has no such user.
const AnyDirectory = "*"

// bcryptCost keeps logins quick; this is a local emulator, not a vault.
const bcryptCost = 8

// File is the JSON of a directory file and of POST /_ersatz/directory.
type File struct {
	Directories []FileDirectory `json:"directories"`
}

// FileDirectory is one directory of a File.
type FileDirectory struct {
	DirectoryID string      `json:"directoryId"`
	Groups      []FileGroup `json:"groups,omitempty"`
	Users       []FileUser  `json:"users"`
}

// FileGroup names a group's SID, so users can list groups by name.
type FileGroup struct {
	Name string `json:"name"`
	SID  string `json:"sid"`
}

// FileUser is a user with its clear-text password and its groups (SIDs or
// names of the directory's groups).
type FileUser struct {
	Name     string   `json:"name"`
	Password string   `json:"password"`
	Groups   []string `json:"groups"`
}

// User is a user as stored (the password only as a bcrypt hash).
type User struct {
	DirectoryID  string   `json:"directoryId"`
	Name         string   `json:"name"`
	PasswordHash string   `json:"passwordHash"`
	Groups       []string `json:"groups"` // SIDs
}

// Directory authenticates against the store.
type Directory struct {
	st store.Store
}

// New returns the directory over st.
func New(st store.Store) *Directory { return &Directory{st: st} }

var (
	// ErrBadCredentials is an unknown user or a wrong password.
	ErrBadCredentials = errors.New("directory: unknown user or wrong password")
	// ErrInvalid is a malformed directory id, user, password or group.
	ErrInvalid = errors.New("directory: invalid")
)

var (
	dirIDPattern = regexp.MustCompile(`^(d-[0-9a-f]{10}|\*)$`)
	sidPattern   = regexp.MustCompile(`^S-1-[0-9]+(-[0-9]+)+$`)
)

func dirKey(id string) store.Key { return store.Key{Scope: Scope, Kind: "directory", ID: id} }

func userKey(dirID, name string) store.Key {
	return dirKey(dirID).Child("user", strings.ToLower(name))
}

// NormalizeName strips a "DOMAIN\" prefix and an "@domain" suffix: the
// directory matches the bare user name, case-insensitively.
func NormalizeName(name string) string {
	if i := strings.LastIndexByte(name, '\\'); i >= 0 {
		name = name[i+1:]
	}
	if i := strings.IndexByte(name, '@'); i > 0 {
		name = name[:i]
	}
	return name
}

func checkUser(dirID, name, password string, groups []string) error {
	if !dirIDPattern.MatchString(dirID) {
		return fmt.Errorf("%w: directory id %q (d- and 10 hex digits, or *)", ErrInvalid, dirID)
	}
	if name == "" || len(name) > 100 || strings.ContainsAny(name, "/\\@\x00 ") {
		return fmt.Errorf("%w: user name %q", ErrInvalid, name)
	}
	if password == "" || len(password) > 72 {
		return fmt.Errorf("%w: password of %s must be 1..72 bytes", ErrInvalid, name)
	}
	for _, g := range groups {
		if !sidPattern.MatchString(g) {
			return fmt.Errorf("%w: group %q of %s is not a SID (S-1-...)", ErrInvalid, g, name)
		}
	}
	return nil
}

// Put creates or replaces a user.
func (d *Directory) Put(ctx context.Context, dirID, name, password string, groups []string) error {
	if err := checkUser(dirID, name, password, groups); err != nil {
		return err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcryptCost)
	if err != nil {
		return fmt.Errorf("directory: hash password: %w", err)
	}
	u := User{DirectoryID: dirID, Name: name, PasswordHash: string(hash), Groups: append([]string{}, groups...)}
	return d.st.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.Get(dirKey(dirID)); errors.Is(err, store.ErrNotFound) {
			if err := store.PutJSON(tx, dirKey(dirID), map[string]string{"directoryId": dirID}); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		return store.PutJSON(tx, userKey(dirID, name), u)
	})
}

// Delete removes a user.
func (d *Directory) Delete(ctx context.Context, dirID, name string) error {
	return d.st.Update(ctx, func(tx store.Tx) error { return tx.Delete(userKey(dirID, name)) })
}

// Users lists the users of a directory, in ascending order of name.
func (d *Directory) Users(ctx context.Context, dirID string) ([]User, error) {
	var out []User
	err := d.st.View(ctx, func(tx store.Tx) error {
		out = out[:0]
		token := ""
		for {
			page, next, err := store.ListJSON[User](tx,
				store.Collection{Scope: Scope, Parent: dirKey(dirID).Path(), Kind: "user"}, store.Page{Token: token, Limit: 1000})
			if err != nil {
				return err
			}
			out = append(out, page...)
			if next == "" {
				return nil
			}
			token = next
		}
	})
	return out, err
}

// Directories lists the directory ids that have users.
func (d *Directory) Directories(ctx context.Context) ([]string, error) {
	var out []string
	err := d.st.View(ctx, func(tx store.Tx) error {
		items, _, err := tx.List(store.Collection{Scope: Scope, Kind: "directory"}, store.Page{})
		out = out[:0]
		for _, it := range items {
			out = append(out, it.Key.ID)
		}
		return err
	})
	return out, err
}

// Authenticate checks a user's password in the server's directory, then in
// the "*" directory. It returns the user with its group SIDs.
func (d *Directory) Authenticate(ctx context.Context, dirID, name, password string) (User, error) {
	name = NormalizeName(name)
	if name == "" || strings.ContainsAny(name, "/\x00") {
		return User{}, ErrBadCredentials
	}
	for _, id := range []string{dirID, AnyDirectory} {
		if id == "" {
			continue
		}
		var u User
		err := d.st.View(ctx, func(tx store.Tx) error {
			var err error
			u, err = store.GetJSON[User](tx, userKey(id, name))
			return err
		})
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return User{}, fmt.Errorf("directory: read user: %w", err)
		}
		if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil {
			return User{}, ErrBadCredentials
		}
		return u, nil
	}
	// Spend the time of a comparison for unknown users too.
	_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
	return User{}, ErrBadCredentials
}

var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("ersatz-no-such-user"), bcryptCost)

// Load adds (or replaces) every user of f. Nothing is written when any user
// of f is invalid, or when f lists a user twice (names are case-insensitive),
// which would leave only the second one able to log in.
func (d *Directory) Load(ctx context.Context, f *File) (int, error) {
	type entry struct {
		dir  string
		user FileUser
		sids []string
	}
	var all []entry
	seen := map[store.Key]bool{}
	for _, dir := range f.Directories {
		groups := map[string]string{}
		for _, g := range dir.Groups {
			if !sidPattern.MatchString(g.SID) {
				return 0, fmt.Errorf("%w: group %q has SID %q", ErrInvalid, g.Name, g.SID)
			}
			if sid, dup := groups[strings.ToLower(g.Name)]; dup && sid != g.SID {
				return 0, fmt.Errorf("%w: group %q of %s is named twice, with SIDs %s and %s", ErrInvalid, g.Name, dir.DirectoryID, sid, g.SID)
			}
			groups[strings.ToLower(g.Name)] = g.SID
		}
		for _, u := range dir.Users {
			var sids []string
			for _, g := range u.Groups {
				if sid, ok := groups[strings.ToLower(g)]; ok {
					g = sid
				}
				sids = append(sids, g)
			}
			if err := checkUser(dir.DirectoryID, u.Name, u.Password, sids); err != nil {
				return 0, err
			}
			k := userKey(dir.DirectoryID, u.Name)
			if seen[k] {
				return 0, fmt.Errorf("%w: user %q of %s is listed twice (user names are case-insensitive)", ErrInvalid, u.Name, dir.DirectoryID)
			}
			seen[k] = true
			all = append(all, entry{dir.DirectoryID, u, sids})
		}
	}
	for _, e := range all {
		if err := d.Put(ctx, e.dir, e.user.Name, e.user.Password, e.sids); err != nil {
			return 0, err
		}
	}
	return len(all), nil
}

// LoadFile reads a directory file and loads it.
func (d *Directory) LoadFile(ctx context.Context, name string) (int, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return 0, fmt.Errorf("directory: %w", err)
	}
	f, err := parse(b)
	if err != nil {
		return 0, fmt.Errorf("directory: %s: %w", name, err)
	}
	return d.Load(ctx, f)
}

func parse(b []byte) (*File, error) {
	var f File
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: unexpected data after the JSON object", ErrInvalid)
	}
	return &f, nil
}

// --- HTTP ----------------------------------------------------------------

// Routes are the endpoints under /_ersatz/directory (see docs/dataplane.md).
func (d *Directory) Routes() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"GET /_ersatz/directory":                       d.httpDirectories,
		"POST /_ersatz/directory":                      d.httpLoad,
		"GET /_ersatz/directory/{dir}/users":           d.httpUsers,
		"PUT /_ersatz/directory/{dir}/users/{name}":    d.httpPut,
		"DELETE /_ersatz/directory/{dir}/users/{name}": d.httpDelete,
	}
}

type publicUser struct {
	Name   string   `json:"name"`
	Groups []string `json:"groups"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func httpErr(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, ErrInvalid):
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
	case errors.Is(err, store.ErrNotFound):
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such user"})
	default:
		// The cause may name the database; the client gets no detail.
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
	}
}

func (d *Directory) httpDirectories(w http.ResponseWriter, r *http.Request) {
	ids, err := d.Directories(r.Context())
	if err != nil {
		httpErr(w, err)
		return
	}
	sort.Strings(ids)
	if ids == nil {
		ids = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"directories": ids})
}

func (d *Directory) httpLoad(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		httpErr(w, err)
		return
	}
	f, err := parse(b)
	if err != nil {
		httpErr(w, err)
		return
	}
	n, err := d.Load(r.Context(), f)
	if err != nil {
		httpErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"users": n})
}

func (d *Directory) httpUsers(w http.ResponseWriter, r *http.Request) {
	users, err := d.Users(r.Context(), r.PathValue("dir"))
	if err != nil {
		httpErr(w, err)
		return
	}
	out := []publicUser{}
	for _, u := range users {
		out = append(out, publicUser{Name: u.Name, Groups: u.Groups})
	}
	writeJSON(w, http.StatusOK, map[string]any{"directoryId": r.PathValue("dir"), "users": out})
}

func (d *Directory) httpPut(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Password string   `json:"password"`
		Groups   []string `json:"groups"`
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		httpErr(w, fmt.Errorf("%w: body: %v", ErrInvalid, err))
		return
	}
	if err := d.Put(r.Context(), r.PathValue("dir"), r.PathValue("name"), body.Password, body.Groups); err != nil {
		httpErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, publicUser{Name: r.PathValue("name"), Groups: append([]string{}, body.Groups...)})
}

func (d *Directory) httpDelete(w http.ResponseWriter, r *http.Request) {
	if err := d.Delete(r.Context(), r.PathValue("dir"), r.PathValue("name")); err != nil {
		httpErr(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// Secrets are the members a state snapshot leaves out unless asked: the
// users' password hashes. A user restored without one cannot log in until
// its password is set again.
func Secrets() []store.Secret {
	return []store.Secret{{Service: Scope.Service, Kind: "user", Member: "passwordHash"}}
}
