package eventloop_test

import (
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/qtgo/qtgo/eventloop"
)

// Qt §9 (b): deleteLater before exec() is level 0 and runs in the first
// iteration of the loop, even when that iteration also quits.
func TestDeferredDeleteBeforeExecRunsInFirstIteration(t *testing.T) {
	t.Parallel()
	l := eventloop.New()
	var r recorder
	l.Post(func() { r.add("quit"); l.Quit() })
	l.PostDeferredDelete(new(int), func() { r.add("deleted") })
	if got := l.Exec(); got != 0 {
		t.Errorf("Exec(): got %v; want %v", got, 0)
	}
	r.check(t, "quit", "deleted")
}

// Qt §9 (a): deleteLater from an event handler of the running loop runs when
// control returns to that loop: in the next iteration, not the current one.
func TestDeferredDeleteFromHandlerRunsInNextIteration(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := eventloop.New()
		var r recorder
		l.Post(func() {
			r.add("a")
			l.PostDeferredDelete(new(int), func() { r.add("deleted") })
		})
		l.Post(func() { r.add("b") })
		// A zero-interval timer fires once per iteration: it marks their ends.
		ticks := 0
		var tm *eventloop.TimerHandle
		tm = l.StartTimer(0, eventloop.PreciseTimer, func() {
			r.add("end of iteration")
			if ticks++; ticks == 3 {
				tm.Stop()
				l.Quit()
			}
		})
		l.Exec()
		r.check(t, "a", "b", "end of iteration", "deleted", "end of iteration", "end of iteration")
	})
}

// Qt §9: entering and leaving a nested loop (a modal dialog) does not run a
// deleteLater made by the handler that opened it; it runs once control is
// back in the outer loop.
func TestDeferredDeleteNotRunByNestedLoop(t *testing.T) {
	t.Parallel()
	l := eventloop.New()
	var r recorder
	nested := false
	l.Post(func() {
		r.add("handler")
		l.PostDeferredDelete(new(int), func() { r.add("deleted, nested %v", nested) })
		e := l.NewEventLoop()
		l.Post(func() {
			r.add("nested 1")
			l.Post(func() { r.add("nested 2"); e.Quit() })
		})
		nested = true
		e.Exec()
		nested = false
		r.add("nested returned")
		l.Post(func() { r.add("quit"); l.Quit() })
	})
	l.Exec()
	r.check(t, "handler", "nested 1", "nested 2", "nested returned", "deleted, nested false", "quit")
}

// A deferred delete the nested loop may not run does not keep it from
// sleeping: it still waits for its timer (Qt's canWait ignores re-posted
// DeferredDelete events), and the delete runs after it returns.
func TestNestedLoopWithPendingDeferredDeleteSleeps(t *testing.T) {
	t.Parallel()
	watchdog(t, 30*time.Second)
	synctest.Test(t, func(t *testing.T) {
		l := eventloop.New()
		var r recorder
		start := time.Now()
		l.Post(func() {
			l.PostDeferredDelete(new(int), func() { r.add("deleted at %v", time.Since(start)) })
			e := l.NewEventLoop()
			var tm *eventloop.TimerHandle
			tm = l.StartTimer(10*time.Millisecond, eventloop.PreciseTimer, func() {
				tm.Stop()
				e.Quit()
			})
			e.Exec()
			r.add("nested returned at %v", time.Since(start))
			l.Post(l.Quit)
		})
		l.Exec()
		r.check(t, "nested returned at 10ms", "deleted at 10ms")
	})
}

// The same at the top level: ProcessEvents(WaitForMoreEvents) without Exec
// cannot run a level-0 deferred delete, and waits instead of returning at once.
func TestWaitWithPendingDeferredDeleteSleeps(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := eventloop.New()
		var r recorder
		start := time.Now()
		l.PostDeferredDelete(new(int), func() { r.add("deleted") })
		var tm *eventloop.TimerHandle
		tm = l.StartTimer(10*time.Millisecond, eventloop.PreciseTimer, func() {
			tm.Stop()
			r.add("timer at %v", time.Since(start))
		})
		if got := l.ProcessEvents(eventloop.WaitForMoreEvents); !got {
			t.Errorf("ProcessEvents(WaitForMoreEvents): got %v; want %v", got, true)
		}
		r.check(t, "timer at 10ms")
		if got := l.HasPendingEvents(); !got {
			t.Errorf("HasPendingEvents(): got %v; want %v", got, true)
		}
	})
}

// Qt §9: objects deleteLater'd while a previous nested loop was running are
// deleted as soon as a new nested loop starts.
func TestDeferredDeleteFromPreviousNestedLoopRunsInNextNestedLoop(t *testing.T) {
	t.Parallel()
	l := eventloop.New()
	var r recorder
	phase := ""
	l.Post(func() {
		e1 := l.NewEventLoop()
		l.Post(func() {
			l.PostDeferredDelete(new(int), func() { r.add("deleted during %s", phase) })
			e1.Quit()
		})
		phase = "e1"
		e1.Exec()
		phase = "between"
		e2 := l.NewEventLoop()
		l.Post(e2.Quit)
		phase = "e2"
		e2.Exec()
		phase = "outer"
		l.Post(l.Quit)
	})
	l.Exec()
	r.check(t, "deleted during e2")
}

// Qt §9: processEvents with no running loop does not delete; an explicit
// sendPostedEvents(nullptr, DeferredDelete) does when the levels match.
func TestDeferredDeleteWithoutExec(t *testing.T) {
	t.Parallel()
	l := eventloop.New()
	var r recorder
	l.Post(func() { r.add("a") })
	l.PostDeferredDelete(new(int), func() { r.add("deleted") })
	l.Post(func() { r.add("b") })

	l.ProcessEvents(eventloop.AllEvents)
	l.SendPostedEvents()
	r.check(t, "a", "b")
	if got := l.HasPendingEvents(); !got {
		t.Errorf("HasPendingEvents(): got %v; want %v", got, true)
	}
	if got := l.SendDeferredDeletes(); !got {
		t.Errorf("SendDeferredDeletes(): got %v; want %v", got, true)
	}
	r.check(t, "a", "b", "deleted")
	if got := l.HasPendingEvents(); got {
		t.Errorf("HasPendingEvents(): got %v; want %v", got, false)
	}
	if got := l.SendDeferredDeletes(); got {
		t.Errorf("SendDeferredDeletes() with nothing queued: got %v; want %v", got, false)
	}
}

// SendDeferredDeletes runs only deferred deletes and leaves every other event
// queued, in order.
func TestSendDeferredDeletesKeepsOtherEvents(t *testing.T) {
	t.Parallel()
	l := eventloop.New()
	var r recorder
	l.Post(func() { r.add("a") })
	l.PostDeferredDelete(new(int), func() { r.add("deleted 1") })
	l.PostSocketEvent(new(int), func() { r.add("socket") })
	l.PostEvent(nil, func() { r.add("low") }, eventloop.LowEventPriority)
	l.PostDeferredDelete(new(int), func() { r.add("deleted 2") })
	l.Post(func() { r.add("b") })

	l.SendDeferredDeletes()
	r.check(t, "deleted 1", "deleted 2")
	l.ProcessEvents(eventloop.AllEvents)
	r.check(t, "deleted 1", "deleted 2", "a", "socket", "b", "low")
}

// Qt §7/§9: a deferred delete destroys the object, and ~QObject removes the
// object's pending posted events, including those queued ahead of the
// DeferredDelete that an explicit DeferredDelete pass skipped over.
func TestDeferredDeleteRemovesReceiverEvents(t *testing.T) {
	t.Parallel()
	l := eventloop.New()
	obj := new(int)
	var r recorder
	l.PostEvent(obj, func() { r.add("obj event before") }, 0)
	l.Post(func() { r.add("other") })
	l.PostDeferredDelete(obj, func() { r.add("deleted, removed %d", l.RemovePostedEvents(obj)) })
	l.PostEvent(obj, func() { r.add("obj event after") }, 0)

	l.SendDeferredDeletes()
	l.ProcessEvents(eventloop.AllEvents)
	r.check(t, "deleted, removed 2", "other")
}

// A panic in a deferred delete during an explicit pass loses none of the
// events that pass skipped over.
func TestPanicInSendDeferredDeletesKeepsEvents(t *testing.T) {
	t.Parallel()
	l := eventloop.New()
	var r recorder
	l.Post(func() { r.add("a") })
	l.PostDeferredDelete(new(int), func() { panic("boom") })
	l.Post(func() { r.add("b") })
	if got := panicValue(func() { l.SendDeferredDeletes() }); got != "boom" {
		t.Fatalf("SendDeferredDeletes panicked: got %v; want %v", got, "boom")
	}
	l.ProcessEvents(eventloop.AllEvents)
	r.check(t, "a", "b")
}

// Qt §9 (b): deleteLater from another thread is level 0: it runs in the first
// iteration of any running loop, nested ones included, while the handler's
// own deleteLater waits for the outer loop.
func TestDeferredDeleteFromOtherGoroutineIsLevelZero(t *testing.T) {
	t.Parallel()
	l := eventloop.New()
	var r recorder
	nested := false
	l.Post(func() {
		var wg sync.WaitGroup
		wg.Go(func() {
			l.PostDeferredDelete(new(int), func() { r.add("foreign deleted, nested %v", nested) })
		})
		wg.Wait()
		l.PostDeferredDelete(new(int), func() { r.add("local deleted, nested %v", nested) })
		e := l.NewEventLoop()
		l.Post(e.Quit)
		nested = true
		e.Exec()
		nested = false
		l.Post(l.Quit)
	})
	l.Exec()
	r.check(t, "foreign deleted, nested true", "local deleted, nested false")
}

// Qt §9: before any exec, a level-0 deleteLater also runs in the first
// iteration of a nested QEventLoop (e.g. QSignalSpy::wait).
func TestDeferredDeleteLevelZeroRunsInEventLoop(t *testing.T) {
	t.Parallel()
	l := eventloop.New()
	e := l.NewEventLoop()
	var r recorder
	l.PostDeferredDelete(new(int), func() { r.add("deleted, running %v", e.IsRunning()) })
	l.Post(e.Quit)
	e.Exec()
	r.check(t, "deleted, running true")
}
