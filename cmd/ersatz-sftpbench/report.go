package main

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

// summary is one measure over every round: its median time.
type summary struct {
	target, test string
	bytes        int64
	times        []time.Duration
	median       time.Duration
	err          error
}

func (s summary) mibps() float64 { return float64(s.bytes) / (1 << 20) / s.median.Seconds() }

// summarize groups results by target and test, in the order first seen;
// a measure that failed in any round keeps that round's error.
func summarize(rs []result) []summary {
	var out []summary
	for _, r := range rs {
		i := slices.IndexFunc(out, func(s summary) bool { return s.target == r.target && s.test == r.test })
		if i < 0 {
			out = append(out, summary{target: r.target, test: r.test, bytes: r.bytes})
			i = len(out) - 1
		}
		if r.err != nil {
			out[i].err = errors.Join(out[i].err, r.err)
			continue
		}
		out[i].times = append(out[i].times, r.elapsed)
	}
	for i := range out {
		out[i].median = median(out[i].times)
	}
	return out
}

// median is the middle time, or the mean of the two middle ones.
func median(ts []time.Duration) time.Duration {
	if len(ts) == 0 {
		return 0
	}
	s := slices.Clone(ts)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func findSummary(ss []summary, target, test string) *summary {
	for i := range ss {
		if ss[i].target == target && ss[i].test == test {
			return &ss[i]
		}
	}
	return nil
}

func printSummaries(ss []summary, rounds int) {
	fmt.Println()
	head := "seconds"
	if rounds > 1 {
		head = "median s"
	}
	fmt.Printf("%-30s %-34s %10s %12s  %s\n", "target", "test", head, "MiB/s", "every round (s)")
	for _, s := range ss {
		if s.err != nil {
			fmt.Printf("%-30s %-34s %10s %12s  (%v)\n", s.target, s.test, "-", "-", s.err)
			continue
		}
		each := make([]string, len(s.times))
		for i, t := range s.times {
			each[i] = fmt.Sprintf("%.2f", t.Seconds())
		}
		fmt.Printf("%-30s %-34s %10.2f %12.1f  %s\n", s.target, s.test, s.median.Seconds(), s.mibps(), strings.Join(each, " "))
	}
}

// printRatios prints a's median throughput over b's, for the single
// upload and the single download.
func printRatios(ss []summary, a, b string) {
	for _, test := range []string{"upload", "download"} {
		x, y := findSummary(ss, a, test), findSummary(ss, b, test)
		if x != nil && y != nil && x.err == nil && y.err == nil {
			fmt.Printf("%s / %s %s throughput: %.2f\n", a, b, test, x.mibps()/y.mibps())
		}
	}
}

// loadAverage is the first three fields of /proc/loadavg ("?" elsewhere).
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
