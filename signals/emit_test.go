package signals_test

// Emission: arguments of every signal type, ownerless signals,
// signal-to-signal connections, recursion, objects deleted during an
// emission, panicking slots, and queued delivery (reference §1-§3).

import (
	"fmt"
	"slices"
	"testing"

	"github.com/qtgo/qtgo/eventloop"
	"github.com/qtgo/qtgo/signals"
)

// ssMulti has one signal of each type.
type ssMulti struct {
	signals.Object
	S0 signals.Signal0
	S1 signals.Signal[string]
	S2 signals.Signal2[int, string]
	S3 signals.Signal3[int, string, []byte]
}

func ssNewMulti(parent signals.AnyObject) *ssMulti {
	m := &ssMulti{}
	signals.Init(m, parent)
	return m
}

func TestEmitArgumentsOfEachSignalType(t *testing.T) {
	t.Parallel()
	for _, typ := range []signals.ConnectionType{signals.AutoConnection, signals.QueuedConnection} {
		t.Run(typ.String(), func(t *testing.T) {
			t.Parallel()
			loop := eventloop.Current()
			m, r := ssNewMulti(nil), NewCounter(nil)
			var got []string
			add := func(format string, args ...any) {
				got = append(got, fmt.Sprintf(format, args...))
				if s := r.Sender(); s != signals.AnyObject(m) {
					t.Errorf("Sender() in slot %q = %v; want the *ssMulti", got[len(got)-1], s)
				}
			}
			m.S0.Connect(r, func() { add("S0()") }, typ)
			m.S1.Connect(r, func(a string) { add("S1(%q)", a) }, typ)
			m.S2.Connect(r, func(a int, b string) { add("S2(%d, %q)", a, b) }, typ)
			m.S3.Connect(r, func(a int, b string, c []byte) { add("S3(%d, %q, %q)", a, b, c) }, typ)

			m.S3.Emit(3, "three", []byte{'x', 'y'})
			m.S2.Emit(-2, "")
			m.S1.Emit("one")
			m.S0.Emit()
			m.S1.Emit("")
			loop.ProcessEvents(eventloop.AllEvents)
			want := []string{`S3(3, "three", "xy")`, `S2(-2, "")`, `S1("one")`, `S0()`, `S1("")`}
			if !slices.Equal(got, want) {
				t.Errorf("got %v; want %v", got, want)
			}
		})
	}
}

func TestZeroValueSignals(t *testing.T) {
	t.Parallel()
	loop := eventloop.Current()
	// Signals that belong to no object: a plain struct and local variables.
	var plain struct {
		Changed signals.Signal[int]
	}
	var s0 signals.Signal0
	var s2 signals.Signal2[string, bool]
	var s3 signals.Signal3[int, int, int]
	r := NewCounter(nil)

	var got []string
	var senders []signals.AnyObject
	if plain.Changed.IsConnected() {
		t.Errorf("zero signal: IsConnected() = true; want false")
	}
	plain.Changed.Emit(0) // no connections: nothing happens
	plain.Changed.Connect(nil, func(v int) { got = append(got, fmt.Sprint("nil ctx ", v)) })
	plain.Changed.Connect(r, func(v int) {
		got = append(got, fmt.Sprint("ctx ", v))
		senders = append(senders, r.Sender())
	})
	plain.Changed.Connect(r, func(v int) { got = append(got, fmt.Sprint("queued ", v)) }, signals.QueuedConnection)
	s0.Connect(nil, func() { got = append(got, "s0") })
	s2.Connect(r, func(a string, b bool) { got = append(got, fmt.Sprint("s2 ", a, b)) })
	s3.Connect(nil, func(a, b, c int) { got = append(got, fmt.Sprint("s3 ", a, b, c)) })

	plain.Changed.Emit(7)
	s0.Emit()
	s2.Emit("x", true)
	s3.Emit(1, 2, 3)
	if want := []string{"nil ctx 7", "ctx 7", "s0", "s2 xtrue", "s3 1 2 3"}; !slices.Equal(got, want) {
		t.Errorf("direct calls: got %v; want %v", got, want)
	}
	loop.ProcessEvents(eventloop.AllEvents)
	if want := "queued 7"; len(got) != 6 || got[5] != want {
		t.Errorf("after ProcessEvents: got %v; want %q last", got, want)
	}
	if len(senders) != 1 || senders[0] != nil {
		t.Errorf("Sender() in a slot of an ownerless signal = %v; want [<nil>]", senders)
	}
	if !plain.Changed.IsConnected() {
		t.Errorf("IsConnected() = false; want true")
	}
	if !plain.Changed.Disconnect(nil) || plain.Changed.IsConnected() {
		t.Errorf("Disconnect(nil) did not disconnect everything")
	}

	// The context's destruction still ends the connection.
	got = nil
	s2.Emit("y", false)
	r.Delete()
	s2.Emit("z", false)
	if want := []string{"s2 yfalse"}; !slices.Equal(got, want) {
		t.Errorf("context deleted: got %v; want %v", got, want)
	}
}

func TestSignalToSignal(t *testing.T) {
	t.Parallel()
	x, y, r := NewCounter(nil), NewCounter(nil), NewCounter(nil)
	fwd := x.ValueChanged.Connect(y, y.ValueChanged.Emit)
	var got []int
	var senders []signals.AnyObject
	y.ValueChanged.Connect(r, func(v int) {
		got = append(got, v)
		senders = append(senders, r.Sender())
	})
	x.ValueChanged.Emit(4)
	x.SetValue(5)
	if want := []int{4, 5}; !slices.Equal(got, want) {
		t.Errorf("got %v; want %v", got, want)
	}
	for i, s := range senders {
		if s != signals.AnyObject(y) {
			t.Errorf("Sender() in the slot of the forwarded signal (call %d) = %v; want y", i, s)
		}
	}
	// Blocking the forwarding signal's owner stops the forwarded emission.
	y.BlockSignals(true)
	x.ValueChanged.Emit(6)
	y.BlockSignals(false)
	fwd.Disconnect()
	x.ValueChanged.Emit(7)
	if want := []int{4, 5}; !slices.Equal(got, want) {
		t.Errorf("after blocking y and disconnecting: got %v; want %v", got, want)
	}
}

func TestEmitRecursion(t *testing.T) {
	t.Parallel()
	s, r := NewCounter(nil), NewCounter(nil)
	var got []string
	rec := ssRecorder(&got)
	var h3 signals.Connection
	s.ValueChanged.Connect(r, func(v int) {
		rec("1")(v)
		if v == 0 {
			s.ValueChanged.Emit(1) // a complete nested emission
		}
	})
	s.ValueChanged.Connect(r, func(v int) {
		rec("2")(v)
		if v == 1 {
			h3.Disconnect()                     // honoured by the outer emission too
			s.ValueChanged.Connect(r, rec("4")) // called by neither emission
		}
	})
	h3 = s.ValueChanged.Connect(r, rec("3"))

	s.ValueChanged.Emit(0)
	if want := []string{"1:0", "1:1", "2:1", "2:0"}; !slices.Equal(got, want) {
		t.Errorf("got %v; want %v", got, want)
	}
	got = nil
	s.ValueChanged.Emit(2)
	if want := []string{"1:2", "2:2", "4:2"}; !slices.Equal(got, want) {
		t.Errorf("next emission: got %v; want %v", got, want)
	}
}

func TestEmitReceiverDeletedDuringEmission(t *testing.T) {
	t.Parallel()
	loop := eventloop.Current()
	s, r1, r2 := NewCounter(nil), NewCounter(nil), NewCounter(nil)
	child := NewCounter(r2)
	var got []string
	rec := ssRecorder(&got)
	s.ValueChanged.Connect(r1, func(v int) {
		rec("a")(v)
		r2.Delete()
	})
	s.ValueChanged.Connect(r2, rec("b"))
	s.ValueChanged.Connect(r1, rec("c"))
	s.ValueChanged.Connect(r2, rec("d"), signals.QueuedConnection)
	s.ValueChanged.Connect(child, rec("e")) // deleted with its parent
	s.ValueChanged.Connect(r1, rec("f"))

	s.ValueChanged.Emit(1)
	loop.ProcessEvents(eventloop.AllEvents)
	if want := []string{"a:1", "c:1", "f:1"}; !slices.Equal(got, want) {
		t.Errorf("got %v; want %v", got, want)
	}
	if !r2.IsDeleted() || !child.IsDeleted() {
		t.Errorf("IsDeleted() = %v, %v; want true, true", r2.IsDeleted(), child.IsDeleted())
	}
}

func TestEmitSenderDeletedDuringEmission(t *testing.T) {
	t.Parallel()
	loop := eventloop.Current()
	s, r := NewCounter(nil), NewCounter(nil)
	var got []string
	rec := ssRecorder(&got)
	s.Destroyed.Connect(r, func(o signals.AnyObject) {
		got = append(got, "destroyed")
		if o != signals.AnyObject(s) {
			t.Errorf("Destroyed argument = %v; want the sender", o)
		}
	})
	s.ValueChanged.Connect(r, func(v int) {
		rec("a")(v)
		s.Delete()
	})
	s.ValueChanged.Connect(r, rec("b"))
	s.ValueChanged.Connect(nil, rec("c"))
	s.ValueChanged.Connect(r, rec("d"), signals.QueuedConnection)

	s.ValueChanged.Emit(1)
	loop.ProcessEvents(eventloop.AllEvents)
	if want := []string{"a:1", "destroyed"}; !slices.Equal(got, want) {
		t.Errorf("got %v; want %v", got, want)
	}
	// Emitting on the destroyed sender does nothing.
	s.ValueChanged.Emit(2)
	loop.ProcessEvents(eventloop.AllEvents)
	if len(got) != 2 {
		t.Errorf("emitting after the sender's deletion: got %v", got)
	}
}

func TestEmitPanickingSlot(t *testing.T) {
	t.Parallel()
	s, r := NewCounter(nil), NewCounter(nil)
	var got []string
	rec := ssRecorder(&got)
	s.ValueChanged.Connect(r, rec("a"))
	s.ValueChanged.Connect(r, func(v int) {
		rec("p")(v)
		if v == 1 {
			panic("boom")
		}
	})
	s.ValueChanged.Connect(r, rec("c"))

	if p := panicOf(func() { s.ValueChanged.Emit(1) }); p != "boom" {
		t.Errorf("Emit panicked with %v; want boom", p)
	}
	if want := []string{"a:1", "p:1"}; !slices.Equal(got, want) {
		t.Errorf("got %v; want %v (slots after the panicking one are not called)", got, want)
	}
	if s := r.Sender(); s != nil {
		t.Errorf("Sender() after the panic = %v; want nil", s)
	}
	got = nil
	s.ValueChanged.Emit(2)
	if want := []string{"a:2", "p:2", "c:2"}; !slices.Equal(got, want) {
		t.Errorf("emission after the panic: got %v; want %v", got, want)
	}
}

func TestEmitPanicInNestedEmissionRestoresSender(t *testing.T) {
	t.Parallel()
	a, b, r := NewCounter(nil), NewCounter(nil), NewCounter(nil)
	var inner, outer signals.AnyObject
	a.ValueChanged.Connect(r, func(int) {
		p := panicOf(func() { b.ValueChanged.Emit(0) })
		if p != "inner" {
			t.Errorf("nested Emit panicked with %v; want inner", p)
		}
		outer = r.Sender()
	})
	b.ValueChanged.Connect(r, func(int) {
		inner = r.Sender()
		panic("inner")
	})
	a.ValueChanged.Emit(1)
	if inner != signals.AnyObject(b) || outer != signals.AnyObject(a) {
		t.Errorf("Sender() inner, outer = %v, %v; want b, a", inner, outer)
	}
}

func TestQueuedNotCalledUntilLoopRuns(t *testing.T) {
	t.Parallel()
	loop := eventloop.Current()
	s, r := NewCounter(nil), NewCounter(nil)
	var got []string
	rec := ssRecorder(&got)
	s.ValueChanged.Connect(r, rec("d1"))
	s.ValueChanged.Connect(r, rec("q1"), signals.QueuedConnection)
	s.ValueChanged.Connect(r, rec("d2"), signals.DirectConnection)
	s.ValueChanged.Connect(r, rec("q2"), signals.QueuedConnection)
	s.ValueChanged.Emit(1)
	if want := []string{"d1:1", "d2:1"}; !slices.Equal(got, want) {
		t.Fatalf("right after Emit: got %v; want %v", got, want)
	}
	if !loop.HasPendingEvents() {
		t.Errorf("HasPendingEvents() = false after a queued emission; want true")
	}
	if !loop.ProcessEvents(eventloop.AllEvents) {
		t.Errorf("ProcessEvents() = false; want true")
	}
	if want := []string{"d1:1", "d2:1", "q1:1", "q2:1"}; !slices.Equal(got, want) {
		t.Errorf("after ProcessEvents: got %v; want %v", got, want)
	}
}

func TestQueuedArgumentsCopiedAtEmit(t *testing.T) {
	t.Parallel()
	loop := eventloop.Current()
	type point struct {
		X, Y int
		Tags [2]string
	}
	var sig signals.Signal2[point, [3]int]
	r := NewCounter(nil)
	var got []string
	sig.Connect(r, func(p point, a [3]int) { got = append(got, fmt.Sprint(p, a)) }, signals.QueuedConnection)

	p := point{1, 2, [2]string{"a", "b"}}
	arr := [3]int{1, 2, 3}
	sig.Emit(p, arr)
	p.X, p.Tags[0], arr[0] = 99, "z", 99
	sig.Emit(p, arr)
	loop.ProcessEvents(eventloop.AllEvents)
	want := []string{"{1 2 [a b]} [1 2 3]", "{99 2 [z b]} [99 2 3]"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v; want %v", got, want)
	}
}

func TestQueuedDeliveryIsFIFO(t *testing.T) {
	t.Parallel()
	loop := eventloop.Current()
	s1, s2, r := NewCounter(nil), NewCounter(nil), NewCounter(nil)
	var got []string
	rec := ssRecorder(&got)
	s1.ValueChanged.Connect(r, rec("s1a"), signals.QueuedConnection)
	s1.ValueChanged.Connect(r, rec("s1b"), signals.QueuedConnection)
	s2.ValueChanged.Connect(r, rec("s2"), signals.QueuedConnection)

	s1.ValueChanged.Emit(1)
	loop.Post(func() { got = append(got, "post") })
	s2.ValueChanged.Emit(2)
	s1.ValueChanged.Emit(3)
	signals.InvokeMethod(r, func() { got = append(got, "invoke") }, signals.QueuedConnection)
	s2.ValueChanged.Emit(4)
	if len(got) != 0 {
		t.Fatalf("queued slots ran inside Emit: %v", got)
	}
	loop.ProcessEvents(eventloop.AllEvents)
	want := []string{"s1a:1", "s1b:1", "post", "s2:2", "s1a:3", "s1b:3", "invoke", "s2:4"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v; want %v", got, want)
	}
}

func TestQueuedEmittedByQueuedSlotWaitsForNextPass(t *testing.T) {
	t.Parallel()
	loop := eventloop.Current()
	s, r := NewCounter(nil), NewCounter(nil)
	var got []int
	s.ValueChanged.Connect(r, func(v int) {
		got = append(got, v)
		if v < 3 {
			s.ValueChanged.Emit(v + 1)
		}
	}, signals.QueuedConnection)
	s.ValueChanged.Emit(1)
	for i := 1; i <= 3; i++ {
		loop.ProcessEvents(eventloop.AllEvents)
		if len(got) != i {
			t.Fatalf("after %d ProcessEvents: got %v; want %d calls (one per pass)", i, got, i)
		}
	}
	if want := []int{1, 2, 3}; !slices.Equal(got, want) {
		t.Errorf("got %v; want %v", got, want)
	}
}

func TestQueuedDroppedWhenReceiverDeleted(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		del  func(r, parent *Counter)
	}{
		{"receiver Delete", func(r, _ *Counter) { r.Delete() }},
		{"parent Delete", func(_, p *Counter) { p.Delete() }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			loop := eventloop.Current()
			parent := NewCounter(nil)
			s, r, other := NewCounter(nil), NewCounter(parent), NewCounter(nil)
			var got []string
			rec := ssRecorder(&got)
			s.ValueChanged.Connect(r, rec("r"), signals.QueuedConnection)
			s.ValueChanged.Connect(other, rec("other"), signals.QueuedConnection)
			s.ValueChanged.Emit(1)
			tt.del(r, parent)
			loop.ProcessEvents(eventloop.AllEvents)
			if want := []string{"other:1"}; !slices.Equal(got, want) {
				t.Errorf("got %v; want %v", got, want)
			}
		})
	}
}

func TestQueuedDeliveredAfterDisconnect(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		brk  func(s, r *Counter, c signals.Connection)
	}{
		{"Connection.Disconnect", func(_, _ *Counter, c signals.Connection) { c.Disconnect() }},
		{"Signal.Disconnect", func(s, r *Counter, _ signals.Connection) { s.ValueChanged.Disconnect(r) }},
		{"Object.Disconnect", func(s, _ *Counter, _ signals.Connection) { s.Disconnect(nil) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			loop := eventloop.Current()
			s, r := NewCounter(nil), NewCounter(nil)
			var got []int
			c := s.ValueChanged.Connect(r, func(v int) { got = append(got, v) }, signals.QueuedConnection)
			s.ValueChanged.Emit(1)
			s.ValueChanged.Emit(2)
			tt.brk(s, r, c)
			if c.Connected() {
				t.Fatal("Connected() = true after disconnecting; want false")
			}
			s.ValueChanged.Emit(3)
			loop.ProcessEvents(eventloop.AllEvents)
			if want := []int{1, 2}; !slices.Equal(got, want) {
				t.Errorf("got %v; want %v (calls posted before the disconnect are delivered)", got, want)
			}
		})
	}
}

func TestUnexportedSignalFields(t *testing.T) {
	t.Parallel()
	type private struct {
		signals.Object
		changed signals.Signal[int]
	}
	p := &private{}
	signals.Init(p, nil)
	r := NewCounter(nil)
	var sender signals.AnyObject
	calls := 0
	p.changed.Connect(r, func(int) { calls++; sender = r.Sender() })
	p.changed.Emit(1)
	p.BlockSignals(true)
	p.changed.Emit(2)
	if calls != 1 || sender != signals.AnyObject(p) {
		t.Errorf("calls, Sender() = %d, %v; want 1, p", calls, sender)
	}
}

func TestQueuedPanickingSlot(t *testing.T) {
	t.Parallel()
	loop := eventloop.Current()
	s, r := NewCounter(nil), NewCounter(nil)
	var got []int
	s.ValueChanged.Connect(r, func(v int) {
		got = append(got, v)
		if v == 1 {
			panic("queued boom")
		}
	}, signals.QueuedConnection)
	s.ValueChanged.Emit(1)
	s.ValueChanged.Emit(2)
	if p := panicOf(func() { loop.ProcessEvents(eventloop.AllEvents) }); p != "queued boom" {
		t.Errorf("ProcessEvents panicked with %v; want queued boom", p)
	}
	if want := []int{1}; !slices.Equal(got, want) {
		t.Errorf("after the panic: got %v; want %v", got, want)
	}
	if s := r.Sender(); s != nil {
		t.Errorf("Sender() after the panic = %v; want nil", s)
	}
	loop.ProcessEvents(eventloop.AllEvents)
	s.ValueChanged.Emit(3)
	loop.ProcessEvents(eventloop.AllEvents)
	if want := []int{1, 2, 3}; !slices.Equal(got, want) {
		t.Errorf("later passes: got %v; want %v", got, want)
	}
}
