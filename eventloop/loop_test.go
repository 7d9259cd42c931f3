package eventloop_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/qtgo/qtgo/eventloop"
	"github.com/qtgo/qtgo/internal/goid"
)

// A loop is driven only by its own goroutine, as a Qt event loop only by its
// thread: doing so from another goroutine panics, naming both goroutines,
// and delivers nothing.
func TestDriveFromOtherGoroutinePanics(t *testing.T) {
	t.Parallel()
	testCases := []struct {
		name   string
		method string
		drive  func(l *eventloop.Loop)
	}{
		{"exec", "Exec", func(l *eventloop.Loop) { l.Exec() }},
		{"processEvents", "ProcessEvents", func(l *eventloop.Loop) { l.ProcessEvents(eventloop.AllEvents) }},
		{"processEventsFor", "ProcessEventsFor", func(l *eventloop.Loop) {
			l.ProcessEventsFor(eventloop.AllEvents, time.Second)
		}},
		{"sendPostedEvents", "SendPostedEvents", func(l *eventloop.Loop) { l.SendPostedEvents() }},
		{"sendDeferredDeletes", "SendDeferredDeletes", func(l *eventloop.Loop) { l.SendDeferredDeletes() }},
		{"eventLoopExec", "Exec", func(l *eventloop.Loop) { l.NewEventLoop().Exec() }},
		{"eventLoopProcessEvents", "ProcessEvents", func(l *eventloop.Loop) {
			l.NewEventLoop().ProcessEvents(eventloop.AllEvents)
		}},
		{"eventLoopProcessEventsFor", "ProcessEventsFor", func(l *eventloop.Loop) {
			l.NewEventLoop().ProcessEventsFor(eventloop.AllEvents, time.Second)
		}},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := eventloop.New()
			owner := goid.Get()
			delivered := false
			l.Post(func() { delivered = true })
			l.PostDeferredDelete(new(int), func() { delivered = true })

			var other int64
			var v any
			var wg sync.WaitGroup
			wg.Go(func() {
				other = goid.Get()
				v = panicValue(func() { tc.drive(l) })
			})
			wg.Wait()

			msg, ok := v.(string)
			if !ok {
				t.Fatalf("got panic value %#v; want a string", v)
			}
			for _, want := range []string{
				"goroutine",
				tc.method,
				fmt.Sprintf("goroutine %d", other),
				fmt.Sprintf("goroutine %d", owner),
			} {
				if !strings.Contains(msg, want) {
					t.Errorf("got panic %q; want it to contain %q", msg, want)
				}
			}
			if delivered || !l.HasPendingEvents() || l.IsRunning() {
				t.Errorf("got delivered %v, pending %v, running %v; want false, true, false",
					delivered, l.HasPendingEvents(), l.IsRunning())
			}
			// The owner still drives it.
			l.SendDeferredDeletes()
			l.ProcessEvents(eventloop.AllEvents)
			if !delivered {
				t.Errorf("delivered by owner: got %v; want %v", delivered, true)
			}
		})
	}
}

// Current is per goroutine, like QThread::currentThread(): the same loop on
// one goroutine, different loops on different goroutines; New replaces it.
func TestCurrent(t *testing.T) {
	t.Parallel()
	a := eventloop.Current()
	if b := eventloop.Current(); b != a {
		t.Errorf("second Current(): got %v; want %v", b, a)
	}
	if !a.IsCurrent() {
		t.Errorf("IsCurrent(): got %v; want %v", a.IsCurrent(), true)
	}
	if want := fmt.Sprintf("goroutine %d", goid.Get()); !strings.Contains(a.String(), want) {
		t.Errorf("String(): got %q; want it to contain %q", a.String(), want)
	}

	const n = 4
	others := make([]*eventloop.Loop, n)
	var otherIsCurrent [n]bool
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			others[i] = eventloop.Current()
			otherIsCurrent[i] = others[i].IsCurrent() && eventloop.Current() == others[i]
		})
	}
	wg.Wait()
	for i, o := range others {
		if o == a || !otherIsCurrent[i] || o.IsCurrent() {
			t.Errorf("goroutine %d: got same as caller's %v, current there %v, current here %v; want false, true, false",
				i, o == a, otherIsCurrent[i], o.IsCurrent())
		}
		for _, p := range others[:i] {
			if o == p {
				t.Errorf("goroutines %d and an earlier one share a loop: got %v; want distinct loops", i, o)
			}
		}
	}

	n1 := eventloop.New()
	if n1 == a || eventloop.Current() != n1 {
		t.Errorf("after New: got New() == old %v, Current() == New() %v; want false, true",
			n1 == a, eventloop.Current() == n1)
	}
	// The replaced loop is still bound to this goroutine and still works.
	ran := false
	a.Post(func() { ran = true })
	a.ProcessEvents(eventloop.AllEvents)
	if !a.IsCurrent() || !ran {
		t.Errorf("old loop: got current %v, ran %v; want true, true", a.IsCurrent(), ran)
	}

	// NewEventLoop uses the current loop.
	if got := eventloop.NewEventLoop().Loop(); got != n1 {
		t.Errorf("NewEventLoop().Loop(): got %v; want %v", got, n1)
	}
}

// A loop adopted by Current on a goroutine is driven there; posts from
// elsewhere wait until that goroutine runs it.
func TestAdoptedLoopRunsOnlyWhenItsGoroutineRunsIt(t *testing.T) {
	t.Parallel()
	loopCh := make(chan *eventloop.Loop)
	run := make(chan struct{})
	code := make(chan int)
	go func() {
		l := eventloop.Current()
		loopCh <- l
		<-run
		code <- l.Exec()
	}()
	l := <-loopCh
	ranOn := make(chan bool, 1)
	l.Post(func() { ranOn <- l.IsCurrent(); l.Exit(12) })
	if got := l.HasPendingEvents(); !got {
		t.Errorf("HasPendingEvents() before Exec: got %v; want %v", got, true)
	}
	close(run)
	if got := <-code; got != 12 {
		t.Errorf("Exec(): got %v; want %v", got, 12)
	}
	if got := <-ranOn; !got {
		t.Errorf("ran on loop goroutine: got %v; want %v", got, true)
	}
}

// A detached loop belongs to no goroutine: it queues posts and timers, cannot
// be driven, and runs them once a goroutine attaches to it (a QThread's loop
// before the thread starts).
func TestDetachedLoop(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := eventloop.NewDetached()
		start := time.Now()
		var r recorder
		if l.IsCurrent() {
			t.Errorf("IsCurrent() on a detached loop: got %v; want %v", l.IsCurrent(), false)
		}
		if v := panicValue(func() { l.ProcessEvents(eventloop.AllEvents) }); v == nil {
			t.Errorf("ProcessEvents on a detached loop: got panic %v; want a panic", v)
		}
		l.Post(func() { r.add("post on attached goroutine %v", l.IsCurrent()) })
		l.PostEvent(nil, func() { r.add("high") }, eventloop.HighEventPriority)
		var tm *eventloop.TimerHandle
		tm = l.StartTimer(10*time.Millisecond, eventloop.PreciseTimer, func() {
			r.add("timer at %v", time.Since(start))
			tm.Stop()
			l.Exit(4)
		})

		done := make(chan int)
		go func() {
			time.Sleep(5 * time.Millisecond)
			l.Attach()
			if eventloop.Current() != l {
				t.Errorf("Current() after Attach: got %v; want %v", eventloop.Current(), l)
			}
			done <- l.Exec()
		}()
		if got := <-done; got != 4 {
			t.Errorf("Exec(): got %v; want %v", got, 4)
		}
		r.check(t, "high", "post on attached goroutine true", "timer at 10ms")

		v := panicValue(l.Attach)
		if msg, _ := v.(string); !strings.Contains(msg, "goroutine") {
			t.Errorf("second Attach: got panic %v; want a message naming the owner goroutine", v)
		}
	})
}
