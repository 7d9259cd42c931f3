package eventloop_test

import (
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/qtgo/qtgo/eventloop"
	"github.com/qtgo/qtgo/internal/goid"
)

// Qt §13: the posted-event queue is sorted by descending priority, FIFO among
// equal priorities; any int is a valid priority.
func TestPostPriorityOrder(t *testing.T) {
	t.Parallel()
	type post struct {
		name string
		prio eventloop.Priority
	}
	testCases := []struct {
		name  string
		posts []post
		want  []string
	}{
		{"fifo", []post{{"a", 0}, {"b", 0}, {"c", 0}}, []string{"a", "b", "c"}},
		{"higherFirst", []post{{"low", -1}, {"normal", 0}, {"high", 1}}, []string{"high", "normal", "low"}},
		{"fifoWithinPriority",
			[]post{{"a", 0}, {"b", 1}, {"c", 0}, {"d", 1}, {"e", -1}, {"f", 2}, {"g", -1}},
			[]string{"f", "b", "d", "a", "c", "e", "g"}},
		{"arbitraryInts",
			[]post{{"a", -5}, {"b", 100}, {"c", -5}, {"d", 7}, {"e", 100}},
			[]string{"b", "e", "d", "a", "c"}},
		{"namedConstants",
			[]post{{"n", eventloop.NormalEventPriority}, {"l", eventloop.LowEventPriority}, {"h", eventloop.HighEventPriority}},
			[]string{"h", "n", "l"}},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := eventloop.New()
			var r recorder
			for _, p := range tc.posts {
				l.PostEvent(nil, func() { r.add("%s", p.name) }, p.prio)
			}
			if got := l.ProcessEvents(eventloop.AllEvents); !got {
				t.Errorf("ProcessEvents(): got %v; want %v", got, true)
			}
			r.check(t, tc.want...)
			if got := l.ProcessEvents(eventloop.AllEvents); got {
				t.Errorf("second ProcessEvents(): got %v; want %v", got, false)
			}
		})
	}
}

// Post is PostEvent with normal priority: it keeps FIFO with normal events.
func TestPostIsNormalPriority(t *testing.T) {
	t.Parallel()
	l := eventloop.New()
	var r recorder
	l.Post(func() { r.add("post1") })
	l.PostEvent(nil, func() { r.add("low") }, eventloop.LowEventPriority)
	l.PostEvent(nil, func() { r.add("normal") }, eventloop.NormalEventPriority)
	l.Post(func() { r.add("post2") })
	l.PostEvent(nil, func() { r.add("high") }, eventloop.HighEventPriority)
	l.SendPostedEvents()
	r.check(t, "high", "post1", "normal", "post2", "low")
}

// Qt §12/§13: one pass delivers only the events queued when it started
// ("avoid live-lock"); events posted meanwhile, even at a higher priority,
// wait for the next pass.
func TestProcessEventsDeliversOnlySnapshot(t *testing.T) {
	t.Parallel()
	l := eventloop.New()
	var r recorder
	l.Post(func() {
		r.add("a")
		l.Post(func() { r.add("c") })
		l.PostEvent(nil, func() { r.add("high") }, eventloop.HighEventPriority)
	})
	l.Post(func() { r.add("b") })

	if got := l.ProcessEvents(eventloop.AllEvents); !got {
		t.Errorf("ProcessEvents(): got %v; want %v", got, true)
	}
	r.check(t, "a", "b")
	if got := l.HasPendingEvents(); !got {
		t.Errorf("HasPendingEvents(): got %v; want %v", got, true)
	}
	l.ProcessEvents(eventloop.AllEvents)
	r.check(t, "a", "b", "high", "c")
	if got := l.ProcessEvents(eventloop.AllEvents); got {
		t.Errorf("ProcessEvents() on an empty queue: got %v; want %v", got, false)
	}
	if got := l.HasPendingEvents(); got {
		t.Errorf("HasPendingEvents(): got %v; want %v", got, false)
	}
}

// SendPostedEvents is one posted-event pass: snapshot only, and no timers.
func TestSendPostedEvents(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := eventloop.New()
		var r recorder
		tm := l.StartTimer(0, eventloop.PreciseTimer, func() { r.add("timer") })
		defer tm.Stop()
		l.Post(func() {
			r.add("a")
			l.Post(func() { r.add("later") })
		})
		l.Post(func() { r.add("b") })
		if got := l.SendPostedEvents(); !got {
			t.Errorf("SendPostedEvents(): got %v; want %v", got, true)
		}
		r.check(t, "a", "b")
		if got := l.SendPostedEvents(); !got {
			t.Errorf("SendPostedEvents(): got %v; want %v", got, true)
		}
		if got := l.SendPostedEvents(); got {
			t.Errorf("SendPostedEvents() on an empty queue: got %v; want %v", got, false)
		}
		r.check(t, "a", "b", "later")
	})
}

// Posts from many goroutines are all delivered, on the loop's goroutine,
// keeping each poster's order; they wake an Exec that is asleep.
func TestPostFromOtherGoroutines(t *testing.T) {
	t.Parallel()
	const posters, perPoster = 8, 200
	l := eventloop.New()
	owner := goid.Get()
	next := make([]int, posters) // touched only on the loop goroutine
	total, wrongGoroutine, outOfOrder := 0, 0, 0
	var wg sync.WaitGroup
	l.Post(func() { // start posting once Exec runs, so some posts find it asleep
		for p := range posters {
			wg.Go(func() {
				for i := range perPoster {
					l.Post(func() {
						if goid.Get() != owner {
							wrongGoroutine++
						}
						if next[p] != i {
							outOfOrder++
						}
						next[p] = i + 1
						if total++; total == posters*perPoster {
							l.Exit(11)
						}
					})
				}
			})
		}
	})
	if got := l.Exec(); got != 11 {
		t.Errorf("Exec(): got %v; want %v", got, 11)
	}
	wg.Wait()
	if total != posters*perPoster || wrongGoroutine != 0 || outOfOrder != 0 {
		t.Errorf("got %d events, %d on a wrong goroutine, %d out of order; want %d, 0, 0",
			total, wrongGoroutine, outOfOrder, posters*perPoster)
	}
}

// An idle Exec sleeps; anything done to the loop from another goroutine
// wakes it at once, without fake time moving.
func TestOtherGoroutineWakesSleepingLoop(t *testing.T) {
	t.Parallel()
	testCases := []struct {
		name string
		wake func(l *eventloop.Loop)
	}{
		{"post", func(l *eventloop.Loop) { l.Post(func() { l.Exit(7) }) }},
		{"postEvent", func(l *eventloop.Loop) {
			l.PostEvent(new(int), func() { l.Exit(7) }, eventloop.LowEventPriority)
		}},
		{"postSocketEvent", func(l *eventloop.Loop) { l.PostSocketEvent(new(int), func() { l.Exit(7) }) }},
		{"exit", func(l *eventloop.Loop) { l.Exit(7) }},
		{"startTimer", func(l *eventloop.Loop) {
			l.StartTimer(0, eventloop.PreciseTimer, func() { l.Exit(7) })
		}},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				l := eventloop.New()
				start := time.Now()
				go func() {
					synctest.Wait() // the loop is durably asleep
					tc.wake(l)
				}()
				if got := l.Exec(); got != 7 {
					t.Errorf("Exec(): got %v; want %v", got, 7)
				}
				if got := time.Since(start); got != 0 {
					t.Errorf("woke after: got %v; want %v", got, time.Duration(0))
				}
			})
		})
	}
}

// WakeUp interrupts a waiting ProcessEvents without delivering anything.
func TestWakeUpInterruptsWait(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := eventloop.New()
		go func() {
			synctest.Wait()
			l.WakeUp()
		}()
		if got := l.ProcessEvents(eventloop.WaitForMoreEvents); got {
			t.Errorf("ProcessEvents(WaitForMoreEvents): got %v; want %v", got, false)
		}
	})
}

// Qt §13: removePostedEvents drops the receiver's events without delivering.
func TestRemovePostedEvents(t *testing.T) {
	t.Parallel()
	l := eventloop.New()
	r1, r2 := new(int), new(int)
	var r recorder
	l.PostEvent(r1, func() { r.add("a") }, 0)
	l.PostEvent(r2, func() { r.add("b") }, 0)
	l.Post(func() { r.add("c") })
	l.PostEvent(r1, func() { r.add("d") }, eventloop.HighEventPriority)
	l.PostSocketEvent(r1, func() { r.add("s") })
	l.PostDeferredDelete(r1, func() { r.add("dd") })
	l.PostEvent(r2, func() { r.add("e") }, eventloop.LowEventPriority)

	if got := l.RemovePostedEvents(r1); got != 4 {
		t.Errorf("RemovePostedEvents(r1): got %v; want %v", got, 4)
	}
	if got := l.RemovePostedEvents(r1); got != 0 {
		t.Errorf("second RemovePostedEvents(r1): got %v; want %v", got, 0)
	}
	if got := l.RemovePostedEvents(new(int)); got != 0 {
		t.Errorf("RemovePostedEvents(unknown): got %v; want %v", got, 0)
	}
	l.SendDeferredDeletes()
	l.ProcessEvents(eventloop.AllEvents)
	r.check(t, "b", "c", "e")
}

// Removing events during a pass: removed events of the running pass are not
// delivered, and the pass still ends at its snapshot.
func TestRemovePostedEventsDuringPass(t *testing.T) {
	t.Parallel()
	l := eventloop.New()
	obj := new(int)
	var r recorder
	l.Post(func() {
		r.add("a")
		l.PostEvent(obj, func() { r.add("objLater") }, 0)
		l.Post(func() { r.add("next") })
		r.add("removed %d", l.RemovePostedEvents(obj))
	})
	l.PostEvent(obj, func() { r.add("obj") }, 0)
	l.Post(func() { r.add("c") })

	l.ProcessEvents(eventloop.AllEvents)
	r.check(t, "a", "removed 2", "c")
	l.ProcessEvents(eventloop.AllEvents)
	r.check(t, "a", "removed 2", "c", "next")
}

// Qt §11: moveToThread moves the object's pending posted events to the target
// queue (priority-sorted insertion there, original order kept) and wakes it.
func TestMovePostedEvents(t *testing.T) {
	t.Parallel()
	from, to := eventloop.New(), eventloop.New()
	r1, r2 := new(int), new(int)
	var r recorder
	from.PostEvent(r1, func() { r.add("A") }, 0)
	from.PostEvent(r2, func() { r.add("X") }, 0)
	from.PostEvent(r1, func() { r.add("B") }, eventloop.HighEventPriority)
	from.PostEvent(r1, func() { r.add("C") }, 0)
	from.PostSocketEvent(r1, func() { r.add("S") })
	to.Post(func() { r.add("Y") })
	to.PostEvent(r2, func() { r.add("Z") }, eventloop.LowEventPriority)

	if got := from.MovePostedEvents(from, func(any) bool { return true }); got != 0 {
		t.Errorf("MovePostedEvents(self): got %v; want %v", got, 0)
	}
	if got := from.MovePostedEvents(to, func(any) bool { return false }); got != 0 {
		t.Errorf("MovePostedEvents(no match): got %v; want %v", got, 0)
	}
	if got := from.MovePostedEvents(to, func(rc any) bool { return rc == r1 }); got != 4 {
		t.Errorf("MovePostedEvents(r1): got %v; want %v", got, 4)
	}
	from.ProcessEvents(eventloop.AllEvents)
	r.check(t, "X")
	to.ProcessEvents(eventloop.AllEvents)
	r.check(t, "X", "B", "Y", "A", "C", "S", "Z")
}

// Moving events to a loop asleep on another goroutine wakes it; the moved
// events run on that goroutine.
func TestMovePostedEventsWakesTarget(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		from := eventloop.New()
		toCh := make(chan *eventloop.Loop)
		codeCh := make(chan int)
		go func() {
			to := eventloop.New()
			toCh <- to
			codeCh <- to.Exec()
		}()
		to := <-toCh
		obj := new(int)
		onTarget := false
		from.PostEvent(obj, func() {
			onTarget = to.IsCurrent()
			to.Exit(3)
		}, 0)
		synctest.Wait() // the target is asleep in Exec
		if got := from.MovePostedEvents(to, func(rc any) bool { return rc == obj }); got != 1 {
			t.Errorf("MovePostedEvents(): got %v; want %v", got, 1)
		}
		if got := <-codeCh; got != 3 {
			t.Errorf("target Exec(): got %v; want %v", got, 3)
		}
		if !onTarget {
			t.Errorf("moved event ran on the target goroutine: got %v; want %v", onTarget, true)
		}
		if got := from.HasPendingEvents(); got {
			t.Errorf("source HasPendingEvents(): got %v; want %v", got, false)
		}
	})
}

// Qt §12: excluded events are kept, not discarded, and keep their order.
func TestProcessEventsExcludeSocketNotifiers(t *testing.T) {
	t.Parallel()
	l := eventloop.New()
	var r recorder
	l.PostSocketEvent(new(int), func() { r.add("s1") })
	l.Post(func() { r.add("a") })
	l.PostSocketEvent(new(int), func() { r.add("s2") })
	l.PostEvent(nil, func() { r.add("high") }, eventloop.HighEventPriority)
	l.Post(func() { r.add("b") })

	if got := l.ProcessEvents(eventloop.ExcludeSocketNotifiers); !got {
		t.Errorf("ProcessEvents(ExcludeSocketNotifiers): got %v; want %v", got, true)
	}
	r.check(t, "high", "a", "b")
	if got := l.ProcessEvents(eventloop.ExcludeSocketNotifiers | eventloop.ExcludeUserInputEvents); got {
		t.Errorf("ProcessEvents(ExcludeSocketNotifiers) with only socket events: got %v; want %v", got, false)
	}
	if got := l.HasPendingEvents(); !got {
		t.Errorf("HasPendingEvents(): got %v; want %v", got, true)
	}
	l.Post(func() { r.add("c") })
	l.ProcessEvents(eventloop.AllEvents)
	r.check(t, "high", "a", "b", "s1", "s2", "c")
}

// Events kept back by ExcludeSocketNotifiers are still queued while the pass
// runs: a handler in that pass can remove them (Qt's removePostedEvents sees
// every queued event), and they are not lost if a handler panics.
func TestExcludedEventsStayQueuedDuringPass(t *testing.T) {
	t.Parallel()
	t.Run("remove", func(t *testing.T) {
		t.Parallel()
		l := eventloop.New()
		obj := new(int)
		var r recorder
		l.PostSocketEvent(obj, func() { r.add("socket") })
		l.Post(func() {
			r.add("pending %v", l.HasPendingEvents())
			r.add("removed %d", l.RemovePostedEvents(obj))
		})
		l.ProcessEvents(eventloop.ExcludeSocketNotifiers)
		l.ProcessEvents(eventloop.AllEvents)
		r.check(t, "pending true", "removed 1")
	})
	t.Run("panic", func(t *testing.T) {
		t.Parallel()
		l := eventloop.New()
		var r recorder
		l.PostSocketEvent(new(int), func() { r.add("socket") })
		l.Post(func() { panic("boom") })
		l.Post(func() { r.add("after") })
		if got := panicValue(func() { l.ProcessEvents(eventloop.ExcludeSocketNotifiers) }); got != "boom" {
			t.Fatalf("ProcessEvents panicked: got %v; want %v", got, "boom")
		}
		l.ProcessEvents(eventloop.AllEvents)
		r.check(t, "socket", "after")
	})
}

// Qt §12: processEvents(flags, maxTime) runs passes without waiting until one
// delivers nothing; unlike a single pass it also delivers events posted
// meanwhile.
func TestProcessEventsFor(t *testing.T) {
	t.Parallel()
	t.Run("deliversEventsPostedMeanwhile", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			l := eventloop.New()
			var r recorder
			l.Post(func() {
				r.add("a")
				l.Post(func() {
					r.add("b")
					l.Post(func() { r.add("c") })
				})
			})
			start := time.Now()
			// WaitForMoreEvents is ignored: with nothing left it returns
			// (under synctest a wait with no timer would be a deadlock).
			l.ProcessEventsFor(eventloop.AllEvents|eventloop.WaitForMoreEvents, time.Hour)
			r.check(t, "a", "b", "c")
			if got := time.Since(start); got != 0 {
				t.Errorf("ProcessEventsFor took: got %v; want %v", got, time.Duration(0))
			}
		})
	})
	t.Run("stopsAfterMaxTime", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			l := eventloop.New()
			n := 0
			var step func()
			step = func() {
				n++
				time.Sleep(7 * time.Millisecond)
				l.Post(step)
			}
			l.Post(step)
			start := time.Now()
			l.ProcessEventsFor(eventloop.AllEvents, 50*time.Millisecond)
			// 7 passes take 49ms (< 50ms), the 8th ends at 56ms.
			if n != 8 {
				t.Errorf("got %v events; want %v", n, 8)
			}
			if got := time.Since(start); got != 56*time.Millisecond {
				t.Errorf("returned after: got %v; want %v", got, 56*time.Millisecond)
			}
			if got := l.HasPendingEvents(); !got {
				t.Errorf("HasPendingEvents(): got %v; want %v", got, true)
			}
		})
	})
	t.Run("firesDueTimers", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			l := eventloop.New()
			var r recorder
			tm := l.StartTimer(10*time.Millisecond, eventloop.PreciseTimer, func() { r.add("timer") })
			defer tm.Stop()
			time.Sleep(10 * time.Millisecond)
			l.Post(func() { r.add("event") })
			l.ProcessEventsFor(eventloop.AllEvents, time.Second)
			r.check(t, "event", "timer")
		})
	})
}

// A post from another goroutine wakes a loop that sleeps until a timer; the
// timer still fires at its own time afterwards.
func TestPostWakesLoopSleepingOnTimer(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := eventloop.New()
		start := time.Now()
		var r recorder
		var tm *eventloop.TimerHandle
		tm = l.StartTimer(100*time.Millisecond, eventloop.PreciseTimer, func() {
			r.add("timer at %v", time.Since(start))
			tm.Stop()
			l.Quit()
		})
		go func() {
			synctest.Wait() // asleep until the timer
			l.Post(func() { r.add("event at %v", time.Since(start)) })
		}()
		l.Exec()
		r.check(t, "event at 0s", "timer at 100ms")
	})
}
