package amplifybackend

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// MaxJobDelay bounds a job delay: a job that never completes within a day
// is a mistake, not realism.
const MaxJobDelay = 24 * time.Hour

// JobDelay is how long a job stays IN_PROGRESS: Min when Max is not above
// it, else a uniformly random duration in [Min, Max] chosen when the job
// starts (jitter, so polling code meets jobs of different lengths).
type JobDelay struct {
	Min, Max time.Duration
}

// ParseJobDelay reads a job delay: a Go duration ("100ms", "2s", "0" for
// jobs due at once) or a range "MIN~MAX" ("2s~5s") of jitter.
func ParseJobDelay(s string) (JobDelay, error) {
	lo, hi, ranged := strings.Cut(strings.TrimSpace(s), "~")
	from, err := parseDelay(lo)
	if err != nil {
		return JobDelay{}, err
	}
	to := from
	if ranged {
		if to, err = parseDelay(hi); err != nil {
			return JobDelay{}, err
		}
		if to < from {
			return JobDelay{}, fmt.Errorf("job delay %q: the range ends (%s) before it starts (%s)", s, to, from)
		}
	}
	return JobDelay{Min: from, Max: to}, nil
}

func parseDelay(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New(`job delay: empty duration (want "100ms", "0" or a range "2s~5s")`)
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("job delay: %w", err)
	}
	if d < 0 || d > MaxJobDelay {
		return 0, fmt.Errorf("job delay %s: must be between 0 and %s", s, MaxJobDelay)
	}
	return d, nil
}

// String is the delay as ParseJobDelay reads it.
func (d JobDelay) String() string {
	if d.Max > d.Min {
		return d.Min.String() + "~" + d.Max.String()
	}
	return d.Min.String()
}

// pick returns the delay of one job.
func (d JobDelay) pick() time.Duration {
	if d.Max <= d.Min {
		return d.Min
	}
	return d.Min + rand.N(d.Max-d.Min+1) //nolint:gosec // jitter, not a secret
}

// WithJobDelayRange sets the job delay to d (see JobDelay); a delay outside
// 0..MaxJobDelay is ignored.
func WithJobDelayRange(d JobDelay) Option {
	return func(s *Service) {
		if d.Min >= 0 && d.Min <= MaxJobDelay && d.Max <= MaxJobDelay {
			s.jobDelay = d
		}
	}
}
