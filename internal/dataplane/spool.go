package dataplane

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ersatz-dev/ersatz/internal/dataplane/vfs"
)

// sweepSpool removes the spool files of S3 uploads a process before this
// one left behind (it ended mid-upload): the data directory belongs to one
// process at a time, so no upload of another is in there. Only regular
// files named as the data plane names them are removed.
func (m *Manager) sweepSpool() {
	ents, err := os.ReadDir(m.spool)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err != nil {
		m.log.Warn("transfer data plane: read the upload spool", "error", err)
		return
	}
	n := 0
	for _, e := range ents {
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), vfs.SpoolPrefix) {
			continue
		}
		if err := os.Remove(filepath.Join(m.spool, e.Name())); err == nil {
			n++
		}
	}
	if n > 0 {
		m.log.Info("transfer data plane: removed unfinished uploads of an earlier run", "files", n)
	}
}
