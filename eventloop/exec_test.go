package eventloop_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/qtgo/qtgo/eventloop"
)

// Qt §12: exec returns the code given to exit; quit is exit(0).
func TestExecReturnsExitCode(t *testing.T) {
	t.Parallel()
	testCases := []struct {
		name string
		exit func(l *eventloop.Loop)
		want int
	}{
		{"quit", func(l *eventloop.Loop) { l.Quit() }, 0},
		{"exit42", func(l *eventloop.Loop) { l.Exit(42) }, 42},
		{"exitNegative", func(l *eventloop.Loop) { l.Exit(-3) }, -3},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := eventloop.New()
			if got := l.IsRunning(); got {
				t.Errorf("IsRunning() before Exec: got %v; want %v", got, false)
			}
			runningInside := false
			l.Post(func() {
				runningInside = l.IsRunning()
				tc.exit(l)
			})
			if got := l.Exec(); got != tc.want {
				t.Errorf("Exec(): got %v; want %v", got, tc.want)
			}
			if !runningInside {
				t.Errorf("IsRunning() inside Exec: got %v; want %v", runningInside, true)
			}
			if got := l.IsRunning(); got {
				t.Errorf("IsRunning() after Exec: got %v; want %v", got, false)
			}
		})
	}
}

// Qt §12: quit()/exit() before exec() are forgotten.
func TestExitBeforeExecIsForgotten(t *testing.T) {
	t.Parallel()
	t.Run("loop", func(t *testing.T) {
		t.Parallel()
		l := eventloop.New()
		l.Exit(5)
		l.Quit()
		ran := false
		l.Post(func() { ran = true; l.Exit(7) })
		if got := l.Exec(); got != 7 || !ran {
			t.Errorf("Exec(): got %v, event ran %v; want %v, %v", got, ran, 7, true)
		}
	})
	t.Run("eventLoop", func(t *testing.T) {
		t.Parallel()
		l := eventloop.New()
		e := l.NewEventLoop()
		e.Exit(5)
		ran := false
		l.Post(func() { ran = true; e.Exit(7) })
		if got := e.Exec(); got != 7 || !ran {
			t.Errorf("Exec(): got %v, event ran %v; want %v, %v", got, ran, 7, true)
		}
		// An exit left over from a finished Exec is forgotten as well.
		l.Post(func() { e.Exit(8) })
		if got := e.Exec(); got != 8 {
			t.Errorf("second Exec(): got %v; want %v", got, 8)
		}
	})
}

// Qt §12: an inner exec runs the same queue; its exit returns to the outer
// level only.
func TestNestedEventLoopExitsOnlyItsLevel(t *testing.T) {
	t.Parallel()
	l := eventloop.New()
	var r recorder
	l.Post(func() {
		e := l.NewEventLoop()
		if e.Loop() != l {
			t.Errorf("EventLoop.Loop(): got %v; want %v", e.Loop(), l)
		}
		l.Post(func() {
			r.add("inner event, inner running %v", e.IsRunning())
			e.Exit(5)
			r.add("after exit, inner running %v", e.IsRunning())
		})
		r.add("enter")
		code := e.Exec()
		r.add("inner returned %d, loop running %v", code, l.IsRunning())
		l.Post(func() { r.add("outer event"); l.Exit(9) })
	})
	if got := l.Exec(); got != 9 {
		t.Errorf("Exec(): got %v; want %v", got, 9)
	}
	r.check(t,
		"enter",
		"inner event, inner running true",
		"after exit, inner running false",
		"inner returned 5, loop running true",
		"outer event")
}

// Qt §12: QCoreApplication::exit sets quitNow and exits every level,
// innermost first; an exec started before the outermost returned returns -1
// at once. Afterwards the loop runs again normally.
func TestLoopExitUnwindsAllLevels(t *testing.T) {
	t.Parallel()
	l := eventloop.New()
	var r recorder
	l.Post(func() {
		e1 := l.NewEventLoop()
		l.Post(func() {
			e2 := l.NewEventLoop()
			l.Post(func() { r.add("exit"); l.Exit(4) })
			r.add("e2 returned %d", e2.Exec())
			r.add("new EventLoop.Exec returned %d", l.NewEventLoop().Exec())
			r.add("Loop.Exec returned %d", l.Exec())
			r.add("e1 running %v, loop running %v", e1.IsRunning(), l.IsRunning())
		})
		r.add("e1 returned %d", e1.Exec())
	})
	r.add("outer returned %d", l.Exec())
	r.check(t,
		"exit",
		"e2 returned 4",
		"new EventLoop.Exec returned -1",
		"Loop.Exec returned -1",
		"e1 running false, loop running true",
		"e1 returned 4",
		"outer returned 4")

	l.Post(func() { l.Exit(1) })
	if got := l.Exec(); got != 1 {
		t.Errorf("Exec() after unwinding: got %v; want %v", got, 1)
	}
}

// Qt §12: exec on a QEventLoop that is already running returns -1.
func TestEventLoopExecWhileRunning(t *testing.T) {
	t.Parallel()
	l := eventloop.New()
	e := l.NewEventLoop()
	var r recorder
	l.Post(func() {
		r.add("again %d", e.Exec())
		r.add("still running %v", e.IsRunning())
		e.Exit(2)
	})
	r.add("returned %d", e.Exec())
	r.check(t, "again -1", "still running true", "returned 2")
	if got := e.IsRunning(); got {
		t.Errorf("IsRunning() after Exec: got %v; want %v", got, false)
	}
}

// An EventLoop's Exit is safe from other goroutines and wakes the loop.
func TestEventLoopExitFromOtherGoroutine(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := eventloop.New()
		e := l.NewEventLoop()
		go func() {
			synctest.Wait()
			e.Exit(6)
		}()
		if got := e.Exec(); got != 6 {
			t.Errorf("Exec(): got %v; want %v", got, 6)
		}
	})
}

// Exiting an outer EventLoop while an inner one runs: the outer returns once
// the inner has, and the inner keeps running normally meanwhile (it still
// sleeps until its own timer).
func TestExitOuterEventLoopWhileInnerRuns(t *testing.T) {
	t.Parallel()
	watchdog(t, 30*time.Second)
	synctest.Test(t, func(t *testing.T) {
		l := eventloop.New()
		outer := l.NewEventLoop()
		var r recorder
		start := time.Now()
		l.Post(func() {
			inner := l.NewEventLoop()
			l.Post(func() { outer.Exit(1) })
			var tm *eventloop.TimerHandle
			tm = l.StartTimer(10*time.Millisecond, eventloop.PreciseTimer, func() {
				tm.Stop()
				inner.Exit(2)
			})
			code := inner.Exec()
			r.add("inner returned %d at %v", code, time.Since(start))
		})
		code := outer.Exec()
		r.add("outer returned %d at %v", code, time.Since(start))
		r.check(t, "inner returned 2 at 10ms", "outer returned 1 at 10ms")
	})
}

// A panic in an event handler propagates out of Exec (through every nested
// level); the loop stays usable and its levels consistent.
func TestPanicInHandlerPropagates(t *testing.T) {
	t.Parallel()
	t.Run("topLevel", func(t *testing.T) {
		t.Parallel()
		l := eventloop.New()
		var r recorder
		l.Post(func() { panic("boom") })
		l.Post(func() { r.add("after") })
		if got := panicValue(func() { l.Exec() }); got != "boom" {
			t.Fatalf("Exec panicked: got %v; want %v", got, "boom")
		}
		if got := l.IsRunning(); got {
			t.Errorf("IsRunning() after panic: got %v; want %v", got, false)
		}
		l.Post(func() { r.add("exit"); l.Exit(3) })
		if got := l.Exec(); got != 3 {
			t.Errorf("Exec() after panic: got %v; want %v", got, 3)
		}
		r.check(t, "after", "exit")
	})
	t.Run("nested", func(t *testing.T) {
		t.Parallel()
		l := eventloop.New()
		e := l.NewEventLoop()
		l.Post(func() {
			l.Post(func() { panic("deep") })
			e.Exec()
		})
		if got := panicValue(func() { l.Exec() }); got != "deep" {
			t.Fatalf("Exec panicked: got %v; want %v", got, "deep")
		}
		if l.IsRunning() || e.IsRunning() {
			t.Errorf("after panic: got loop running %v, EventLoop running %v; want false, false",
				l.IsRunning(), e.IsRunning())
		}

		// Levels are back to zero: a deferred delete posted now is level 0,
		// which ProcessEvents without a running Exec must not run.
		var r recorder
		l.PostDeferredDelete(new(int), func() { r.add("level0 deleted, running %v", l.IsRunning()) })
		l.ProcessEvents(eventloop.AllEvents)
		r.check(t)

		// The same EventLoop runs again (its running flag was reset); a
		// deferred delete from its handler is not run by a nested level.
		l.Post(func() {
			obj := new(int)
			l.PostDeferredDelete(obj, func() { r.add("handler's delete") })
			inner := l.NewEventLoop()
			l.Post(func() { r.add("inner"); inner.Quit() })
			inner.Exec()
			r.add("inner returned")
			l.Post(func() { e.Exit(5) })
		})
		if got := e.Exec(); got != 5 {
			t.Errorf("EventLoop.Exec() after panic: got %v; want %v", got, 5)
		}
		r.check(t, "level0 deleted, running true", "inner", "inner returned", "handler's delete")
	})
	t.Run("timer", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			l := eventloop.New()
			var r recorder
			start := time.Now()
			var a, b *eventloop.TimerHandle
			calls := 0
			a = l.StartTimer(10*time.Millisecond, eventloop.PreciseTimer, func() {
				calls++
				r.add("a %v", time.Since(start))
				switch calls {
				case 1:
					panic("tick")
				case 5: // b is lost: give up instead of ticking forever
					a.Stop()
					l.Exit(1)
				}
			})
			b = l.StartTimer(10*time.Millisecond, eventloop.PreciseTimer, func() {
				r.add("b %v", time.Since(start))
				if time.Since(start) == 20*time.Millisecond {
					a.Stop()
					b.Stop()
					l.Quit()
				}
			})
			if got := panicValue(func() { l.Exec() }); got != "tick" {
				t.Fatalf("Exec panicked: got %v; want %v", got, "tick")
			}
			if !a.IsActive() || !b.IsActive() {
				t.Errorf("after panic: got a active %v, b active %v; want true, true", a.IsActive(), b.IsActive())
			}
			if got := l.Exec(); got != 0 {
				t.Errorf("Exec() after panic: got %v; want %v", got, 0)
			}
			// b was due in the pass that panicked: it fires in the next one.
			r.check(t, "a 10ms", "b 10ms", "a 20ms", "b 20ms")
		})
	})
}

// Qt §12: exit interrupts the dispatcher, so a processEvents(WaitForMoreEvents)
// made after exit in the same iteration returns at once instead of waiting.
func TestWaitForMoreEventsAfterExitDoesNotWait(t *testing.T) {
	t.Parallel()
	testCases := []struct {
		name string
		exit func(l *eventloop.Loop, e *eventloop.EventLoop)
	}{
		{"loopExit", func(l *eventloop.Loop, _ *eventloop.EventLoop) { l.Exit(2) }},
		{"eventLoopExit", func(_ *eventloop.Loop, e *eventloop.EventLoop) { e.Exit(2) }},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				l := eventloop.New()
				e := l.NewEventLoop()
				var r recorder
				l.Post(func() {
					tc.exit(l, e)
					// Nothing is queued and no timer exists: a wait would
					// never end (synctest would report a deadlock).
					r.add("processEvents %v", e.ProcessEvents(eventloop.WaitForMoreEvents))
				})
				r.add("exec %d", e.Exec())
				r.check(t, "processEvents false", "exec 2")
			})
		})
	}
}
