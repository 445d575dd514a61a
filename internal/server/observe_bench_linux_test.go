package server_test

import (
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// threadCPU is the CPU time the calling thread has used.
func threadCPU(b *testing.B) time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_THREAD, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkObservedOverheadCPU is BenchmarkObservedOverhead counting the
// CPU time of the benchmark's own thread rather than the wall time, so
// time the thread spends waiting for a busy machine's processors is left
// out (work of other goroutines, the garbage collector's, is left out too).
//
//	go test -run '^$' -bench ObservedOverheadCPU -count 5 ./internal/server
func BenchmarkObservedOverheadCPU(b *testing.B) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	off, on := newDescriber(b, false, 0), newDescriber(b, true, 1000)
	var tOff, tOn time.Duration
	for b.Loop() {
		t0 := threadCPU(b)
		off.describe(b)
		t1 := threadCPU(b)
		on.describe(b)
		t2 := threadCPU(b)
		tOff += t1 - t0
		tOn += t2 - t1
	}
	b.ReportMetric(float64(tOn)/float64(tOff), "on/off")
	b.ReportMetric(float64(tOn-tOff)/float64(b.N), "extra-cpu-ns/op")
}
