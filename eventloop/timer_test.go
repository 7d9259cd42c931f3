package eventloop_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/qtgo/qtgo/eventloop"
)

const ms = time.Millisecond

// Qt §15: a repeating timer fires every interval, first after one interval.
func TestTimerFiresAfterInterval(t *testing.T) {
	t.Parallel()
	for _, iv := range []time.Duration{1 * ms, 10 * ms, 250 * ms, 3 * time.Second} {
		t.Run(iv.String(), func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				l := eventloop.New()
				start := time.Now()
				var got []time.Duration
				var tm *eventloop.TimerHandle
				tm = l.StartTimer(iv, eventloop.PreciseTimer, func() {
					got = append(got, time.Since(start))
					if len(got) == 3 {
						tm.Stop()
						l.Quit()
					}
				})
				if !tm.IsActive() || tm.Interval() != iv || tm.Loop() != l {
					t.Errorf("got active %v, interval %v, loop %v; want %v, %v, %v",
						tm.IsActive(), tm.Interval(), tm.Loop(), true, iv, l)
				}
				l.Exec()
				if want := []time.Duration{iv, 2 * iv, 3 * iv}; !slices.Equal(got, want) {
					t.Errorf("got %v; want %v", got, want)
				}
			})
		})
	}
}

// Qt §15 (tst_QTimer::sequentialTimers): timers fire by due time, FIFO among
// equal due times, so timers started in order with ascending intervals fire
// in start order.
func TestTimersFireInDueOrder(t *testing.T) {
	t.Parallel()
	testCases := []struct {
		intervals []int // ms
		want      string
	}{
		{[]int{0, 0, 0, 0, 0, 0}, "ABCDEF"},
		{[]int{0, 1, 2}, "ABC"},
		{[]int{1, 1, 1, 2, 2, 2, 2}, "ABCDEFG"},
		{[]int{1, 2, 3}, "ABC"},
		{[]int{19, 19, 19}, "ABC"},
		{[]int{20, 20, 20, 20, 20}, "ABCDE"},
		{[]int{25, 25, 25, 25, 25, 25, 50}, "ABCDEFG"},
		{[]int{3, 1, 2, 1, 0}, "EBDCA"}, // unsorted: by due time, ties in start order
	}
	for _, tc := range testCases {
		name := strings.Trim(strings.ReplaceAll(fmt.Sprint(tc.intervals), " ", ","), "[]")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				l := eventloop.New()
				var got strings.Builder
				for i, iv := range tc.intervals {
					var tm *eventloop.TimerHandle
					tm = l.StartTimer(time.Duration(iv)*ms, eventloop.PreciseTimer, func() {
						tm.Stop() // single shot
						got.WriteByte(byte('A' + i))
						if got.Len() == len(tc.intervals) {
							l.Quit()
						}
					})
				}
				l.Exec()
				if got.String() != tc.want {
					t.Errorf("got %v; want %v", got.String(), tc.want)
				}
			})
		})
	}
}

// Qt §15: a timer that fired is rescheduled (re-inserted) before it is
// delivered, behind the timers already waiting for the same due time; equal
// due times are FIFO in insertion order, not in original start order.
func TestRescheduledTimerQueuesBehindEqualDueTime(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := eventloop.New()
		start := time.Now()
		var got []string
		var a, b *eventloop.TimerHandle
		record := func(name string) {
			got = append(got, fmt.Sprintf("%s %v", name, time.Since(start)))
			if len(got) == 6 {
				a.Stop()
				b.Stop()
				l.Quit()
			}
		}
		a = l.StartTimer(10*ms, eventloop.PreciseTimer, func() { record("a") })
		b = l.StartTimer(20*ms, eventloop.PreciseTimer, func() { record("b") })
		l.Exec()
		// At 20ms b (inserted at 0ms) precedes a (re-inserted at 10ms); at
		// 40ms a was re-inserted at 30ms, after b (re-inserted at 20ms).
		want := []string{"a 10ms", "b 20ms", "a 20ms", "a 30ms", "b 40ms", "a 40ms"}
		if !slices.Equal(got, want) {
			t.Errorf("got %v; want %v", got, want)
		}
	})
}

// Qt §15: each due timer fires at most once per pass: after a stall of many
// intervals it fires once (no catch-up burst), then every interval from then.
func TestTimerNoCatchUpAfterStall(t *testing.T) {
	t.Parallel()
	t.Run("exec", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			l := eventloop.New()
			start := time.Now()
			var got []time.Duration
			var tm *eventloop.TimerHandle
			tm = l.StartTimer(10*ms, eventloop.PreciseTimer, func() {
				got = append(got, time.Since(start))
				if len(got) == 3 {
					tm.Stop()
					l.Quit()
				}
			})
			l.Post(func() { time.Sleep(105 * ms) }) // blocks the loop for 10 intervals
			l.Exec()
			if want := []time.Duration{105 * ms, 115 * ms, 125 * ms}; !slices.Equal(got, want) {
				t.Errorf("got %v; want %v", got, want)
			}
		})
	})
	t.Run("processEvents", func(t *testing.T) { // tst timerFiresOnlyOncePerProcessEvents
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			l := eventloop.New()
			n := 0
			tm := l.StartTimer(10*ms, eventloop.PreciseTimer, func() { n++ })
			defer tm.Stop()
			time.Sleep(100 * ms)
			if got := l.ProcessEvents(eventloop.AllEvents); !got || n != 1 {
				t.Errorf("first ProcessEvents(): got %v with %d timeouts; want %v with %d", got, n, true, 1)
			}
			if got := l.ProcessEvents(eventloop.AllEvents); got || n != 1 {
				t.Errorf("second ProcessEvents(): got %v with %d timeouts; want %v with %d", got, n, false, 1)
			}
			if got := tm.RemainingTime(); got != 10*ms {
				t.Errorf("RemainingTime(): got %v; want %v", got, 10*ms)
			}
			time.Sleep(10 * ms)
			if got := l.ProcessEvents(eventloop.AllEvents); !got || n != 2 {
				t.Errorf("third ProcessEvents(): got %v with %d timeouts; want %v with %d", got, n, true, 2)
			}
		})
	})
}

// Qt §15: the next timeout is the previous one plus the interval (a slow
// callback does not shift the schedule), or now plus the interval once that
// is already past.
func TestTimerNextDueIsPreviousDuePlusInterval(t *testing.T) {
	t.Parallel()
	testCases := []struct {
		name string
		work time.Duration // callback duration
		want []time.Duration
	}{
		{"shortCallback", 3 * ms, []time.Duration{10 * ms, 20 * ms, 30 * ms, 40 * ms}},
		{"callbackLongerThanInterval", 12 * ms, []time.Duration{10 * ms, 22 * ms, 34 * ms, 46 * ms}},
		{"callbackSpansIntervals", 25 * ms, []time.Duration{10 * ms, 35 * ms, 60 * ms, 85 * ms}},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				l := eventloop.New()
				start := time.Now()
				var got []time.Duration
				var tm *eventloop.TimerHandle
				tm = l.StartTimer(10*ms, eventloop.PreciseTimer, func() {
					got = append(got, time.Since(start))
					if len(got) == len(tc.want) {
						tm.Stop()
						l.Quit()
						return
					}
					time.Sleep(tc.work)
				})
				l.Exec()
				if !slices.Equal(got, tc.want) {
					t.Errorf("got %v; want %v", got, tc.want)
				}
			})
		})
	}
}

// Qt §15 (tst timerInfiniteRecursion): while a timer's callback runs a nested
// loop, that timer is not delivered again; it resumes afterwards. The nested
// loop sleeps meanwhile.
func TestTimerNotRedeliveredDuringItsNestedLoop(t *testing.T) {
	t.Parallel()
	watchdog(t, 30*time.Second)
	synctest.Test(t, func(t *testing.T) {
		l := eventloop.New()
		start := time.Now()
		calls, depth, maxDepth := 0, 0, 0
		var r recorder
		var tm *eventloop.TimerHandle
		tm = l.StartTimer(10*ms, eventloop.PreciseTimer, func() {
			calls++
			depth++
			maxDepth = max(maxDepth, depth)
			defer func() { depth-- }()
			if calls == 1 {
				e := l.NewEventLoop()
				var q *eventloop.TimerHandle
				q = l.StartTimer(55*ms, eventloop.PreciseTimer, func() { q.Stop(); e.Quit() })
				e.Exec()
				r.add("nested returned at %v after %d call(s)", time.Since(start), calls)
			}
			if calls == 3 {
				tm.Stop()
				l.Quit()
			}
		})
		l.Exec()
		r.check(t, "nested returned at 65ms after 1 call(s)")
		if calls != 3 || maxDepth != 1 {
			t.Errorf("got %d calls, max depth %d; want %d, %d", calls, maxDepth, 3, 1)
		}
	})
}

// A timer restarted in its own callback, which then runs a nested loop, is
// not delivered recursively, and it is not lost: it fires again once the
// callback has returned.
func TestTimerRestartedInCallbackThenNestedLoop(t *testing.T) {
	t.Parallel()
	watchdog(t, 30*time.Second)
	synctest.Test(t, func(t *testing.T) {
		l := eventloop.New()
		start := time.Now()
		calls, depth, maxDepth := 0, 0, 0
		returnedAt := time.Duration(0)
		var after []time.Duration
		var tm *eventloop.TimerHandle
		tm = l.StartTimer(10*ms, eventloop.PreciseTimer, func() {
			calls++
			depth++
			maxDepth = max(maxDepth, depth)
			defer func() { depth-- }()
			switch calls {
			case 1:
				tm.Start(10 * ms)
				e := l.NewEventLoop()
				var q *eventloop.TimerHandle
				q = l.StartTimer(55*ms, eventloop.PreciseTimer, func() { q.Stop(); e.Quit() })
				e.Exec()
				returnedAt = time.Since(start)
			case 3:
				tm.Stop()
				l.Quit()
				fallthrough
			default:
				after = append(after, time.Since(start))
			}
		})
		var guard *eventloop.TimerHandle
		guard = l.StartTimer(time.Second, eventloop.PreciseTimer, func() { guard.Stop(); l.Exit(1) })
		defer guard.Stop()
		if got := l.Exec(); got != 0 {
			t.Errorf("Exec(): got %v (guard timer fired: timer lost after %d call(s)); want %v", got, calls, 0)
		}
		if calls != 3 || maxDepth != 1 || returnedAt != 65*ms {
			t.Errorf("got %d calls, max depth %d, nested loop returned at %v; want %d, %d, %v",
				calls, maxDepth, returnedAt, 3, 1, 65*ms)
		}
		if len(after) == 2 && after[0] < returnedAt {
			t.Errorf("got second call at %v; want it after the nested loop returned at %v", after[0], returnedAt)
		}
	})
}

// Qt §13/§15 (tst_QTimer::livelock): a timer started in a timer callback does
// not fire in the same pass, and an event posted by that callback is
// delivered before it; a timer stopped by an earlier callback of the pass
// does not fire.
func TestTimerStartedInCallback(t *testing.T) {
	t.Parallel()
	for _, iv := range []time.Duration{0, 1 * ms, 10 * ms} {
		t.Run(iv.String(), func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				l := eventloop.New()
				var r recorder
				firsts, seconds, extras := 0, 0, 0
				var first, second, extra, end *eventloop.TimerHandle
				first = l.StartTimer(iv, eventloop.PreciseTimer, func() {
					if firsts++; firsts == 1 {
						extra.Stop()
						l.Post(func() { r.add("posted") })
						second = l.StartTimer(iv, eventloop.PreciseTimer, func() {
							seconds++
							r.add("second")
							second.Stop()
						})
					}
					r.add("first")
					time.Sleep(2 * ms)
					first.Stop()
				})
				extra = l.StartTimer(iv+80*ms, eventloop.PreciseTimer, func() { extras++ })
				end = l.StartTimer(iv+200*ms, eventloop.PreciseTimer, func() { end.Stop(); l.Quit() })
				l.Exec()
				r.check(t, "first", "posted", "second")
				if firsts != 1 || seconds != 1 || extras != 0 {
					t.Errorf("got %d, %d, %d timeouts; want 1, 1, 0", firsts, seconds, extras)
				}
			})
		})
	}
}

// A timer stopped by an earlier callback of the same pass does not fire, even
// though it was due when the pass started.
func TestTimerStoppedByEarlierCallbackInSamePass(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := eventloop.New()
		var r recorder
		var a, b, end *eventloop.TimerHandle
		a = l.StartTimer(10*ms, eventloop.PreciseTimer, func() { r.add("a"); a.Stop(); b.Stop() })
		b = l.StartTimer(10*ms, eventloop.PreciseTimer, func() { r.add("b") })
		end = l.StartTimer(50*ms, eventloop.PreciseTimer, func() { end.Stop(); l.Quit() })
		l.Exec()
		r.check(t, "a")
		if b.IsActive() {
			t.Errorf("b.IsActive(): got %v; want %v", b.IsActive(), false)
		}
	})
}

// Qt §15: stopping the timer from its own callback works; it never fires
// again, and inside the callback it already reports inactive.
func TestTimerStopInsideCallback(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := eventloop.New()
		var r recorder
		var tm, end *eventloop.TimerHandle
		tm = l.StartTimer(10*ms, eventloop.PreciseTimer, func() {
			r.add("before: active %v", tm.IsActive())
			tm.Stop()
			tm.Stop() // no-op when inactive
			r.add("after: active %v, remaining negative %v", tm.IsActive(), tm.RemainingTime() < 0)
		})
		end = l.StartTimer(100*ms, eventloop.PreciseTimer, func() { end.Stop(); l.Quit() })
		l.Exec()
		r.check(t, "before: active true", "after: active false, remaining negative true")
	})
}

// Qt §15: start() on a running timer stops and restarts it, counting from
// now, with the new interval; on a stopped timer it starts it.
func TestTimerRestart(t *testing.T) {
	t.Parallel()
	testCases := []struct {
		name  string
		setup func(l *eventloop.Loop, tm *eventloop.TimerHandle)
		// restart is called from the first callback when not nil
		restart func(tm *eventloop.TimerHandle)
		want    []time.Duration
		wantIv  time.Duration
	}{
		{
			name: "whileRunning",
			setup: func(l *eventloop.Loop, tm *eventloop.TimerHandle) {
				time.Sleep(5 * ms)
				tm.Start(30 * ms)
			},
			want:   []time.Duration{35 * ms, 65 * ms},
			wantIv: 30 * ms,
		},
		{
			name: "afterStop",
			setup: func(l *eventloop.Loop, tm *eventloop.TimerHandle) {
				tm.Stop()
				time.Sleep(3 * ms)
				tm.Start(10 * ms)
			},
			want:   []time.Duration{13 * ms, 23 * ms},
			wantIv: 10 * ms,
		},
		{
			name:    "insideCallback",
			setup:   func(*eventloop.Loop, *eventloop.TimerHandle) {},
			restart: func(tm *eventloop.TimerHandle) { tm.Start(25 * ms) },
			want:    []time.Duration{10 * ms, 35 * ms, 60 * ms},
			wantIv:  25 * ms,
		},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				l := eventloop.New()
				start := time.Now()
				var got []time.Duration
				var tm *eventloop.TimerHandle
				tm = l.StartTimer(10*ms, eventloop.PreciseTimer, func() {
					got = append(got, time.Since(start))
					if len(got) == 1 && tc.restart != nil {
						tc.restart(tm)
					}
					if len(got) == len(tc.want) {
						tm.Stop()
						l.Quit()
					}
				})
				tc.setup(l, tm)
				l.Exec()
				if !slices.Equal(got, tc.want) {
					t.Errorf("got %v; want %v", got, tc.want)
				}
				if got := tm.Interval(); got != tc.wantIv {
					t.Errorf("Interval(): got %v; want %v", got, tc.wantIv)
				}
			})
		})
	}
}

// Qt §15: remainingTime() is negative when inactive, 0 when overdue, and in
// (0, interval] inside a repeating timer's callback (already rescheduled).
func TestTimerRemainingTime(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := eventloop.New()
		const iv = 10 * ms
		var inside []time.Duration
		var tm *eventloop.TimerHandle
		tm = l.StartTimer(iv, eventloop.PreciseTimer, func() {
			inside = append(inside, tm.RemainingTime())
			time.Sleep(3 * ms)
			inside = append(inside, tm.RemainingTime())
			if len(inside) == 4 {
				tm.Stop()
				l.Quit()
			}
		})
		if got := tm.RemainingTime(); got != iv {
			t.Errorf("RemainingTime() at start: got %v; want %v", got, iv)
		}
		time.Sleep(4 * ms)
		if got := tm.RemainingTime(); got != 6*ms {
			t.Errorf("RemainingTime() after 4ms: got %v; want %v", got, 6*ms)
		}
		time.Sleep(11 * ms)
		if got := tm.RemainingTime(); got != 0 {
			t.Errorf("RemainingTime() when overdue: got %v; want %v", got, time.Duration(0))
		}
		l.Exec() // fires at 15ms (due 10ms → next 20ms), then at 20ms (next 30ms)
		if want := []time.Duration{5 * ms, 2 * ms, 10 * ms, 7 * ms}; !slices.Equal(inside, want) {
			t.Errorf("RemainingTime() inside callbacks: got %v; want %v", inside, want)
		}
		for _, d := range inside {
			if d <= 0 || d > iv {
				t.Errorf("RemainingTime() inside callback: got %v; want in (0, %v]", d, iv)
			}
		}
		if got := tm.RemainingTime(); got >= 0 {
			t.Errorf("RemainingTime() when stopped: got %v; want < 0", got)
		}
	})
}

// Qt §15: a zero-interval timer fires once per loop iteration.
func TestZeroIntervalTimerFiresOncePerIteration(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := eventloop.New()
		n := 0
		tm := l.StartTimer(0, eventloop.PreciseTimer, func() { n++ })
		defer tm.Stop()
		for i := 1; i <= 5; i++ {
			if got := l.ProcessEvents(eventloop.AllEvents); !got || n != i {
				t.Errorf("ProcessEvents() #%d: got %v with %d timeouts; want %v with %d", i, got, n, true, i)
			}
		}
	})
}

// Qt §15 (tst dontBlockEvents, postedEventsShouldNotStarveTimers): a 0-ms
// repeating timer and a self-reposting event share the loop: each iteration
// delivers the posted event, then fires the timer once.
func TestZeroIntervalTimerAndPostedEventsAlternate(t *testing.T) {
	t.Parallel()
	const n = 50
	for _, quitFrom := range []string{"timer", "event"} {
		t.Run("quitFrom"+strings.ToUpper(quitFrom[:1])+quitFrom[1:], func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				l := eventloop.New()
				var got, want []string
				for range n {
					want = append(want, "event", "timer")
				}
				events, ticks := 0, 0
				var repost func()
				repost = func() {
					got = append(got, "event")
					if events++; events == n && quitFrom == "event" {
						l.Quit() // the iteration still finishes: the timer fires once more
					}
					l.Post(repost)
				}
				l.Post(repost)
				tm := l.StartTimer(0, eventloop.PreciseTimer, func() {
					got = append(got, "timer")
					if ticks++; ticks == n && quitFrom == "timer" {
						l.Quit()
					}
				})
				defer tm.Stop()
				l.Exec()
				if !slices.Equal(got, want) {
					t.Errorf("got %v; want %v", got, want)
				}
			})
		})
	}
}

// Qt §13: each iteration sends the posted events first, then activates the
// expired timers.
func TestPostedEventsBeforeTimersInOneIteration(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := eventloop.New()
		var r recorder
		t10 := l.StartTimer(10*ms, eventloop.PreciseTimer, func() { r.add("timer 10ms") })
		defer t10.Stop()
		time.Sleep(10 * ms)
		t0 := l.StartTimer(0, eventloop.PreciseTimer, func() { r.add("timer 0ms") })
		defer t0.Stop()
		l.Post(func() { r.add("event 1") })
		l.PostEvent(nil, func() { r.add("event 2") }, eventloop.LowEventPriority)
		if got := l.ProcessEvents(eventloop.AllEvents); !got {
			t.Errorf("ProcessEvents(): got %v; want %v", got, true)
		}
		r.check(t, "event 1", "event 2", "timer 10ms", "timer 0ms")
	})
}

// Qt 6.8 §15: a negative interval is set to 1ms.
func TestNegativeIntervalIsOneMillisecond(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := eventloop.New()
		start := time.Now()
		var got []time.Duration
		var tm *eventloop.TimerHandle
		tm = l.StartTimer(-5*ms, eventloop.PreciseTimer, func() {
			got = append(got, time.Since(start))
			if len(got) == 2 {
				tm.Stop()
				l.Quit()
			}
		})
		if iv := tm.Interval(); iv != ms {
			t.Errorf("Interval(): got %v; want %v", iv, ms)
		}
		l.Exec()
		if want := []time.Duration{1 * ms, 2 * ms}; !slices.Equal(got, want) {
			t.Errorf("got %v; want %v", got, want)
		}
		tm.Start(-time.Nanosecond)
		defer tm.Stop()
		if iv := tm.Interval(); iv != ms {
			t.Errorf("Interval() after Start(-1ns): got %v; want %v", iv, ms)
		}
	})
}

// Qt §15: a VeryCoarseTimer keeps whole-second accuracy: its interval is
// rounded to the nearest second, half a second rounding up.
func TestVeryCoarseTimerRounding(t *testing.T) {
	t.Parallel()
	testCases := []struct {
		in, want time.Duration
	}{
		{500 * ms, time.Second},
		{time.Second, time.Second},
		{1499 * ms, time.Second},
		{1500 * ms, 2 * time.Second},
		{2400 * ms, 2 * time.Second},
		{2500 * ms, 3 * time.Second},
		{2600 * ms, 3 * time.Second},
		{59500 * ms, 60 * time.Second},
	}
	for _, tc := range testCases {
		t.Run(tc.in.String(), func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				l := eventloop.New()
				start := time.Now()
				var firedAt time.Duration
				var tm *eventloop.TimerHandle
				tm = l.StartTimer(tc.in, eventloop.VeryCoarseTimer, func() {
					firedAt = time.Since(start)
					tm.Stop()
					l.Quit()
				})
				if got := tm.Interval(); got != tc.want {
					t.Errorf("Interval(): got %v; want %v", got, tc.want)
				}
				l.Exec()
				if firedAt != tc.want {
					t.Errorf("fired at: got %v; want %v", firedAt, tc.want)
				}
			})
		})
	}
}

// Qt §15: a CoarseTimer fires within 5% of its interval.
func TestCoarseTimerWithinFivePercent(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := eventloop.New()
		start := time.Now()
		var firedAt time.Duration
		var tm *eventloop.TimerHandle
		tm = l.StartTimer(100*ms, eventloop.CoarseTimer, func() {
			firedAt = time.Since(start)
			tm.Stop()
			l.Quit()
		})
		l.Exec()
		if firedAt < 95*ms || firedAt > 105*ms {
			t.Errorf("fired at: got %v; want within [%v, %v]", firedAt, 95*ms, 105*ms)
		}
	})
}

// An idle loop sleeps (durably blocked, no spinning) until its next timer,
// and wakes exactly at its due time.
func TestIdleLoopSleepsUntilTimer(t *testing.T) {
	t.Parallel()
	watchdog(t, 30*time.Second)
	synctest.Test(t, func(t *testing.T) {
		l := eventloop.New()
		start := time.Now()
		blockedAt := make(chan time.Duration, 1)
		var firedAt time.Duration
		var tm *eventloop.TimerHandle
		tm = l.StartTimer(250*ms, eventloop.PreciseTimer, func() {
			firedAt = time.Since(start)
			tm.Stop()
			l.Quit()
		})
		go func() {
			synctest.Wait() // returns only once the loop is asleep
			blockedAt <- time.Since(start)
		}()
		l.Exec()
		if got := <-blockedAt; got != 0 {
			t.Errorf("loop went to sleep at: got %v; want %v", got, time.Duration(0))
		}
		if firedAt != 250*ms {
			t.Errorf("fired at: got %v; want %v", firedAt, 250*ms)
		}
	})
}

// Timers may be started and stopped from any goroutine; the callback always
// runs on the loop's goroutine, and a start wakes the sleeping loop.
func TestTimerFromOtherGoroutine(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := eventloop.New()
		start := time.Now()
		var r recorder
		go func() {
			synctest.Wait() // the loop sleeps with no timer at all
			tm := l.StartTimer(10*ms, eventloop.PreciseTimer, func() {
				r.add("fired at %v on loop goroutine %v", time.Since(start), l.IsCurrent())
			})
			time.Sleep(25 * ms)
			tm.Stop()
			time.Sleep(50 * ms)
			l.Quit()
		}()
		l.Exec()
		r.check(t, "fired at 10ms on loop goroutine true", "fired at 20ms on loop goroutine true")
		if got := time.Since(start); got != 75*ms {
			t.Errorf("Exec returned at: got %v; want %v", got, 75*ms)
		}
	})
}

func TestTimerTypeString(t *testing.T) {
	t.Parallel()
	testCases := []struct {
		typ  eventloop.TimerType
		want string
	}{
		{eventloop.PreciseTimer, "PreciseTimer"},
		{eventloop.CoarseTimer, "CoarseTimer"},
		{eventloop.VeryCoarseTimer, "VeryCoarseTimer"},
		{eventloop.TimerType(7), "TimerType(?)"},
	}
	for _, tc := range testCases {
		if got := tc.typ.String(); got != tc.want {
			t.Errorf("got %v; want %v", got, tc.want)
		}
	}
}

// NewTimer returns an inactive timer (QTimer before start()): it reports
// inactive, a negative remaining time, and never fires until started.
func TestNewTimerIsInactiveUntilStarted(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := eventloop.New()
		start := time.Now()
		var got []time.Duration
		var tm *eventloop.TimerHandle
		tm = l.NewTimer(eventloop.PreciseTimer, func() {
			got = append(got, time.Since(start))
			tm.Stop()
			l.Quit()
		})
		if tm.IsActive() || tm.RemainingTime() >= 0 || tm.Loop() != l {
			t.Errorf("got active %v, remaining %v, loop %v; want %v, < 0, %v",
				tm.IsActive(), tm.RemainingTime(), tm.Loop(), false, l)
		}
		tm.Stop() // no-op
		time.Sleep(50 * ms)
		if fired := l.ProcessEvents(eventloop.AllEvents); fired || len(got) != 0 {
			t.Errorf("ProcessEvents(): got %v with %d timeouts; want %v with %d", fired, len(got), false, 0)
		}
		tm.Start(10 * ms)
		l.Exec()
		if want := []time.Duration{60 * ms}; !slices.Equal(got, want) {
			t.Errorf("got %v; want %v", got, want)
		}
	})
}
