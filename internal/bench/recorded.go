package bench

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// recordedJSON is one recorded response as Export writes it.
type recordedJSON struct {
	Status      int    `json:"status"`
	ContentType string `json:"contentType"`
	Body        []byte `json:"body"`
}

// Export writes the recorded responses as JSON, so a bare handler in
// another process (ImportRecorder) answers the same bytes.
func (r *Recorder) Export() ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]recordedJSON, len(r.bodies))
	for k, v := range r.bodies {
		out[k] = recordedJSON{Status: v.status, ContentType: v.contentType, Body: v.body}
	}
	return json.Marshal(out)
}

// ImportRecorder reads what Export wrote; key names each request's
// operation as the exporting Recorder's did.
func ImportRecorder(data []byte, key func(*http.Request) string) (*Recorder, error) {
	var in map[string]recordedJSON
	if err := json.Unmarshal(data, &in); err != nil {
		return nil, fmt.Errorf("recorded responses: %w", err)
	}
	r := NewRecorder(key)
	for k, v := range in {
		if v.Status < 100 || v.Status > 599 {
			return nil, fmt.Errorf("recorded responses: %s: status %d", k, v.Status)
		}
		r.bodies[k] = recorded{status: v.Status, contentType: v.ContentType, body: v.Body}
	}
	return r, nil
}
