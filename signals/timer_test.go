package signals_test

// Tests of Timer (QTimer) and SingleShot (QTimer::singleShot), Qt reference
// §15. Timing tests run in a synctest bubble, so time is fake and exact; the
// objects are created inside the bubble, on its goroutine's loop.

import (
	"fmt"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/qtgo/qtgo/eventloop"
	"github.com/qtgo/qtgo/signals"
)

const ms = time.Millisecond

// lcRunFor runs the calling goroutine's loop for d of (fake) time.
func lcRunFor(d time.Duration) {
	l := eventloop.Current()
	done := false
	h := l.StartTimer(d, eventloop.PreciseTimer, func() { done = true })
	defer h.Stop()
	for !done {
		l.ProcessEvents(eventloop.WaitForMoreEvents)
	}
}

func TestTimerDefaults(t *testing.T) {
	t.Parallel()
	p := lcNew(nil, "p")
	tm := signals.NewTimer(p)
	if got := tm.Interval(); got != 0 {
		t.Errorf("Interval() = %v; want 0", got)
	}
	if got := tm.TimerType(); got != signals.CoarseTimer {
		t.Errorf("TimerType() = %v; want CoarseTimer", got)
	}
	if tm.IsSingleShot() {
		t.Error("IsSingleShot() = true; want false")
	}
	if tm.IsActive() {
		t.Error("IsActive() = true; want false")
	}
	if got := tm.TimerId(); got != -1 {
		t.Errorf("TimerId() = %d; want -1", got)
	}
	if got := tm.RemainingTime(); got >= 0 {
		t.Errorf("RemainingTime() = %v; want negative for an inactive timer", got)
	}
	if tm.Parent() != signals.AnyObject(p) {
		t.Errorf("Parent() = %v; want p", tm.Parent())
	}
	if got := p.Children(); len(got) != 1 || got[0] != signals.AnyObject(tm) {
		t.Errorf("p.Children() = %v; want [the *Timer]", p.Children())
	}
}

func TestTimerStartSetsInterval(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		tm := signals.NewTimer(nil)
		defer tm.Stop()
		tm.Start(25 * ms)
		if got := tm.Interval(); got != 25*ms {
			t.Errorf("Interval() after Start(25ms) = %v; want 25ms", got)
		}
		if !tm.IsActive() || tm.TimerId() == -1 {
			t.Errorf("after Start: IsActive() = %v, TimerId() = %d; want true and not -1", tm.IsActive(), tm.TimerId())
		}
		if got := tm.RemainingTime(); got != 25*ms {
			t.Errorf("RemainingTime() right after Start = %v; want 25ms", got)
		}
		time.Sleep(4 * ms)
		if got := tm.RemainingTime(); got != 21*ms {
			t.Errorf("RemainingTime() 4ms after Start = %v; want 21ms", got)
		}
		tm.Stop()
		tm.Start() // keeps the interval
		if got := tm.Interval(); got != 25*ms {
			t.Errorf("Interval() after Start() = %v; want 25ms kept", got)
		}
	})
}

func TestTimerRepeatingTimeoutsAreExact(t *testing.T) {
	t.Parallel()
	drivers := []struct {
		name string
		run  func(l *eventloop.Loop, quit *func(), n *int)
	}{
		{"ProcessEvents", func(l *eventloop.Loop, quit *func(), n *int) {
			for *n < 5 {
				l.ProcessEvents(eventloop.WaitForMoreEvents)
			}
		}},
		{"EventLoop.Exec", func(l *eventloop.Loop, quit *func(), n *int) {
			el := l.NewEventLoop()
			*quit = el.Quit
			el.Exec()
		}},
	}
	for _, d := range drivers {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				l := eventloop.Current()
				tm := signals.NewTimer(nil)
				start := time.Now()
				var at []time.Duration
				n := 0
				quit := func() {}
				tm.Timeout.Connect(nil, func() {
					at = append(at, time.Since(start))
					n++
					if n == 5 {
						tm.Stop()
						quit()
					}
				})
				tm.Start(10 * ms)
				d.run(l, &quit, &n)
				want := []time.Duration{10 * ms, 20 * ms, 30 * ms, 40 * ms, 50 * ms}
				if !slices.Equal(at, want) {
					t.Errorf("timeouts at %v; want %v", at, want)
				}
				lcRunFor(100 * ms)
				if n != 5 {
					t.Errorf("%d timeouts after Stop; want 5", n)
				}
			})
		})
	}
}

func TestTimerDoesNotCatchUp(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		// "If multiple timeouts have expired, Qt will emit timeout() only
		// once"; the next one is due an interval after now.
		l := eventloop.Current()
		tm := signals.NewTimer(nil)
		defer tm.Stop()
		start := time.Now()
		var at []time.Duration
		tm.Timeout.Connect(nil, func() { at = append(at, time.Since(start)) })
		tm.Start(10 * ms)
		time.Sleep(35 * ms) // the loop is busy elsewhere: three timeouts missed
		for len(at) < 3 {
			l.ProcessEvents(eventloop.WaitForMoreEvents)
		}
		if want := []time.Duration{35 * ms, 45 * ms, 55 * ms}; !slices.Equal(at, want) {
			t.Errorf("timeouts at %v; want %v", at, want)
		}
	})
}

func TestTimerZeroIntervalOncePerIteration(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := eventloop.Current()
		tm := signals.NewTimer(nil)
		defer tm.Stop()
		timeouts, posted := 0, 0
		tm.Timeout.Connect(nil, func() { timeouts++ })
		// A posted event that keeps reposting itself: neither source may
		// starve the other (tst_QTimer dontBlockEvents).
		var repost func()
		repost = func() { posted++; l.Post(repost) }
		l.Post(repost)
		tm.Start()
		start := time.Now()
		for range 3 {
			l.ProcessEvents(eventloop.AllEvents)
		}
		if timeouts != 3 || posted != 3 {
			t.Errorf("after 3 iterations: %d timeouts and %d posted events; want 3 and 3", timeouts, posted)
		}
		if d := time.Since(start); d != 0 {
			t.Errorf("a zero-interval timer took %v of time; want none", d)
		}
		tm.Stop()
		l.ProcessEvents(eventloop.AllEvents)
		if timeouts != 3 {
			t.Errorf("%d timeouts after Stop; want 3", timeouts)
		}
	})
}

func TestTimerSingleShotStopsBeforeEmitting(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		tm := signals.NewTimer(nil)
		tm.SetSingleShot(true)
		if !tm.IsSingleShot() {
			t.Fatal("IsSingleShot() = false after SetSingleShot(true)")
		}
		start := time.Now()
		var at []time.Duration
		tm.Timeout.Connect(nil, func() {
			at = append(at, time.Since(start))
			if tm.IsActive() {
				t.Error("single-shot timer: IsActive() = true inside its slot; want false")
			}
			if rt := tm.RemainingTime(); rt >= 0 {
				t.Errorf("single-shot timer: RemainingTime() = %v inside its slot; want negative", rt)
			}
			if id := tm.TimerId(); id != -1 {
				t.Errorf("single-shot timer: TimerId() = %d inside its slot; want -1", id)
			}
		})
		tm.Start(10 * ms)
		lcRunFor(100 * ms)
		if want := []time.Duration{10 * ms}; !slices.Equal(at, want) {
			t.Errorf("timeouts at %v; want %v", at, want)
		}
		// Restartable.
		tm.Start()
		lcRunFor(100 * ms)
		if want := []time.Duration{10 * ms, 110 * ms}; !slices.Equal(at, want) {
			t.Errorf("timeouts after a restart at %v; want %v", at, want)
		}
	})
}

func TestTimerRepeatingRemainingTimeInsideSlot(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		tm := signals.NewTimer(nil)
		const interval = 10 * ms
		var rts []time.Duration
		n := 0
		tm.Timeout.Connect(nil, func() {
			n++
			rts = append(rts, tm.RemainingTime())
			if !tm.IsActive() {
				t.Error("repeating timer: IsActive() = false inside its slot; want true")
			}
			if n == 3 {
				tm.Stop()
			}
		})
		tm.Start(interval)
		lcRunFor(100 * ms)
		if len(rts) != 3 {
			t.Fatalf("%d timeouts; want 3", len(rts))
		}
		for i, rt := range rts {
			if rt <= 0 || rt > interval {
				t.Errorf("timeout %d: RemainingTime() = %v inside the slot; want in (0, %v]", i+1, rt, interval)
			}
		}
	})
}

func TestTimerStopFromOwnSlot(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		tm := signals.NewTimer(nil)
		var log []string
		tm.Timeout.Connect(nil, func() {
			log = append(log, "first")
			tm.Stop()
		})
		tm.Timeout.Connect(nil, func() {
			log = append(log, fmt.Sprintf("second active=%v", tm.IsActive()))
		})
		tm.Start(10 * ms)
		lcRunFor(100 * ms)
		if want := []string{"first", "second active=false"}; !slices.Equal(log, want) {
			t.Errorf("log = %q; want %q: later slots of the emission still run, once", log, want)
		}
		if tm.IsActive() || tm.TimerId() != -1 {
			t.Errorf("after Stop in slot: IsActive() = %v, TimerId() = %d; want false, -1", tm.IsActive(), tm.TimerId())
		}
	})
}

func TestTimerRestartWhileRunning(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		restart      func(tm *signals.Timer)
		wantInterval time.Duration
		wantAt       []time.Duration // timeouts after the restart at 4ms
	}{
		{"SetInterval", func(tm *signals.Timer) { tm.SetInterval(20 * ms) }, 20 * ms, []time.Duration{24 * ms, 44 * ms}},
		{"Start()", func(tm *signals.Timer) { tm.Start() }, 10 * ms, []time.Duration{14 * ms, 24 * ms}},
		{"Start(d)", func(tm *signals.Timer) { tm.Start(5 * ms) }, 5 * ms, []time.Duration{9 * ms, 14 * ms}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				tm := signals.NewTimer(nil)
				start := time.Now()
				var at []time.Duration
				tm.Timeout.Connect(nil, func() {
					at = append(at, time.Since(start))
					if len(at) == len(tt.wantAt) {
						tm.Stop()
					}
				})
				tm.Start(10 * ms)
				id0 := tm.TimerId()
				time.Sleep(4 * ms)
				tt.restart(tm)
				id1 := tm.TimerId()
				if id1 == -1 || id1 == id0 {
					t.Errorf("TimerId() after restart = %d (before %d); want a new id", id1, id0)
				}
				if got := tm.Interval(); got != tt.wantInterval {
					t.Errorf("Interval() = %v; want %v", got, tt.wantInterval)
				}
				if got := tm.RemainingTime(); got != tt.wantInterval {
					t.Errorf("RemainingTime() right after restart = %v; want %v (counts from now)", got, tt.wantInterval)
				}
				lcRunFor(100 * ms)
				if !slices.Equal(at, tt.wantAt) {
					t.Errorf("timeouts at %v; want %v", at, tt.wantAt)
				}
			})
		})
	}
}

func TestTimerSetIntervalOnStoppedTimerOnlyStores(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		tm := signals.NewTimer(nil)
		n := 0
		tm.Timeout.Connect(nil, func() { n++ })
		tm.SetInterval(20 * ms)
		if tm.IsActive() || tm.TimerId() != -1 {
			t.Errorf("SetInterval on a stopped timer started it: IsActive() = %v, TimerId() = %d", tm.IsActive(), tm.TimerId())
		}
		if got := tm.Interval(); got != 20*ms {
			t.Errorf("Interval() = %v; want 20ms", got)
		}
		lcRunFor(100 * ms)
		if n != 0 {
			t.Errorf("%d timeouts from a timer never started; want 0", n)
		}
		tm.SetSingleShot(true)
		tm.Start()
		lcRunFor(100 * ms)
		if n != 1 {
			t.Errorf("%d timeouts after Start(); want 1", n)
		}
	})
}

func TestTimerIdChangesAtEveryStart(t *testing.T) {
	t.Parallel()
	tm := signals.NewTimer(nil)
	seen := map[int]bool{}
	for i := range 5 {
		tm.Start(time.Hour)
		id := tm.TimerId()
		if id == -1 || seen[id] {
			t.Errorf("start %d: TimerId() = %d; want a new id (seen %v)", i, id, seen)
		}
		seen[id] = true
		if i%2 == 0 {
			tm.Stop()
			if got := tm.TimerId(); got != -1 {
				t.Errorf("TimerId() after Stop = %d; want -1", got)
			}
		}
	}
	tm.Stop()
}

func TestTimerSetTimerTypeAppliesFromNextStart(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := eventloop.Current()
		tm := signals.NewTimer(nil)
		defer tm.Stop()
		start := time.Now()
		var at []time.Duration
		tm.Timeout.Connect(nil, func() { at = append(at, time.Since(start)) })
		tm.SetTimerType(signals.PreciseTimer)
		tm.Start(1300 * ms)
		for len(at) < 1 {
			l.ProcessEvents(eventloop.WaitForMoreEvents)
		}
		tm.SetTimerType(signals.VeryCoarseTimer) // the running timer keeps its type
		if got := tm.TimerType(); got != signals.VeryCoarseTimer {
			t.Errorf("TimerType() = %v; want VeryCoarseTimer", got)
		}
		for len(at) < 2 {
			l.ProcessEvents(eventloop.WaitForMoreEvents)
		}
		tm.Start() // a VeryCoarseTimer keeps whole seconds: 1.3s becomes 1s
		for len(at) < 3 {
			l.ProcessEvents(eventloop.WaitForMoreEvents)
		}
		if want := []time.Duration{1300 * ms, 2600 * ms, 3600 * ms}; !slices.Equal(at, want) {
			t.Errorf("timeouts at %v; want %v", at, want)
		}
		if got := tm.Interval(); got != 1300*ms {
			t.Errorf("Interval() = %v; want 1.3s (the property keeps the value set)", got)
		}
	})
}

func TestTimerCallOnTimeout(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := eventloop.Current()
		tm := signals.NewTimer(nil)
		defer tm.Stop()
		ctx := lcNew(nil, "ctx")
		var log []string
		queued := tm.CallOnTimeout(ctx, func() { log = append(log, "queued to ctx") }, signals.QueuedConnection)
		direct := tm.CallOnTimeout(nil, func() { log = append(log, "direct") })
		withCtx := tm.CallOnTimeout(ctx, func() { log = append(log, "ctx auto") })
		tm.Timeout.Connect(nil, func() { log = append(log, "connected after") })
		for name, c := range map[string]signals.Connection{"queued": queued, "direct": direct, "with context": withCtx} {
			if !c.Connected() {
				t.Fatalf("CallOnTimeout %s: Connected() = false", name)
			}
		}
		tm.Start(10 * ms)
		l.ProcessEvents(eventloop.WaitForMoreEvents) // the timeout
		want := []string{"direct", "ctx auto", "connected after"}
		if !slices.Equal(log, want) {
			t.Errorf("after the timeout: %q; want %q (queued call not yet delivered)", log, want)
		}
		l.ProcessEvents(eventloop.AllEvents)
		want = append(want, "queued to ctx")
		if !slices.Equal(log, want) {
			t.Errorf("after one more iteration: %q; want %q", log, want)
		}

		// Destroying the context breaks its connections only.
		ctx.Delete()
		if queued.Connected() || withCtx.Connected() {
			t.Error("connections with a deleted context still connected")
		}
		if !direct.Connected() {
			t.Error("direct CallOnTimeout disconnected by deleting an unrelated context")
		}
		log = nil
		l.ProcessEvents(eventloop.WaitForMoreEvents)
		l.ProcessEvents(eventloop.AllEvents)
		if want := []string{"direct", "connected after"}; !slices.Equal(log, want) {
			t.Errorf("after deleting the context: %q; want %q", log, want)
		}
		if !direct.Disconnect() {
			t.Error("Disconnect() on the direct CallOnTimeout connection = false; want true")
		}
	})
}

func TestTimerDeletedTimesOutNoMore(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// kill is called from the second timeout's slot (inSlot) or after it.
		kill   func(tm *signals.Timer, parent *lcObj)
		inSlot bool
	}{
		{"Delete", func(tm *signals.Timer, _ *lcObj) { tm.Delete() }, false},
		{"Delete in own slot", func(tm *signals.Timer, _ *lcObj) { tm.Delete() }, true},
		{"DeleteLater in own slot", func(tm *signals.Timer, _ *lcObj) { tm.DeleteLater() }, true},
		{"parent deleted", func(_ *signals.Timer, p *lcObj) { p.Delete() }, false},
		{"parent deleted in slot", func(_ *signals.Timer, p *lcObj) { p.Delete() }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				l := eventloop.Current()
				p := lcNew(nil, "p")
				tm := signals.NewTimer(p)
				n := 0
				tm.Timeout.Connect(nil, func() {
					n++
					if n == 2 && tt.inSlot {
						tt.kill(tm, p)
					}
				})
				tm.Start(10 * ms)
				for n < 2 {
					l.ProcessEvents(eventloop.WaitForMoreEvents)
				}
				if !tt.inSlot {
					tt.kill(tm, p)
				}
				lcRunFor(100 * ms)
				if n != 2 {
					t.Errorf("%d timeouts; want 2 (none after deletion)", n)
				}
				if !tm.IsDeleted() {
					t.Error("timer not deleted")
				}
				if tm.IsActive() {
					t.Error("IsActive() = true for a deleted timer; want false")
				}
			})
		})
	}
}

func TestTimerNotDeliveredAgainWhileItsSlotRuns(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		// tst_QTimer timerInfiniteRecursion: a slot that spins a nested loop
		// does not get the same timer again until it returns.
		l := eventloop.Current()
		tm := signals.NewTimer(nil)
		start := time.Now()
		var at []time.Duration
		tm.Timeout.Connect(nil, func() {
			at = append(at, time.Since(start))
			if len(at) == 1 {
				el := l.NewEventLoop()
				signals.SingleShot(35*ms, nil, el.Quit)
				el.Exec()
				if len(at) != 1 {
					t.Errorf("timer delivered %d times during its own slot's nested loop; want 0", len(at)-1)
				}
			}
			if len(at) == 3 {
				tm.Stop()
			}
		})
		tm.Start(10 * ms)
		lcRunFor(200 * ms)
		// Overdue when the slot returns at 45ms: fires once at once, then
		// an interval later.
		if want := []time.Duration{10 * ms, 45 * ms, 55 * ms}; !slices.Equal(at, want) {
			t.Errorf("timeouts at %v; want %v", at, want)
		}
	})
}

func TestSingleShotZeroRunsInIssueOrder(t *testing.T) {
	t.Parallel()
	// tst_QTimer timerOrder: zero-delay single shots are posted events, FIFO
	// with every other posted event, whatever their kind.
	l := eventloop.Current()
	ctx := lcNew(nil, "ctx")
	src := lcNew(nil, "src")
	var log []int
	src.Ping.Connect(ctx, func(i int) { log = append(log, i) }, signals.QueuedConnection)
	rec := func(i int) func() { return func() { log = append(log, i) } }
	kinds := []struct {
		name  string
		issue func(i int)
	}{
		{"SingleShot(0, nil)", func(i int) { signals.SingleShot(0, nil, rec(i)) }},
		{"SingleShot(0, ctx)", func(i int) { signals.SingleShot(0, ctx, rec(i)) }},
		{"InvokeMethod queued", func(i int) { signals.InvokeMethod(ctx, rec(i), signals.QueuedConnection) }},
		{"queued signal", func(i int) { src.Ping.Emit(i) }},
		{"Loop.Post", func(i int) { l.Post(rec(i)) }},
	}
	for _, perm := range lcPermutations(len(kinds)) {
		log = nil
		var names []string
		for _, k := range perm {
			kinds[k].issue(k)
			names = append(names, kinds[k].name)
		}
		lcExecPass(l)
		if !slices.Equal(log, perm) {
			t.Errorf("issued %v: ran in order %v; want %v", names, log, perm)
		}
	}
}

func lcPermutations(n int) [][]int {
	if n == 0 {
		return [][]int{{}}
	}
	var out [][]int
	for _, p := range lcPermutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			q := slices.Insert(slices.Clone(p), i, n-1)
			out = append(out, q)
		}
	}
	return out
}

func TestSingleShotWithDelay(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := eventloop.Current()
		ctx := lcNew(nil, "ctx")
		start := time.Now()
		var log []string
		rec := func(s string) func() {
			return func() { log = append(log, fmt.Sprintf("%s@%v onLoop=%v", s, time.Since(start), l.IsCurrent())) }
		}
		signals.SingleShot(10*ms, ctx, rec("a"))
		signals.SingleShot(10*ms, nil, rec("b"))
		signals.SingleShot(5*ms, ctx, rec("c"))
		signals.SingleShot(0, ctx, rec("zero"))
		lcRunFor(100 * ms)
		want := []string{"zero@0s onLoop=true", "c@5ms onLoop=true", "a@10ms onLoop=true", "b@10ms onLoop=true"}
		if !slices.Equal(log, want) {
			t.Errorf("calls = %q; want %q (each once, equal delays in issue order)", log, want)
		}
	})
}

func TestSingleShotSkippedIfContextDeleted(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		d    time.Duration
	}{{"zero delay", 0}, {"10ms", 10 * ms}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				ctx := lcNew(nil, "ctx")
				other := lcNew(nil, "other")
				var log []string
				signals.SingleShot(tt.d, ctx, func() { log = append(log, "deleted ctx") })
				signals.SingleShot(tt.d, other, func() { log = append(log, "live ctx") })
				ctx.Delete()
				lcRunFor(100 * ms)
				if want := []string{"live ctx"}; !slices.Equal(log, want) {
					t.Errorf("calls = %q; want %q", log, want)
				}
			})
		})
	}
}

func TestSingleShotNilContextRunsOnCallingGoroutinesLoop(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		testLoop := eventloop.Current()
		done := make(chan struct{})
		var onOwn, onTest bool
		go func() {
			defer close(done)
			l := eventloop.Current() // this goroutine's own loop
			ran := false
			signals.SingleShot(5*ms, nil, func() {
				ran = true
				onOwn, onTest = l.IsCurrent(), testLoop.IsCurrent()
			})
			for !ran {
				l.ProcessEvents(eventloop.WaitForMoreEvents)
			}
		}()
		<-done
		if !onOwn || onTest {
			t.Errorf("ran on the calling goroutine's loop = %v, on the test's loop = %v; want true, false", onOwn, onTest)
		}
		if testLoop.HasPendingEvents() {
			t.Error("the single shot left an event on the test goroutine's loop")
		}
	})
}
