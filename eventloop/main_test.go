package eventloop_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// recorder collects what handlers did, in order. It is safe for concurrent
// use so that tests mixing goroutines stay clean under -race.
type recorder struct {
	mu  sync.Mutex
	got []string
}

func (r *recorder) add(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, fmt.Sprintf(format, args...))
}

func (r *recorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// check fails the test unless the recorded entries are exactly want.
func (r *recorder) check(t *testing.T, want ...string) {
	t.Helper()
	if got := r.list(); !slices.Equal(got, want) {
		t.Errorf("got %q; want %q", got, want)
	}
}

// panicValue runs f and returns what it panicked with (nil if it returned).
func panicValue(f func()) (v any) {
	defer func() { v = recover() }()
	f()
	return nil
}

// watchdog aborts the test binary if the calling test has not finished
// after d of real time. Tests whose failure mode is a busy-spinning loop
// under testing/synctest (fake time never advances, so the bubble never
// ends) use it so that the failure names the test instead of hanging until
// go test's global timeout. It must be armed outside the bubble.
func watchdog(t *testing.T, d time.Duration) {
	t.Helper()
	name := t.Name()
	tm := time.AfterFunc(d, func() {
		panic(fmt.Sprintf("%s: still running after %v: the loop is spinning instead of sleeping", name, d))
	})
	t.Cleanup(func() { tm.Stop() })
}
