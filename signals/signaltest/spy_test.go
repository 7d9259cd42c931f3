package signaltest_test

import (
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/qtgo/qtgo/eventloop"
	"github.com/qtgo/qtgo/signals"
	"github.com/qtgo/qtgo/signals/signaltest"
)

type emitter struct {
	signals.Object
	Fired   signals.Signal0
	Value   signals.Signal[int]
	Pair    signals.Signal2[string, int]
	Triple  signals.Signal3[string, int, bool]
	deleted bool
}

func newEmitter() *emitter {
	e := &emitter{}
	signals.Init(e, nil)
	e.Destroyed.Connect(nil, func(signals.AnyObject) { e.deleted = true })
	return e
}

func TestSpyRecordsInOrder(t *testing.T) {
	t.Parallel()
	e := newEmitter()
	s0 := signaltest.NewSpy0(&e.Fired)
	s1 := signaltest.NewSpy(&e.Value)
	s2 := signaltest.NewSpy2(&e.Pair)
	s3 := signaltest.NewSpy3(&e.Triple)
	for i := range 3 {
		e.Fired.Emit()
		e.Value.Emit(i * 10)
		e.Pair.Emit(fmt.Sprint("p", i), i)
		e.Triple.Emit("t", i, i%2 == 0)
	}
	if got := s0.Count(); got != 3 {
		t.Fatalf("Spy0.Count() = %d; want 3", got)
	}
	for i := range 3 {
		if got := s1.At(i); got != i*10 {
			t.Errorf("Spy.At(%d) = %d; want %d", i, got, i*10)
		}
		if a, b := s2.At(i); a != fmt.Sprint("p", i) || b != i {
			t.Errorf("Spy2.At(%d) = %q, %d; want p%d, %d", i, a, b, i, i)
		}
		if a, b, c := s3.At(i); a != "t" || b != i || c != (i%2 == 0) {
			t.Errorf("Spy3.At(%d) = %q, %d, %v", i, a, b, c)
		}
	}
	if got := s1.TakeFirst(); got != 0 {
		t.Errorf("TakeFirst() = %d; want 0", got)
	}
	if got := s1.Count(); got != 2 {
		t.Errorf("Count() after TakeFirst = %d; want 2", got)
	}
	if a, b := s2.TakeFirst(); a != "p0" || b != 0 {
		t.Errorf("Spy2.TakeFirst() = %q, %d; want p0, 0", a, b)
	}
	s0.TakeFirst()
	if got := s0.Count(); got != 2 {
		t.Errorf("Spy0.Count() after TakeFirst = %d; want 2", got)
	}
	s1.Clear()
	if got := s1.Count(); got != 0 {
		t.Errorf("Count() after Clear = %d; want 0", got)
	}
}

func TestSpyCopiesArgumentsAtEmit(t *testing.T) {
	t.Parallel()
	var sig signals.Signal[[2]int]
	spy := signaltest.NewSpy(&sig)
	v := [2]int{1, 2}
	sig.Emit(v)
	v[0] = 99
	if got := spy.At(0); got != [2]int{1, 2} {
		t.Fatalf("At(0) = %v; want [1 2]", got)
	}
}

func TestSpyCloseStopsRecording(t *testing.T) {
	t.Parallel()
	var sig signals.Signal0
	spy := signaltest.NewSpy0(&sig)
	if !spy.IsValid() {
		t.Fatal("IsValid() = false; want true")
	}
	sig.Emit()
	spy.Close()
	sig.Emit()
	if spy.IsValid() || spy.Count() != 1 {
		t.Fatalf("after Close: IsValid %v, Count %d; want false, 1", spy.IsValid(), spy.Count())
	}
}

func TestSpyWaitForQueuedEmission(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEmitter()
		spy := signaltest.NewSpy(&e.Value)
		start := time.Now()
		signals.SingleShot(300*time.Millisecond, e, func() { e.Value.Emit(7) })
		if !spy.Wait(time.Second) {
			t.Fatal("Wait() = false; want true")
		}
		if got := time.Since(start); got != 300*time.Millisecond {
			t.Errorf("Wait returned after %v; want 300ms", got)
		}
		if got := spy.At(0); got != 7 {
			t.Errorf("At(0) = %d; want 7", got)
		}
	})
}

func TestSpyWaitTimesOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEmitter()
		spy := signaltest.NewSpy0(&e.Fired)
		e.Fired.Emit() // before Wait: does not count
		start := time.Now()
		if spy.Wait(2 * time.Second) {
			t.Fatal("Wait() = true; want false (the only emission came before Wait)")
		}
		if got := time.Since(start); got != 2*time.Second {
			t.Errorf("Wait gave up after %v; want 2s", got)
		}
		if got := spy.Count(); got != 1 {
			t.Errorf("Count() = %d; want 1", got)
		}
	})
}

func TestSpyWaitForEmissionFromAnotherGoroutine(t *testing.T) {
	t.Parallel()
	var sig signals.Signal[string]
	spy := signaltest.NewSpy(&sig)
	thread := signals.NewThread(nil)
	worker := newEmitter()
	worker.MoveToThread(thread)
	thread.Start()
	defer func() { thread.Quit(); thread.Wait() }()
	signals.InvokeMethod(worker, func() { sig.Emit("from thread") }, signals.QueuedConnection)
	if !spy.Wait(10 * time.Second) {
		t.Fatal("Wait() = false; want true")
	}
	if got := spy.At(0); got != "from thread" {
		t.Errorf("At(0) = %q", got)
	}
}

func TestSpyWaitRunsDeferredDeletes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEmitter()
		victim := newEmitter()
		victim.DeleteLater() // before any loop runs: level 0
		spy := signaltest.NewSpy0(&e.Fired)
		signals.SingleShot(time.Millisecond, e, e.Fired.Emit)
		if !spy.Wait(time.Second) {
			t.Fatal("Wait() = false")
		}
		if !victim.deleted {
			t.Error("object DeleteLater'd before Wait was not deleted by it")
		}
	})
}

func TestWaitRunsTimersAndPostedEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := eventloop.Current()
		var got []string
		l.Post(func() { got = append(got, "posted") })
		signals.SingleShot(50*time.Millisecond, nil, func() { got = append(got, "50ms") })
		signals.SingleShot(500*time.Millisecond, nil, func() { got = append(got, "500ms") })
		signaltest.Wait(0)
		if fmt.Sprint(got) != "[posted]" {
			t.Fatalf("after Wait(0): %v; want [posted]", got)
		}
		start := time.Now()
		signaltest.Wait(100 * time.Millisecond)
		if fmt.Sprint(got) != "[posted 50ms]" {
			t.Fatalf("after Wait(100ms): %v; want [posted 50ms]", got)
		}
		if d := time.Since(start); d != 100*time.Millisecond {
			t.Errorf("Wait(100ms) took %v", d)
		}
	})
}

func TestWaitForReturnsAtOnceWhenTrue(t *testing.T) {
	t.Parallel()
	ran := false
	eventloop.Current().Post(func() { ran = true })
	if !signaltest.WaitFor(func() bool { return true }, time.Second) {
		t.Fatal("WaitFor(true) = false")
	}
	if ran {
		t.Fatal("WaitFor with a true predicate processed events; Qt returns without spinning")
	}
	signaltest.Wait(0)
}

func TestWaitForPolls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := 0
		timer := signals.NewTimer(nil)
		timer.Timeout.Connect(timer, func() { n++ })
		timer.Start(100 * time.Millisecond)
		defer timer.Stop()
		start := time.Now()
		if !signaltest.WaitFor(func() bool { return n == 3 }, time.Second) {
			t.Fatalf("WaitFor = false; n = %d", n)
		}
		if d := time.Since(start); d != 300*time.Millisecond {
			t.Errorf("WaitFor returned after %v; want 300ms", d)
		}
		start = time.Now()
		if signaltest.WaitFor(func() bool { return n < 0 }, 250*time.Millisecond) {
			t.Fatal("WaitFor(never) = true")
		}
		if d := time.Since(start); d < 250*time.Millisecond || d > 260*time.Millisecond {
			t.Errorf("WaitFor(never, 250ms) gave up after %v", d)
		}
	})
}

// fatalTB records Fatalf and stops the helper like testing.T does.
type fatalTB struct {
	testing.TB
	msg string
}

type fatalStop struct{}

func (f *fatalTB) Helper() {}
func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	panic(fatalStop{})
}

func runTB(t *testing.T, fn func(tb testing.TB)) (msg string) {
	tb := &fatalTB{TB: t}
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(fatalStop); !ok {
				panic(r)
			}
			msg = tb.msg
		}
	}()
	fn(tb)
	return ""
}

func TestTryVerifyAndTryCompare(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := 0
		signals.SingleShot(200*time.Millisecond, nil, func() { n = 1 })
		start := time.Now()
		if msg := runTB(t, func(tb testing.TB) { signaltest.TryVerify(tb, func() bool { return n == 1 }) }); msg != "" {
			t.Fatalf("TryVerify failed: %s", msg)
		}
		if d := time.Since(start); d < 200*time.Millisecond || d > 250*time.Millisecond {
			t.Errorf("TryVerify returned after %v; want 200ms plus at most one 50ms step", d)
		}

		signals.SingleShot(300*time.Millisecond, nil, func() { n = 2 })
		msg := runTB(t, func(tb testing.TB) {
			signaltest.TryCompare(tb, func() int { return n }, 2, 200*time.Millisecond)
		})
		if msg == "" {
			t.Fatal("TryCompare passed although the value came after the timeout")
		}
		if want := "should be increased"; !strings.Contains(msg, want) {
			t.Errorf("message %q does not say %q", msg, want)
		}

		msg = runTB(t, func(tb testing.TB) {
			signaltest.TryCompare(tb, func() int { return n }, 5, 100*time.Millisecond)
		})
		if want := "got 2; want 5"; !strings.Contains(msg, want) {
			t.Errorf("message %q does not say %q", msg, want)
		}
	})
}

func TestReceive(t *testing.T) {
	ch := make(chan int, 1)
	if v, ok := signaltest.Receive(ch, 30*time.Millisecond); ok || v != 0 {
		t.Fatalf("Receive on an empty channel = %d, %v; want 0, false after the timeout", v, ok)
	}
	// The value is sent by a queued call: it only comes if Receive runs the
	// loop.
	signals.InvokeMethod(newEmitter(), func() { go func() { ch <- 7 }() }, signals.QueuedConnection)
	if v, ok := signaltest.Receive(ch, 5*time.Second); !ok || v != 7 {
		t.Fatalf("Receive = %d, %v; want 7, true (the loop must run meanwhile)", v, ok)
	}
	close(ch)
	if v, ok := signaltest.Receive(ch, time.Second); !ok || v != 0 {
		t.Fatalf("Receive on a closed channel = %d, %v; want 0, true", v, ok)
	}
}
