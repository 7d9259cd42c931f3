package signaltest

import (
	"testing"
	"time"

	"github.com/qtgo/qtgo/eventloop"
)

// Wait runs the calling goroutine's event loop for d, delivering queued
// calls, timers and deferred deletes (QTest::qWait). Wait(0) processes what
// is pending once.
func Wait(d time.Duration) {
	l := eventloop.Current()
	el := l.NewEventLoop()
	t := l.StartTimer(d, eventloop.PreciseTimer, el.Quit)
	el.Exec()
	t.Stop()
	l.SendDeferredDeletes()
}

// pollStep is how often WaitFor re-checks a predicate that may depend on
// other goroutines, as qWaitFor's 10 ms sleep.
const pollStep = 10 * time.Millisecond

// WaitFor runs the calling goroutine's event loop until pred returns true or
// timeout passes, and returns pred's last result (QTest::qWaitFor). It
// returns at once, without processing events, if pred is already true.
// Deferred deletes run between checks.
func WaitFor(pred func() bool, timeout time.Duration) bool {
	if pred() {
		return true
	}
	l := eventloop.Current()
	deadline := time.Now().Add(timeout)
	tick := l.StartTimer(pollStep, eventloop.PreciseTimer, func() {})
	defer tick.Stop()
	for {
		l.ProcessEvents(eventloop.AllEvents | eventloop.WaitForMoreEvents)
		l.SendDeferredDeletes()
		if pred() {
			return true
		}
		if !time.Now().Before(deadline) {
			return pred()
		}
	}
}

// Receive runs the calling goroutine's event loop until a value arrives on
// ch or timeout passes, and returns the value and whether one came (a Go
// extra: a test that waits for a goroutine's result keeps the sockets and
// timers of its loop working meanwhile). A closed channel gives its zero
// value and true.
func Receive[T any](ch <-chan T, timeout time.Duration) (v T, ok bool) {
	ok = WaitFor(func() bool {
		select {
		case v = <-ch:
			return true
		default:
			return false
		}
	}, timeout)
	return v, ok
}

// tryStep is QTRY_IMPL's polling step for a timeout.
func tryStep(timeout time.Duration) time.Duration {
	if timeout < 350*time.Millisecond {
		return timeout/7 + time.Millisecond
	}
	return 50 * time.Millisecond
}

// try is QTRY_IMPL: check, Wait(0), then poll with Wait(step) until timeout;
// if pred is still false, keep polling up to twice the timeout only to tell
// how long it would have needed.
func try(pred func() bool, timeout time.Duration) (ok bool, needed time.Duration) {
	if pred() {
		return true, 0
	}
	Wait(0)
	step := tryStep(timeout)
	start := time.Now()
	for !pred() && time.Since(start) < timeout {
		Wait(step)
	}
	if pred() {
		return true, 0
	}
	for !pred() && time.Since(start) < 2*timeout {
		Wait(step)
	}
	if pred() {
		return false, time.Since(start)
	}
	return false, -1
}

func timeoutOf(timeout []time.Duration) time.Duration {
	if len(timeout) > 0 {
		return timeout[0]
	}
	return DefaultTimeout
}

// TryVerify polls pred while running the event loop, as QTRY_VERIFY does,
// and fails the test with t.Fatalf unless it becomes true within timeout
// (default DefaultTimeout). Like Qt, it fails even if pred becomes true only
// after the timeout, and then says what timeout would have been needed. It
// must be called from the test's goroutine.
func TryVerify(t testing.TB, pred func() bool, timeout ...time.Duration) {
	t.Helper()
	d := timeoutOf(timeout)
	ok, needed := try(pred, d)
	switch {
	case ok:
	case needed > 0:
		t.Fatalf("TryVerify: condition became true only after %v; the timeout (%v) should be increased to %v",
			needed.Round(time.Millisecond), d, needed.Round(time.Millisecond))
	default:
		t.Fatalf("TryVerify: condition still false after %v", d)
	}
}

// TryCompare polls got() == want while running the event loop, as
// QTRY_COMPARE does, and fails the test with t.Fatalf showing both values
// unless they become equal within timeout (default DefaultTimeout).
func TryCompare[T comparable](t testing.TB, got func() T, want T, timeout ...time.Duration) {
	t.Helper()
	d := timeoutOf(timeout)
	var last T
	ok, needed := try(func() bool { last = got(); return last == want }, d)
	switch {
	case ok:
	case needed > 0:
		t.Fatalf("TryCompare: got %v; want %v, which came only after %v; the timeout (%v) should be increased",
			last, want, needed.Round(time.Millisecond), d)
	default:
		t.Fatalf("TryCompare: got %v; want %v after %v", last, want, d)
	}
}
