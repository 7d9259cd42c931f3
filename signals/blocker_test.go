package signals_test

// Object.BlockSignals and SignalBlocker (QObject::blockSignals,
// QSignalBlocker; reference §2, §10).

import (
	"slices"
	"testing"

	"github.com/qtgo/qtgo/eventloop"
	"github.com/qtgo/qtgo/signals"
)

func TestBlockSignalsReturnsPreviousState(t *testing.T) {
	t.Parallel()
	o := NewCounter(nil)
	steps := []struct {
		block, wantPrev bool
	}{
		{true, false},
		{true, true},
		{false, true},
		{false, false},
		{true, false},
	}
	if o.SignalsBlocked() {
		t.Fatal("SignalsBlocked() = true on a new object; want false")
	}
	for i, st := range steps {
		if got := o.BlockSignals(st.block); got != st.wantPrev {
			t.Errorf("step %d: BlockSignals(%v) = %v; want %v", i, st.block, got, st.wantPrev)
		}
		if got := o.SignalsBlocked(); got != st.block {
			t.Errorf("step %d: SignalsBlocked() = %v; want %v", i, got, st.block)
		}
	}
}

func TestBlockedEmitCallsAndBuffersNothing(t *testing.T) {
	t.Parallel()
	loop := eventloop.Current()
	m, r := ssNewMulti(nil), NewCounter(nil)
	var got []string
	m.S0.Connect(r, func() { got = append(got, "S0") })
	m.S1.Connect(r, func(string) { got = append(got, "S1") }, signals.QueuedConnection)
	m.S2.Connect(nil, func(int, string) { got = append(got, "S2") })
	m.S3.Connect(r, func(int, string, []byte) { got = append(got, "S3") }, signals.DirectConnection)

	m.BlockSignals(true)
	m.S0.Emit()
	m.S1.Emit("x")
	m.S2.Emit(1, "x")
	m.S3.Emit(1, "x", nil)
	if loop.HasPendingEvents() {
		t.Errorf("HasPendingEvents() = true after blocked emissions; want false")
	}
	loop.ProcessEvents(eventloop.AllEvents)
	if len(got) != 0 {
		t.Errorf("blocked emissions called %v; want nothing", got)
	}

	m.BlockSignals(false)
	m.S0.Emit()
	m.S1.Emit("x")
	m.S2.Emit(1, "x")
	m.S3.Emit(1, "x", nil)
	loop.ProcessEvents(eventloop.AllEvents)
	if want := []string{"S0", "S2", "S3", "S1"}; !slices.Equal(got, want) {
		t.Errorf("after unblocking: got %v; want %v (nothing buffered while blocked)", got, want)
	}
}

func TestBlockSignalsIsSenderSide(t *testing.T) {
	t.Parallel()
	s, r := NewCounter(nil), NewCounter(nil)
	r.BlockSignals(true) // a blocked receiver still receives
	s.ValueChanged.Connect(r, r.Add)
	s.ValueChanged.Emit(2)
	if got := r.Value(); got != 2 {
		t.Errorf("blocked receiver's slot: r.Value() = %d; want 2", got)
	}
}

func TestBlockSignalsInsideSlot(t *testing.T) {
	t.Parallel()
	s, r := NewCounter(nil), NewCounter(nil)
	var got []string
	rec := ssRecorder(&got)
	s.ValueChanged.Connect(r, func(v int) {
		rec("a")(v)
		s.BlockSignals(true)
	})
	s.ValueChanged.Connect(r, rec("b"))
	s.ValueChanged.Emit(1)
	s.ValueChanged.Emit(2)
	if want := []string{"a:1", "b:1"}; !slices.Equal(got, want) {
		t.Errorf("got %v; want %v (the current emission goes on, the next is blocked)", got, want)
	}
}

func TestUnblockInsideSlotDoesNotResumeBlockedEmission(t *testing.T) {
	t.Parallel()
	s, r, other := NewCounter(nil), NewCounter(nil), NewCounter(nil)
	var got []string
	rec := ssRecorder(&got)
	// other's slot unblocks s while s's emission has already been refused.
	other.ValueChanged.Connect(r, func(int) { s.BlockSignals(false) })
	s.ValueChanged.Connect(r, rec("s"))
	s.BlockSignals(true)
	s.ValueChanged.Emit(1)
	other.ValueChanged.Emit(0)
	s.ValueChanged.Emit(2)
	if want := []string{"s:2"}; !slices.Equal(got, want) {
		t.Errorf("got %v; want %v", got, want)
	}
}

func TestDestroyedEmittedWhenBlocked(t *testing.T) {
	t.Parallel()
	o, r := NewCounter(nil), NewCounter(nil)
	var got []signals.AnyObject
	o.Destroyed.Connect(r, func(x signals.AnyObject) { got = append(got, x) })
	o.BlockSignals(true)
	o.Delete()
	if len(got) != 1 || got[0] != signals.AnyObject(o) {
		t.Errorf("Destroyed slot got %v; want [o]", got)
	}
}

func TestSignalBlocker(t *testing.T) {
	t.Parallel()
	type op int
	const (
		unblock op = iota
		reblock
		dismiss
		close_
		blockObj   // o.BlockSignals(true) behind the blocker's back
		unblockObj // o.BlockSignals(false) behind the blocker's back
	)
	names := map[op]string{unblock: "Unblock", reblock: "Reblock", dismiss: "Dismiss", close_: "Close",
		blockObj: "o.BlockSignals(true)", unblockObj: "o.BlockSignals(false)"}
	tests := []struct {
		name      string
		initially bool
		ops       []op
		want      []bool // SignalsBlocked() after each op
	}{
		{"Close restores unblocked", false, []op{close_}, []bool{false}},
		{"Close restores blocked", true, []op{close_}, []bool{true}},
		{"Close twice", false, []op{close_, blockObj, close_}, []bool{false, true, true}},
		{"Unblock then Close", false, []op{unblock, close_}, []bool{false, false}},
		{"Unblock keeps blocked when it was", true, []op{unblock, close_}, []bool{true, true}},
		{"Unblock Reblock Close", false, []op{unblock, reblock, close_}, []bool{false, true, false}},
		{"Reblock is not counted", false, []op{reblock, reblock, unblock}, []bool{true, true, false}},
		{"Unblock is not counted", false, []op{unblock, unblock, reblock, close_}, []bool{false, false, true, false}},
		// Qt's unblock always restores the state from before the blocker,
		// and the destructor restores that state, whatever happened to
		// the object meanwhile.
		{"Unblock after the object was blocked", false, []op{unblock, blockObj, unblock}, []bool{false, true, false}},
		{"Reblock keeps the original state", false, []op{unblock, blockObj, reblock, close_}, []bool{false, true, true, false}},
		{"Close after the object was unblocked", false, []op{unblockObj, close_}, []bool{false, false}},
		{"Close after the object was unblocked, blocked before", true, []op{unblockObj, close_}, []bool{false, true}},
		{"Dismiss keeps blocked", false, []op{dismiss, close_}, []bool{true, true}},
		{"Dismiss after Unblock", false, []op{unblock, dismiss, reblock, close_}, []bool{false, false, false, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := NewCounter(nil)
			o.BlockSignals(tt.initially)
			b := signals.NewSignalBlocker(o)
			if !o.SignalsBlocked() {
				t.Fatal("SignalsBlocked() = false after NewSignalBlocker; want true")
			}
			var got []bool
			for _, x := range tt.ops {
				switch x {
				case unblock:
					b.Unblock()
				case reblock:
					b.Reblock()
				case dismiss:
					b.Dismiss()
				case close_:
					b.Close()
				case blockObj:
					o.BlockSignals(true)
				case unblockObj:
					o.BlockSignals(false)
				}
				got = append(got, o.SignalsBlocked())
			}
			if !slices.Equal(got, tt.want) {
				var seq []string
				for _, x := range tt.ops {
					seq = append(seq, names[x])
				}
				t.Errorf("after %v: SignalsBlocked() = %v; want %v", seq, got, tt.want)
			}
		})
	}
}

func TestSignalBlockerBlocksEmission(t *testing.T) {
	t.Parallel()
	s, r := NewCounter(nil), NewCounter(nil)
	s.ValueChanged.Connect(r, r.Add)
	func() {
		b := signals.NewSignalBlocker(s)
		defer b.Close()
		s.ValueChanged.Emit(1)
	}()
	s.ValueChanged.Emit(10)
	if got := r.Value(); got != 10 {
		t.Errorf("r.Value() = %d; want 10 (only the emission after Close)", got)
	}
}

func TestNestedSignalBlockers(t *testing.T) {
	t.Parallel()
	o := NewCounter(nil)
	outer := signals.NewSignalBlocker(o)
	inner := signals.NewSignalBlocker(o)
	inner.Close()
	if !o.SignalsBlocked() {
		t.Errorf("after the inner blocker's Close: SignalsBlocked() = false; want true")
	}
	outer.Close()
	if o.SignalsBlocked() {
		t.Errorf("after the outer blocker's Close: SignalsBlocked() = true; want false")
	}
}
