package signals

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/qtgo/qtgo/eventloop"
)

// TimerType is Qt::TimerType; see eventloop.TimerType.
type TimerType = eventloop.TimerType

// Qt's timer types.
const (
	PreciseTimer    = eventloop.PreciseTimer
	CoarseTimer     = eventloop.CoarseTimer
	VeryCoarseTimer = eventloop.VeryCoarseTimer
)

// A Timer emits Timeout at intervals on its object's loop (QTimer). The
// interval defaults to 0 (time out once per loop iteration), the type to
// CoarseTimer. A single-shot timer stops itself before it emits. Unlike a
// QTimer, whose methods belong to its thread, a Timer's methods are safe
// from any goroutine; Timeout is always emitted on the timer's loop.
type Timer struct {
	Object
	// Timeout is emitted when the timer times out.
	Timeout Signal0

	mu         sync.Mutex
	h          *eventloop.TimerHandle
	interval   time.Duration
	singleShot bool
	typ        TimerType
	id         int
}

var timerIDs atomic.Int64

// NewTimer returns a stopped timer, a child of parent.
func NewTimer(parent AnyObject) *Timer {
	t := &Timer{typ: CoarseTimer, id: -1}
	Init(t, parent)
	t.onDelete = t.Stop
	t.onMove = t.moved
	return t
}

// Start starts or restarts the timer: a running timer is stopped and counts
// again from now. Start(d) sets the interval to d first (QTimer::start(msec)).
func (t *Timer) Start(interval ...time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(interval) > 0 {
		t.interval = interval[0]
	}
	t.startLocked()
}

func (t *Timer) startLocked() {
	// Each start registers a new handle, so that it takes the current timer
	// type (SetTimerType applies from the next start, even on a running
	// timer) and the timer's current loop.
	if t.h != nil {
		t.h.Stop()
	}
	t.h = t.loopOf().StartTimer(t.interval, t.typ, t.timeout)
	t.id = int(timerIDs.Add(1))
}

// timeout is the timer event.
func (t *Timer) timeout() {
	t.mu.Lock()
	if t.singleShot {
		t.stopLocked()
	}
	t.mu.Unlock()
	t.Timeout.Emit()
}

// Stop stops the timer; it does nothing if the timer is not running.
func (t *Timer) Stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stopLocked()
}

func (t *Timer) stopLocked() {
	if t.h != nil {
		t.h.Stop()
	}
	t.id = -1
}

// moved restarts an active timer on the loop the timer moved to.
func (t *Timer) moved(l *eventloop.Loop) {
	t.mu.Lock()
	defer t.mu.Unlock()
	active := t.h != nil && t.h.IsActive()
	if t.h != nil {
		t.h.Stop()
		t.h = nil
	}
	if active {
		t.startLocked()
	}
}

// SetInterval sets the interval; a running timer restarts with it.
func (t *Timer) SetInterval(d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.interval = d
	if t.h != nil && t.h.IsActive() {
		t.startLocked()
	}
}

// Interval returns the interval.
func (t *Timer) Interval() time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.interval
}

// IsActive reports whether the timer is running.
func (t *Timer) IsActive() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.h != nil && t.h.IsActive()
}

// RemainingTime returns the time left until the next timeout: -1ms when the
// timer is inactive, 0 when it is overdue (QTimer::remainingTimeAsDuration).
func (t *Timer) RemainingTime() time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.h == nil || !t.h.IsActive() {
		return -time.Millisecond
	}
	return t.h.RemainingTime()
}

// TimerId returns an id that changes at every start, or -1 when the timer is
// inactive (QTimer::timerId).
func (t *Timer) TimerId() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.h == nil || !t.h.IsActive() {
		return -1
	}
	return t.id
}

// SetSingleShot makes the timer fire once per start (true) or repeatedly.
func (t *Timer) SetSingleShot(singleShot bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.singleShot = singleShot
}

// IsSingleShot reports whether the timer is single-shot.
func (t *Timer) IsSingleShot() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.singleShot
}

// SetTimerType sets the accuracy; it applies from the next start.
func (t *Timer) SetTimerType(typ TimerType) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.typ = typ
	if t.h != nil && !t.h.IsActive() {
		t.h = nil
	}
}

// TimerType returns the timer's accuracy.
func (t *Timer) TimerType() TimerType {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.typ
}

// CallOnTimeout connects fn to Timeout (QTimer::callOnTimeout). With a nil
// context it is a direct connection; otherwise the connection runs fn on the
// context's loop by the given type and ends with the context.
func (t *Timer) CallOnTimeout(context AnyObject, fn func(), types ...ConnectionType) Connection {
	return t.Timeout.Connect(context, fn, types...)
}

// SingleShot calls fn once after d, on the loop of context (or, with a nil
// context, of the calling goroutine), unless context has been destroyed by
// then (QTimer::singleShot). A zero d posts fn as an event, so zero-delay
// calls run in the order they were made, FIFO with other posted events. The
// timer is precise below two seconds and coarse from there, as Qt's.
func SingleShot(d time.Duration, context AnyObject, fn func()) {
	var ctx *Object
	var l *eventloop.Loop
	if context != nil {
		ctx = objectOf(context)
		l = ctx.loopOf()
	} else {
		l = eventloop.Current()
	}
	call := func() {
		if ctx != nil && ctx.dead.Load() {
			return
		}
		fn()
	}
	if d <= 0 {
		var receiver any
		if ctx != nil {
			receiver = ctx
		}
		l.PostEvent(receiver, call, eventloop.NormalEventPriority)
		return
	}
	typ := PreciseTimer
	if d >= 2*time.Second {
		typ = CoarseTimer
	}
	var h *eventloop.TimerHandle
	h = l.NewTimer(typ, func() {
		h.Stop()
		call()
	})
	h.Start(d)
}
