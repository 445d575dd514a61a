package api

import (
	"encoding/json"
	"testing"
	"time"
)

func TestEpochSeconds(t *testing.T) {
	tests := []struct {
		in   time.Time
		wire string
	}{
		{time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), "1767323045"},
		{time.Date(2026, 1, 2, 3, 4, 5, 250e6, time.UTC), "1767323045.250"},
	}
	for _, tt := range tests {
		b, err := json.Marshal(Epoch(tt.in))
		if err != nil || string(b) != tt.wire {
			t.Fatalf("marshal %v = %s, %v; want %s", tt.in, b, err, tt.wire)
		}
		var back EpochSeconds
		if err := json.Unmarshal(b, &back); err != nil || !back.Equal(tt.in) {
			t.Fatalf("unmarshal %s = %v, %v", b, back, err)
		}
	}
	for _, bad := range []string{`"x"`, `1e400`, `true`, `1e20`} {
		var v EpochSeconds
		if err := json.Unmarshal([]byte(bad), &v); err == nil {
			t.Errorf("%s was accepted as a timestamp", bad)
		}
	}
}

func TestDateTime(t *testing.T) {
	in := time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC)
	b, err := json.Marshal(ISO(in))
	if err != nil || string(b) != `"2026-01-02T03:04:05.006Z"` {
		t.Fatalf("marshal = %s, %v", b, err)
	}
	var back DateTime
	if err := json.Unmarshal([]byte(`"2026-01-02T05:04:05.006+02:00"`), &back); err != nil || !back.Equal(in) {
		t.Fatalf("unmarshal = %v, %v", back, err)
	}
	for _, bad := range []string{`"yesterday"`, `5`, `"2026-13-01T00:00:00Z"`} {
		var v DateTime
		if err := json.Unmarshal([]byte(bad), &v); err == nil {
			t.Errorf("%s was accepted as a date-time", bad)
		}
	}
}
