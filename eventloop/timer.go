package eventloop

import (
	"container/heap"
	"time"
)

// TimerType is Qt::TimerType: how accurate a timer must be.
type TimerType int

// Qt's timer types, with Qt's values.
const (
	// PreciseTimer fires at its interval, never early.
	PreciseTimer TimerType = iota
	// CoarseTimer is QTimer's default. Qt may fire it up to 5 % early or late
	// to align wake-ups; this loop fires it like PreciseTimer, which is
	// within that window.
	CoarseTimer
	// VeryCoarseTimer keeps whole-second accuracy: its interval is rounded
	// to the nearest second (at least one second).
	VeryCoarseTimer
)

// String returns the Qt name of the timer type.
func (t TimerType) String() string {
	switch t {
	case PreciseTimer:
		return "PreciseTimer"
	case CoarseTimer:
		return "CoarseTimer"
	case VeryCoarseTimer:
		return "VeryCoarseTimer"
	}
	return "TimerType(?)"
}

// A TimerHandle is a repeating timer registered with a loop, the dispatcher's
// side of Qt's timers (QObject::startTimer, QAbstractEventDispatcher). Its
// callback always runs on the loop's goroutine. Most code uses signals.Timer
// (QTimer), which is built on it. Its methods are safe from any goroutine.
type TimerHandle struct {
	loop     *Loop
	fn       func()
	interval time.Duration
	typ      TimerType
	due      time.Time
	seq      uint64 // insertion order, FIFO among equal due times
	gen      uint64
	index    int // in loop.timers; -1 when not queued
	active   bool
	firing   bool
}

type dueTimer struct {
	t   *TimerHandle
	gen uint64
}

// StartTimer registers a repeating timer that calls fn on the loop's
// goroutine every interval, first after one interval. Timers are delivered
// after the posted events of an iteration; each due timer fires at most once
// per iteration (no catch-up burst after a stall); the next timeout is the
// previous one plus the interval, or now plus the interval if that has passed
// already; a timer whose callback is still running (in a nested loop) is not
// delivered again. A negative interval is treated as one millisecond, as Qt 6.8
// does.
func (l *Loop) StartTimer(interval time.Duration, typ TimerType, fn func()) *TimerHandle {
	t := l.NewTimer(typ, fn)
	t.Start(interval)
	return t
}

// NewTimer returns an inactive timer on l that will call fn once started;
// see StartTimer for the rules.
func (l *Loop) NewTimer(typ TimerType, fn func()) *TimerHandle {
	return &TimerHandle{loop: l, fn: fn, typ: typ, index: -1}
}

func normalizeInterval(d time.Duration, typ TimerType) time.Duration {
	if d < 0 {
		d = time.Millisecond
	}
	if typ == VeryCoarseTimer {
		d = (d + 500*time.Millisecond).Truncate(time.Second)
		if d == 0 {
			d = time.Second
		}
	}
	return d
}

// Start (re)starts the timer with a new interval: an active timer is stopped
// first and counts again from now.
func (t *TimerHandle) Start(interval time.Duration) {
	l := t.loop
	l.mu.Lock()
	defer l.mu.Unlock()
	if t.index >= 0 {
		heap.Remove(&l.timers, t.index)
	}
	t.interval = normalizeInterval(interval, t.typ)
	t.gen++
	t.active = true
	t.due = time.Now().Add(t.interval)
	l.timerSeq++
	t.seq = l.timerSeq
	heap.Push(&l.timers, t)
	l.wakeLocked()
}

// Stop stops the timer; it does nothing if the timer is not active.
func (t *TimerHandle) Stop() {
	l := t.loop
	l.mu.Lock()
	defer l.mu.Unlock()
	if t.index >= 0 {
		heap.Remove(&l.timers, t.index)
	}
	t.active = false
	t.gen++
}

// IsActive reports whether the timer is running.
func (t *TimerHandle) IsActive() bool {
	t.loop.mu.Lock()
	defer t.loop.mu.Unlock()
	return t.active
}

// Interval returns the timer's interval after Qt's adjustments.
func (t *TimerHandle) Interval() time.Duration {
	t.loop.mu.Lock()
	defer t.loop.mu.Unlock()
	return t.interval
}

// RemainingTime returns the time until the next timeout: negative when the
// timer is inactive, 0 when it is overdue.
func (t *TimerHandle) RemainingTime() time.Duration {
	t.loop.mu.Lock()
	defer t.loop.mu.Unlock()
	if !t.active {
		return -1
	}
	return max(time.Until(t.due), 0)
}

// Loop returns the loop the timer is registered with.
func (t *TimerHandle) Loop() *Loop { return t.loop }

// activateTimers fires the timers that were due when it started.
func (l *Loop) activateTimers() bool {
	l.mu.Lock()
	if len(l.timers) == 0 {
		l.mu.Unlock()
		return false
	}
	now := time.Now()
	due := l.dueBuf[:0]
	l.dueBuf = nil
	for len(l.timers) > 0 && !l.timers[0].due.After(now) {
		t := heap.Pop(&l.timers).(*TimerHandle)
		due = append(due, dueTimer{t, t.gen})
	}
	l.mu.Unlock()

	fired := false
	i := 0
	defer func() {
		if i < len(due) { // due[i]'s callback panicked: the timers after it stay due
			l.mu.Lock()
			for _, d := range due[i+1:] {
				if t := d.t; t.gen == d.gen && t.active && t.index < 0 {
					heap.Push(&l.timers, t)
				}
			}
			l.mu.Unlock()
		}
	}()
	for ; i < len(due); i++ {
		t, gen := due[i].t, due[i].gen
		l.mu.Lock()
		if t.gen != gen || !t.active {
			l.mu.Unlock()
			continue
		}
		next := t.due.Add(t.interval)
		if next.Before(now) {
			next = now.Add(t.interval)
		}
		t.due = next
		// Rescheduled before its callback runs, it queues behind the timers
		// already waiting for the same time (Qt's timerInsert).
		l.timerSeq++
		t.seq = l.timerSeq
		if t.firing {
			// Its callback restarted it and is still running (in a nested
			// loop): keep it scheduled, but do not deliver it recursively.
			heap.Push(&l.timers, t)
			l.mu.Unlock()
			continue
		}
		t.firing = true
		l.mu.Unlock()

		l.fire(t, gen)
		fired = true
	}
	clear(due)
	l.dueBuf = due[:0]
	return fired
}

// fire runs one timeout and requeues the timer unless its callback stopped or
// restarted it; the bookkeeping runs even if the callback panics.
func (l *Loop) fire(t *TimerHandle, gen uint64) {
	defer func() {
		l.mu.Lock()
		t.firing = false
		if t.active && t.gen == gen && t.index < 0 {
			heap.Push(&l.timers, t)
		}
		l.mu.Unlock()
	}()
	l.deliver(t.fn)
}

// timerHeap orders timers by due time, then by start order.
type timerHeap []*TimerHandle

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if !h[i].due.Equal(h[j].due) {
		return h[i].due.Before(h[j].due)
	}
	return h[i].seq < h[j].seq
}
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *timerHeap) Push(x any) {
	t := x.(*TimerHandle)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	t.index = -1
	return t
}
