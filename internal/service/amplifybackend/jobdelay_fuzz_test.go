package amplifybackend

import (
	"testing"
)

// FuzzParseJobDelay feeds arbitrary --amplify-job-delay values: what is
// accepted is a range within 0..MaxJobDelay that reads back the same, and
// every job delay picked from it lies in the range.
func FuzzParseJobDelay(f *testing.F) {
	for _, s := range []string{"100ms", "0", "2s~5s", "5s~2s", "~", "1s~", "-1s", "25h", " 3s ~ 3s ", "1h30m~24h", "abc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseJobDelay(s)
		if err != nil {
			return
		}
		if d.Min < 0 || d.Max < d.Min || d.Max > MaxJobDelay {
			t.Fatalf("ParseJobDelay(%q) = %+v", s, d)
		}
		again, err := ParseJobDelay(d.String())
		if err != nil || again != d {
			t.Fatalf("ParseJobDelay(%q) = %+v, reads back as %+v, %v", s, d, again, err)
		}
		for range 3 {
			if p := d.pick(); p < d.Min || p > d.Max {
				t.Fatalf("%+v picked %v", d, p)
			}
		}
	})
}
