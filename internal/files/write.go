package files

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
)

// WriteFile writes key of a container (created when missing, with the
// folders above key) through a temporary file renamed into place, so that
// readers never see half a file. write fills the file; whatever it or the
// rename fails with is returned, and the temporary file is removed.
func (s *Store) WriteFile(d Domain, container, key string, write func(io.Writer) error) error {
	root, err := s.Container(d, container)
	if err != nil {
		return err
	}
	defer root.Close()
	if dir := path.Dir(key); dir != "." {
		if err := root.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	var rnd [16]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return fmt.Errorf("files: temporary name: %w", err)
	}
	tmp := path.Join(path.Dir(key), ".ersatz-tmp-"+hex.EncodeToString(rnd[:]))
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	werr := write(f)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = root.Rename(tmp, key)
	}
	if werr != nil {
		_ = root.Remove(tmp)
	}
	return werr
}
