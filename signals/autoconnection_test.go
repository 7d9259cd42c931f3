package signals_test

// Connection types across loops: AutoConnection's per-emission rule, direct,
// queued and blocking-queued delivery to another goroutine's loop
// (reference §1, §22).

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/qtgo/qtgo/eventloop"
	"github.com/qtgo/qtgo/signals"
)

// ssLoopKinds are the two ways a receiver can live on another goroutine.
var ssLoopKinds = []struct {
	name  string
	start func(t *testing.T) *eventloop.Loop
}{
	{"Thread", func(t *testing.T) *eventloop.Loop { return startThread(t).ThreadLoop() }},
	{"eventloop.New", func(t *testing.T) *eventloop.Loop { return startLoop(t) }},
}

// ssMoveTo moves obj to l and returns the id of the goroutine running l.
func ssMoveTo(t *testing.T, obj signals.AnyObject, l *eventloop.Loop) int64 {
	t.Helper()
	if !obj.AsObject().MoveToLoop(l) {
		t.Fatalf("MoveToLoop(%v) failed", l)
	}
	var gid int64
	if !signals.InvokeMethod(obj, func() { gid = goroutineID() }, signals.BlockingQueuedConnection) {
		t.Fatal("InvokeMethod failed")
	}
	return gid
}

// ssCall is what a slot running on some goroutine observed.
type ssCall struct {
	v         int
	gid       int64
	isCurrent bool // the receiver's loop is the calling goroutine's
	sender    signals.AnyObject
}

func TestAutoConnectionForeignEmitterWhileLoopBusy(t *testing.T) {
	t.Parallel()
	for _, kind := range ssLoopKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			l := kind.start(t)
			r := NewCounter(nil)
			loopGID := ssMoveTo(t, r, l)

			// Put r's loop in the middle of a slot.
			busy := NewCounter(nil)
			entered, release := make(chan struct{}), make(chan struct{})
			busy.ValueChanged.Connect(r, func(int) { close(entered); <-release })
			busy.ValueChanged.Emit(1)
			<-entered

			emitter := NewCounter(nil)
			var ran atomic.Bool
			calls := make(chan ssCall, 1)
			emitter.ValueChanged.Connect(r, func(v int) {
				ran.Store(true)
				calls <- ssCall{v, goroutineID(), l.IsCurrent(), r.Sender()}
			})
			ranInEmit := make(chan bool)
			go func() { // neither the sender's nor the receiver's goroutine
				emitter.ValueChanged.Emit(7)
				ranInEmit <- ran.Load()
			}()
			if <-ranInEmit {
				t.Errorf("the slot ran inside Emit on the foreign goroutine; want it queued to the receiver's loop")
			}
			close(release)
			c := <-calls
			if c.v != 7 {
				t.Errorf("slot argument = %d; want 7", c.v)
			}
			if c.gid != loopGID {
				t.Errorf("slot ran on goroutine %d; want the loop's goroutine %d", c.gid, loopGID)
			}
			if !c.isCurrent {
				t.Errorf("receiver loop IsCurrent() in the slot = false; want true")
			}
			if c.sender != signals.AnyObject(emitter) {
				t.Errorf("Sender() = %v; want the emitter", c.sender)
			}
		})
	}
}

func TestAutoConnectionOnReceiverLoopIsDirect(t *testing.T) {
	t.Parallel()
	t.Run("own goroutine", func(t *testing.T) {
		t.Parallel()
		loop := eventloop.Current()
		s, r := NewCounter(nil), NewCounter(nil)
		var got []ssCall
		s.ValueChanged.Connect(r, func(v int) {
			got = append(got, ssCall{v, goroutineID(), loop.IsCurrent(), r.Sender()})
		})
		s.ValueChanged.Emit(1)
		if len(got) != 1 {
			t.Fatalf("slot calls right after Emit = %d; want 1", len(got))
		}
		if loop.HasPendingEvents() {
			t.Errorf("HasPendingEvents() = true; want nothing queued")
		}
		if want := (ssCall{1, goroutineID(), true, s}); got[0] != want {
			t.Errorf("got %+v; want %+v", got[0], want)
		}
	})
	for _, kind := range ssLoopKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			l := kind.start(t)
			s, r := NewCounter(nil), NewCounter(nil) // s stays on the test's loop
			loopGID := ssMoveTo(t, r, l)
			var got []ssCall
			s.ValueChanged.Connect(r, func(v int) {
				got = append(got, ssCall{v, goroutineID(), l.IsCurrent(), r.Sender()})
			})
			var callsAfterEmit int
			signals.InvokeMethod(r, func() {
				s.ValueChanged.Emit(2) // on r's loop goroutine
				callsAfterEmit = len(got)
			}, signals.BlockingQueuedConnection)
			if callsAfterEmit != 1 {
				t.Fatalf("slot calls when Emit returned on the receiver's goroutine = %d; want 1 (direct)", callsAfterEmit)
			}
			if want := (ssCall{2, loopGID, true, s}); got[0] != want {
				t.Errorf("got %+v; want %+v", got[0], want)
			}
		})
	}
}

func TestAutoConnectionSenderAffinityIrrelevant(t *testing.T) {
	t.Parallel()
	loop := eventloop.Current()
	th := startThread(t)
	s, r := NewCounter(nil), NewCounter(nil)
	threadGID := ssMoveTo(t, s, th.ThreadLoop()) // the sender lives on the thread
	var got []ssCall
	s.ValueChanged.Connect(r, func(v int) {
		got = append(got, ssCall{v, goroutineID(), loop.IsCurrent(), r.Sender()})
	})

	// Emitted here, where the receiver lives: direct, although the sender
	// lives elsewhere.
	s.ValueChanged.Emit(1)
	if want := []ssCall{{1, goroutineID(), true, s}}; !slices.Equal(got, want) {
		t.Fatalf("emitting on the receiver's goroutine: got %+v; want %+v", got, want)
	}

	// Emitted on the sender's own goroutine: queued to the receiver.
	signals.InvokeMethod(s, func() { s.ValueChanged.Emit(2) }, signals.BlockingQueuedConnection)
	if len(got) != 1 {
		t.Fatalf("emitting on the sender's goroutine ran the slot there: got %+v", got)
	}
	loop.ProcessEvents(eventloop.AllEvents)
	if want := []ssCall{{1, goroutineID(), true, s}, {2, goroutineID(), true, s}}; !slices.Equal(got, want) {
		t.Errorf("after ProcessEvents: got %+v; want %+v", got, want)
	}
	if goroutineID() == threadGID {
		t.Fatal("test and thread share a goroutine")
	}
}

func TestAutoConnectionDecidedAtEachEmission(t *testing.T) {
	t.Parallel()
	th := startThread(t)
	s, r := NewCounter(nil), NewCounter(nil)
	calls := make(chan ssCall, 2)
	s.ValueChanged.Connect(r, func(v int) { calls <- ssCall{v: v, gid: goroutineID()} })

	s.ValueChanged.Emit(1)
	select {
	case c := <-calls:
		if c.gid != goroutineID() {
			t.Errorf("before the move: slot ran on goroutine %d; want the emitter's %d", c.gid, goroutineID())
		}
	default:
		t.Fatal("before the move: slot not called inside Emit")
	}

	threadGID := ssMoveTo(t, r, th.ThreadLoop())
	s.ValueChanged.Emit(2)
	if c := <-calls; c.v != 2 || c.gid != threadGID {
		t.Errorf("after the move: slot got %d on goroutine %d; want 2 on the thread's goroutine %d", c.v, c.gid, threadGID)
	}
}

func TestAutoConnectionConcurrentEmitters(t *testing.T) {
	t.Parallel()
	const emitters, perEmitter = 4, 250
	th := startThread(t)
	r := NewCounter(nil)
	threadGID := ssMoveTo(t, r, th.ThreadLoop())
	var sig signals.Signal2[int, int] // emitter, sequence number
	// Plain (unsynchronised) state: the race detector checks that every
	// slot call runs on the one goroutine of r's loop.
	count, wrongGoroutine, outOfOrder := 0, 0, 0
	last := make([]int, emitters)
	sig.Connect(r, func(e, n int) {
		count++
		if goroutineID() != threadGID {
			wrongGoroutine++
		}
		if n != last[e]+1 {
			outOfOrder++
		}
		last[e] = n
	})
	var wg sync.WaitGroup
	for e := range emitters {
		wg.Go(func() {
			for n := 1; n <= perEmitter; n++ {
				sig.Emit(e, n)
			}
		})
	}
	wg.Wait()
	// Every call is queued before this blocking one, so all have run.
	signals.InvokeMethod(r, func() {}, signals.BlockingQueuedConnection)
	if count != emitters*perEmitter {
		t.Errorf("slot calls = %d; want %d", count, emitters*perEmitter)
	}
	if wrongGoroutine != 0 {
		t.Errorf("%d slot calls ran off the receiver's loop goroutine; want 0", wrongGoroutine)
	}
	if outOfOrder != 0 {
		t.Errorf("%d calls out of each emitter's order; want 0 (FIFO)", outOfOrder)
	}
}

func TestDirectConnectionRunsOnEmittingGoroutine(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		connect func(s, r *Counter, slot func(int))
	}{
		{"DirectConnection", func(s, r *Counter, slot func(int)) {
			s.ValueChanged.Connect(r, slot, signals.DirectConnection)
		}},
		{"context-less", func(s, _ *Counter, slot func(int)) { s.ValueChanged.Connect(nil, slot) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			th := startThread(t)
			s, r := NewCounter(nil), NewCounter(nil)
			var got []int64
			tt.connect(s, r, func(int) { got = append(got, goroutineID()) })
			// Both objects live on the thread, the emission happens here.
			ssMoveTo(t, s, th.ThreadLoop())
			ssMoveTo(t, r, th.ThreadLoop())
			s.ValueChanged.Emit(1)
			if want := []int64{goroutineID()}; !slices.Equal(got, want) {
				t.Errorf("slot goroutines when Emit returned = %v; want %v (the emitter's)", got, want)
			}
		})
	}
}

func TestQueuedConnectionToAnotherLoop(t *testing.T) {
	t.Parallel()
	for _, kind := range ssLoopKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			const n = 100
			l := kind.start(t)
			s, r := NewCounter(nil), NewCounter(nil)
			loopGID := ssMoveTo(t, r, l)
			var got []int
			wrong := 0
			done := make(chan struct{})
			s.ValueChanged.Connect(r, func(v int) {
				got = append(got, v)
				if goroutineID() != loopGID {
					wrong++
				}
				if v == n-1 {
					close(done)
				}
			}, signals.QueuedConnection)
			for i := range n {
				s.ValueChanged.Emit(i)
			}
			<-done
			want := make([]int, n)
			for i := range want {
				want[i] = i
			}
			if !slices.Equal(got, want) {
				t.Errorf("got %v; want %v", got, want)
			}
			if wrong != 0 {
				t.Errorf("%d calls ran off the loop's goroutine", wrong)
			}
		})
	}
}

func TestBlockingQueuedConnection(t *testing.T) {
	t.Parallel()
	for _, kind := range ssLoopKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			l := kind.start(t)
			s, r := NewCounter(nil), NewCounter(nil)
			loopGID := ssMoveTo(t, r, l)
			// Plain variables: Emit must not return before the slot has
			// run (the race detector checks the ordering too).
			var last ssCall
			s.ValueChanged.Connect(r, func(v int) {
				last = ssCall{v, goroutineID(), l.IsCurrent(), r.Sender()}
			}, signals.BlockingQueuedConnection)
			for i := 1; i <= 3; i++ {
				s.ValueChanged.Emit(i)
				if want := (ssCall{i, loopGID, true, s}); last != want {
					t.Errorf("right after Emit(%d): slot saw %+v; want %+v", i, last, want)
				}
			}
		})
	}
}

func TestBlockingQueuedSingleShot(t *testing.T) {
	t.Parallel()
	th := startThread(t)
	s, r := NewCounter(nil), NewCounter(nil)
	ssMoveTo(t, r, th.ThreadLoop())
	var got []int
	c := s.ValueChanged.Connect(r, func(v int) { got = append(got, v) },
		signals.BlockingQueuedConnection, signals.SingleShotConnection)
	s.ValueChanged.Emit(1)
	if c.Connected() {
		t.Errorf("Connected() = true after the single-shot fired; want false")
	}
	s.ValueChanged.Emit(2)
	signals.InvokeMethod(r, func() {}, signals.BlockingQueuedConnection)
	if want := []int{1}; !slices.Equal(got, want) {
		t.Errorf("got %v; want %v", got, want)
	}
}

func TestBlockingQueuedOnOwnLoopPanics(t *testing.T) {
	t.Parallel()
	check := func(t *testing.T, p any, called bool) {
		t.Helper()
		if p == nil {
			t.Fatal("Emit of a BlockingQueuedConnection on the receiver's own loop did not panic")
		}
		if msg := fmt.Sprint(p); !strings.Contains(strings.ToLower(msg), "dead lock") {
			t.Errorf("panic message %q does not mention a dead lock", msg)
		}
		if called {
			t.Errorf("slot was called")
		}
	}
	t.Run("test goroutine", func(t *testing.T) {
		t.Parallel()
		loop := eventloop.Current()
		s, r := NewCounter(nil), NewCounter(nil)
		called := false
		s.ValueChanged.Connect(r, func(int) { called = true }, signals.BlockingQueuedConnection)
		p := panicOf(func() { s.ValueChanged.Emit(1) })
		loop.ProcessEvents(eventloop.AllEvents)
		check(t, p, called)
	})
	t.Run("thread", func(t *testing.T) {
		t.Parallel()
		th := startThread(t)
		s, r := NewCounter(nil), NewCounter(nil)
		ssMoveTo(t, r, th.ThreadLoop())
		called := false
		s.ValueChanged.Connect(r, func(int) { called = true }, signals.BlockingQueuedConnection)
		var p any
		signals.InvokeMethod(r, func() {
			p = panicOf(func() { s.ValueChanged.Emit(1) })
			r.Loop().ProcessEvents(eventloop.AllEvents)
		}, signals.BlockingQueuedConnection)
		check(t, p, called)
	})
}

func TestSingleShotQueuedConcurrentEmitters(t *testing.T) {
	t.Parallel()
	th := startThread(t)
	s, r := NewCounter(nil), NewCounter(nil)
	ssMoveTo(t, r, th.ThreadLoop())
	calls := 0
	c := s.ValueChanged.Connect(r, func(int) { calls++ }, signals.SingleShotConnection)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			<-start
			for range 50 {
				s.ValueChanged.Emit(1)
			}
		})
	}
	close(start)
	wg.Wait()
	signals.InvokeMethod(r, func() {}, signals.BlockingQueuedConnection)
	if calls != 1 {
		t.Errorf("single-shot slot calls = %d; want 1", calls)
	}
	if c.Connected() {
		t.Errorf("Connected() = true; want false")
	}
}

// TestQueuedCallsFollowReceiverMovedConcurrently moves a receiver back and
// forth between two loops while other goroutines queue calls to it: every
// call must run on the loop the receiver lives in when it runs (Qt posts to
// the receiver's thread under a lock that moveToThread also takes).
func TestQueuedCallsFollowReceiverMovedConcurrently(t *testing.T) {
	t.Parallel()
	const moves = 300
	loops := []*eventloop.Loop{startLoop(t), startLoop(t)}
	r := NewCounter(nil)
	ssMoveTo(t, r, loops[0])
	var wrong, queued, blocking, invoked atomic.Int64
	inFlight := make(chan struct{}, 32) // bounds the queued calls not yet run
	check := func(n *atomic.Int64) {
		n.Add(1)
		if !r.Loop().IsCurrent() {
			wrong.Add(1)
		}
	}
	var sig, blockingSig signals.Signal[int]
	sig.Connect(r, func(int) { check(&queued); <-inFlight }, signals.QueuedConnection)
	blockingSig.Connect(r, func(int) { check(&blocking) }, signals.BlockingQueuedConnection)

	stop := make(chan struct{})
	var wg sync.WaitGroup
	emitters := []func(){
		func() {
			inFlight <- struct{}{}
			sig.Emit(0)
		},
		func() {
			inFlight <- struct{}{}
			signals.InvokeMethod(r, func() { check(&invoked); <-inFlight }, signals.QueuedConnection)
		},
		func() {
			before := blocking.Load()
			blockingSig.Emit(1)
			if blocking.Load() == before {
				t.Error("a BlockingQueuedConnection Emit returned before its slot ran")
			}
		},
	}
	for _, emit := range emitters {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
					emit()
				}
			}
		})
	}
	for i := range moves {
		to := loops[(i+1)%2]
		signals.InvokeMethod(r, func() { r.MoveToLoop(to) }, signals.BlockingQueuedConnection)
	}
	close(stop)
	wg.Wait()
	// Wait for the calls still queued, forwarded ones included.
	for range cap(inFlight) {
		inFlight <- struct{}{}
	}
	if wrong.Load() != 0 {
		t.Errorf("%d of %d queued, %d blocking and %d invoked calls ran off the receiver's loop; want 0",
			wrong.Load(), queued.Load(), blocking.Load(), invoked.Load())
	}
}
