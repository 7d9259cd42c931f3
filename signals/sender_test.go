package signals_test

// Object.Sender (QObject::sender, reference §8).

import (
	"slices"
	"testing"

	"github.com/qtgo/qtgo/eventloop"
	"github.com/qtgo/qtgo/signals"
)

// ssButton is a sender of a type other than Counter, to check that Sender
// returns the value given to Init.
type ssButton struct {
	signals.Object
	Clicked signals.Signal0
}

func ssNewButton() *ssButton {
	b := &ssButton{}
	signals.Init(b, nil)
	return b
}

func TestSenderInSlot(t *testing.T) {
	t.Parallel()
	for _, typ := range []signals.ConnectionType{
		signals.AutoConnection, signals.DirectConnection, signals.QueuedConnection,
	} {
		t.Run(typ.String(), func(t *testing.T) {
			t.Parallel()
			loop := eventloop.Current()
			b, r := ssNewButton(), NewCounter(nil)
			if s := r.Sender(); s != nil {
				t.Errorf("Sender() before any slot = %v; want nil", s)
			}
			var got signals.AnyObject
			var typed *ssButton
			called := false
			b.Clicked.Connect(r, func() {
				called = true
				got = r.Sender()
				typed, _ = got.(*ssButton)
			}, typ)
			b.Clicked.Emit()
			loop.ProcessEvents(eventloop.AllEvents)
			if !called {
				t.Fatal("slot not called")
			}
			if got != signals.AnyObject(b) {
				t.Errorf("Sender() = %v; want the button", got)
			}
			if typed != b {
				t.Errorf("Sender().(*ssButton) = %p; want %p", typed, b)
			}
			if s := r.Sender(); s != nil {
				t.Errorf("Sender() after the slot = %v; want nil", s)
			}
			if s := b.Sender(); s != nil {
				t.Errorf("the sender's own Sender() = %v; want nil", s)
			}
		})
	}
}

func TestSenderInBlockingQueuedSlot(t *testing.T) {
	t.Parallel()
	th := startThread(t)
	b, r := ssNewButton(), NewCounter(nil)
	if !r.MoveToThread(th) {
		t.Fatal("MoveToThread failed")
	}
	var got signals.AnyObject
	b.Clicked.Connect(r, func() { got = r.Sender() }, signals.BlockingQueuedConnection)
	b.Clicked.Emit()
	if got != signals.AnyObject(b) {
		t.Errorf("Sender() in a blocking-queued slot = %v; want the button", got)
	}
}

func TestSenderAfterSlotDisconnectsItself(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name        string
		otherLink   bool // another connection from the sender to the receiver remains
		wantSenderB bool
	}{
		{"only connection", false, false},
		{"another connection remains", true, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, r := NewCounter(nil), NewCounter(nil)
			if tt.otherLink {
				s.ObjectNameChanged.Connect(r, func(string) {})
			}
			var before, after signals.AnyObject
			var c signals.Connection
			c = s.ValueChanged.Connect(r, func(int) {
				before = r.Sender()
				c.Disconnect()
				after = r.Sender()
			})
			s.ValueChanged.Emit(1)
			if before != signals.AnyObject(s) {
				t.Errorf("Sender() before disconnecting = %v; want s", before)
			}
			var want signals.AnyObject
			if tt.wantSenderB {
				want = s
			}
			if after != want {
				t.Errorf("Sender() after the slot disconnected itself = %v; want %v", after, want)
			}
		})
	}
}

func TestSenderAfterSenderDeleted(t *testing.T) {
	t.Parallel()
	t.Run("in the slot", func(t *testing.T) {
		t.Parallel()
		s, r := NewCounter(nil), NewCounter(nil)
		var before, after signals.AnyObject
		s.ValueChanged.Connect(r, func(int) {
			before = r.Sender()
			s.Delete()
			after = r.Sender()
		})
		s.ValueChanged.Emit(1)
		if before != signals.AnyObject(s) || after != nil {
			t.Errorf("Sender() before, after deleting the sender = %v, %v; want s, nil", before, after)
		}
	})
	t.Run("before queued delivery", func(t *testing.T) {
		t.Parallel()
		loop := eventloop.Current()
		s, r := NewCounter(nil), NewCounter(nil)
		called := false
		var got signals.AnyObject = r // anything but nil
		s.ValueChanged.Connect(r, func(int) { called = true; got = r.Sender() }, signals.QueuedConnection)
		s.ValueChanged.Emit(1)
		s.Delete()
		loop.ProcessEvents(eventloop.AllEvents)
		if !called {
			t.Fatal("queued call dropped when only the sender was deleted; want it delivered")
		}
		if got != nil {
			t.Errorf("Sender() = %v; want nil", got)
		}
	})
}

func TestSenderNested(t *testing.T) {
	t.Parallel()
	a, b := NewCounter(nil), NewCounter(nil)
	r, r2 := NewCounter(nil), NewCounter(nil)
	names := map[signals.AnyObject]string{nil: "nil", a: "a", b: "b"}
	var got []string
	a.ValueChanged.Connect(r, func(int) {
		got = append(got, "r:"+names[r.Sender()])
		b.ValueChanged.Emit(0)
		got = append(got, "r:"+names[r.Sender()])
	})
	b.ValueChanged.Connect(r, func(int) { got = append(got, "r:"+names[r.Sender()]) })
	b.ValueChanged.Connect(r2, func(int) {
		got = append(got, "r2:"+names[r2.Sender()], "r2 sees r:"+names[r.Sender()])
	})
	a.ValueChanged.Emit(0)
	want := []string{"r:a", "r:b", "r2:b", "r2 sees r:a", "r:a"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v; want %v", got, want)
	}
	if r.Sender() != nil || r2.Sender() != nil {
		t.Errorf("Sender() after the emission = %v, %v; want nil, nil", r.Sender(), r2.Sender())
	}
}

func TestSenderNilInInvokedFunction(t *testing.T) {
	t.Parallel()
	t.Run("queued from a slot", func(t *testing.T) {
		t.Parallel()
		loop := eventloop.Current()
		s, r := NewCounter(nil), NewCounter(nil)
		called := false
		var got signals.AnyObject = r
		s.ValueChanged.Connect(r, func(int) {
			signals.InvokeMethod(r, func() { called = true; got = r.Sender() }, signals.QueuedConnection)
		})
		s.ValueChanged.Emit(1)
		loop.ProcessEvents(eventloop.AllEvents)
		if !called || got != nil {
			t.Errorf("called, Sender() = %v, %v; want true, nil", called, got)
		}
	})
	t.Run("queued while another slot of the receiver runs", func(t *testing.T) {
		t.Parallel()
		loop := eventloop.Current()
		s, r := NewCounter(nil), NewCounter(nil)
		var got signals.AnyObject = r
		called := false
		signals.InvokeMethod(r, func() { called = true; got = r.Sender() }, signals.QueuedConnection)
		// The invoked function runs from inside a slot's nested loop pass.
		var after signals.AnyObject
		s.ValueChanged.Connect(r, func(int) {
			loop.ProcessEvents(eventloop.AllEvents)
			after = r.Sender()
		})
		s.ValueChanged.Emit(1)
		if !called || got != nil {
			t.Errorf("called, Sender() = %v, %v; want true, nil", called, got)
		}
		if after != signals.AnyObject(s) {
			t.Errorf("Sender() in the slot after the invoked function = %v; want s", after)
		}
	})
	t.Run("auto", func(t *testing.T) {
		t.Parallel()
		r := NewCounter(nil)
		var got signals.AnyObject = r
		signals.InvokeMethod(r, func() { got = r.Sender() })
		if got != nil {
			t.Errorf("Sender() = %v; want nil", got)
		}
	})
	t.Run("blocking", func(t *testing.T) {
		t.Parallel()
		th := startThread(t)
		s, r := NewCounter(nil), NewCounter(nil)
		r.MoveToThread(th)
		var got signals.AnyObject = r
		// r's loop is inside a slot from s when the function is invoked.
		s.ValueChanged.Connect(r, func(int) {
			signals.InvokeMethod(r, func() { got = r.Sender() }, signals.QueuedConnection)
			r.Loop().ProcessEvents(eventloop.AllEvents)
		}, signals.BlockingQueuedConnection)
		s.ValueChanged.Emit(1)
		if got != nil {
			t.Errorf("Sender() = %v; want nil", got)
		}
		var got2 signals.AnyObject = r
		signals.InvokeMethod(r, func() { got2 = r.Sender() }, signals.BlockingQueuedConnection)
		if got2 != nil {
			t.Errorf("Sender() in a blocking InvokeMethod = %v; want nil", got2)
		}
	})
}

func TestSenderInDestroyedSlot(t *testing.T) {
	t.Parallel()
	s, r := NewCounter(nil), NewCounter(nil)
	var got signals.AnyObject
	s.Destroyed.Connect(r, func(signals.AnyObject) { got = r.Sender() })
	s.Delete()
	if got != signals.AnyObject(s) {
		t.Errorf("Sender() in a Destroyed slot = %v; want the destroyed object", got)
	}
}

func TestSenderDirectFromAnotherGoroutine(t *testing.T) {
	t.Parallel()
	th := startThread(t)
	r := NewCounter(nil)
	r.MoveToThread(th)
	a, b := NewCounter(nil), NewCounter(nil)
	entered, release := make(chan struct{}), make(chan struct{})
	a.ValueChanged.Connect(r, func(int) { close(entered); <-release }) // queued to th
	a.ValueChanged.Emit(1)
	<-entered
	var got signals.AnyObject = r
	b.ValueChanged.Connect(r, func(int) { got = r.Sender() }, signals.DirectConnection)
	b.ValueChanged.Emit(2) // runs here, while r's loop is in a's slot
	close(release)
	if got != nil {
		t.Errorf("Sender() in a direct slot called from another goroutine = %v; want nil", got)
	}
}

func TestSenderAfterSlotMovedReceiver(t *testing.T) {
	t.Parallel()
	th := startThread(t)
	s, r := NewCounter(nil), NewCounter(nil)
	s.ValueChanged.Connect(r, func(int) { r.MoveToThread(th) })
	s.ValueChanged.Emit(1)
	got := make(chan signals.AnyObject)
	th.ThreadLoop().Post(func() { got <- r.Sender() }) // on r's new loop, outside any slot
	if s := <-got; s != nil {
		t.Errorf("Sender() outside any slot on the new loop = %v; want nil", s)
	}
}
