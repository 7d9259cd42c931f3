package signaltest

import (
	"sync"
	"time"

	"github.com/qtgo/qtgo/eventloop"
	"github.com/qtgo/qtgo/signals"
)

// DefaultTimeout is Qt's default for QSignalSpy::wait and the QTRY_ macros.
const DefaultTimeout = 5 * time.Second

// spy records emissions of one signal; R is one emission's arguments.
type spy[R any] struct {
	mu      sync.Mutex
	records []R
	waiting []*waiter
	conn    signals.Connection
}

type waiter struct {
	loop *eventloop.Loop
	el   *eventloop.EventLoop
}

func (s *spy[R]) record(r R) {
	s.mu.Lock()
	s.records = append(s.records, r)
	waiting := s.waiting
	s.mu.Unlock()
	for _, w := range waiting {
		if w.loop.IsCurrent() {
			w.el.Quit()
		} else {
			// Posted, so that it runs inside the waiter's Exec even if the
			// emission raced with its start.
			w.loop.Post(w.el.Quit)
		}
	}
}

// Count returns how many emissions have been recorded (QSignalSpy::count).
func (s *spy[R]) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.records)
}

// IsValid reports whether the spy is connected to a signal.
func (s *spy[R]) IsValid() bool { return s.conn.Connected() }

// Clear forgets the recorded emissions.
func (s *spy[R]) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records = nil
}

// Close disconnects the spy from its signal; it records nothing afterwards.
func (s *spy[R]) Close() { s.conn.Disconnect() }

func (s *spy[R]) at(i int) R {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.records[i]
}

func (s *spy[R]) takeFirst() R {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.records[0]
	s.records = s.records[1:]
	return r
}

// Wait runs the calling goroutine's event loop until the signal is emitted
// again or timeout passes, and reports whether it was (QSignalSpy::wait).
// Emissions recorded before the call do not count. Queued calls, timers and
// deferred deletes are processed meanwhile, as in a nested Qt loop. The
// signal may be emitted on any goroutine.
func (s *spy[R]) Wait(timeout time.Duration) bool {
	l := eventloop.Current()
	w := &waiter{loop: l, el: l.NewEventLoop()}
	s.mu.Lock()
	before := len(s.records)
	s.waiting = append(s.waiting, w)
	s.mu.Unlock()

	t := l.StartTimer(timeout, eventloop.PreciseTimer, w.el.Quit)
	w.el.Exec()
	t.Stop()

	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.waiting {
		if x == w {
			s.waiting = append(s.waiting[:i], s.waiting[i+1:]...)
			break
		}
	}
	return len(s.records) > before
}

// Spy records the emissions of a Signal[T] (QSignalSpy). It is safe for
// concurrent use: the signal may be emitted on any goroutine.
type Spy[T any] struct{ spy[T] }

// NewSpy starts recording sig's emissions. It connects directly, so each
// emission is recorded on the emitting goroutine at emit time, with its
// argument copied.
func NewSpy[T any](sig *signals.Signal[T]) *Spy[T] {
	s := &Spy[T]{}
	s.conn = sig.Connect(nil, s.record, signals.DirectConnection)
	return s
}

// At returns the argument of the i-th recorded emission.
func (s *Spy[T]) At(i int) T { return s.at(i) }

// TakeFirst removes and returns the argument of the oldest emission. It
// panics if there is none.
func (s *Spy[T]) TakeFirst() T { return s.takeFirst() }

// Spy0 records the emissions of a Signal0.
type Spy0 struct{ spy[struct{}] }

// NewSpy0 starts recording sig's emissions.
func NewSpy0(sig *signals.Signal0) *Spy0 {
	s := &Spy0{}
	s.conn = sig.Connect(nil, func() { s.record(struct{}{}) }, signals.DirectConnection)
	return s
}

// TakeFirst forgets the oldest emission. It panics if there is none.
func (s *Spy0) TakeFirst() { s.takeFirst() }

// Spy2 records the emissions of a Signal2.
type Spy2[A, B any] struct{ spy[args2[A, B]] }

type args2[A, B any] struct {
	a A
	b B
}

// NewSpy2 starts recording sig's emissions.
func NewSpy2[A, B any](sig *signals.Signal2[A, B]) *Spy2[A, B] {
	s := &Spy2[A, B]{}
	s.conn = sig.Connect(nil, func(a A, b B) { s.record(args2[A, B]{a, b}) }, signals.DirectConnection)
	return s
}

// At returns the arguments of the i-th recorded emission.
func (s *Spy2[A, B]) At(i int) (A, B) {
	r := s.at(i)
	return r.a, r.b
}

// TakeFirst removes and returns the arguments of the oldest emission.
func (s *Spy2[A, B]) TakeFirst() (A, B) {
	r := s.takeFirst()
	return r.a, r.b
}

// Spy3 records the emissions of a Signal3.
type Spy3[A, B, C any] struct{ spy[args3[A, B, C]] }

type args3[A, B, C any] struct {
	a A
	b B
	c C
}

// NewSpy3 starts recording sig's emissions.
func NewSpy3[A, B, C any](sig *signals.Signal3[A, B, C]) *Spy3[A, B, C] {
	s := &Spy3[A, B, C]{}
	s.conn = sig.Connect(nil, func(a A, b B, c C) { s.record(args3[A, B, C]{a, b, c}) }, signals.DirectConnection)
	return s
}

// At returns the arguments of the i-th recorded emission.
func (s *Spy3[A, B, C]) At(i int) (A, B, C) {
	r := s.at(i)
	return r.a, r.b, r.c
}

// TakeFirst removes and returns the arguments of the oldest emission.
func (s *Spy3[A, B, C]) TakeFirst() (A, B, C) {
	r := s.takeFirst()
	return r.a, r.b, r.c
}
