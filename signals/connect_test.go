package signals_test

// Connecting and disconnecting: connection order, duplicates, changes made
// during an emission, the Connection handle, single-shot and unique
// connections, and wildcard disconnects (reference §1, §2, §5, §6).

import (
	"fmt"
	"runtime"
	"slices"
	"testing"

	"github.com/qtgo/qtgo/eventloop"
	"github.com/qtgo/qtgo/signals"
)

// ssRecorder returns a slot factory that appends "name:value" to *log.
func ssRecorder(log *[]string) func(name string) func(int) {
	return func(name string) func(int) {
		return func(v int) { *log = append(*log, fmt.Sprintf("%s:%d", name, v)) }
	}
}

func TestConnectOrder(t *testing.T) {
	t.Parallel()
	s, r := NewCounter(nil), NewCounter(nil)
	var got []string
	rec := ssRecorder(&got)
	// Every kind of direct connection takes its place in one list, in
	// connection order.
	s.ValueChanged.Connect(r, rec("a"))
	s.ValueChanged.Connect(nil, rec("b")) // context-less
	s.ValueChanged.Connect(r, rec("c"), signals.DirectConnection)
	s.ValueChanged.Connect(s, rec("d")) // the sender as context
	s.ValueChanged.Connect(r, rec("e"), signals.AutoConnection)

	s.ValueChanged.Emit(1)
	s.ValueChanged.Emit(2)
	want := []string{"a:1", "b:1", "c:1", "d:1", "e:1", "a:2", "b:2", "c:2", "d:2", "e:2"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v; want %v", got, want)
	}
}

func TestConnectDuplicatesRunOnceEach(t *testing.T) {
	t.Parallel()
	s, r := NewCounter(nil), NewCounter(nil)
	a := s.ValueChanged.Connect(r, r.Add)
	b := s.ValueChanged.Connect(r, r.Add)
	if !a.Connected() || !b.Connected() {
		t.Fatalf("duplicate connects: Connected() = %v, %v; want true, true", a.Connected(), b.Connected())
	}
	s.ValueChanged.Emit(3)
	if got, want := r.Value(), 6; got != want {
		t.Errorf("after one emission of 3 to r.Add connected twice, r.Value() = %d; want %d", got, want)
	}

	// Disconnecting one handle leaves the other duplicate in place.
	a.Disconnect()
	s.ValueChanged.Emit(3)
	if got, want := r.Value(), 9; got != want {
		t.Errorf("after disconnecting one duplicate, r.Value() = %d; want %d", got, want)
	}
}

func TestReconnectMovesToEnd(t *testing.T) {
	t.Parallel()
	s, r := NewCounter(nil), NewCounter(nil)
	var got []string
	rec := ssRecorder(&got)
	ha := s.ValueChanged.Connect(r, rec("a"))
	s.ValueChanged.Connect(r, rec("b"))
	s.ValueChanged.Connect(r, rec("c"))
	if !ha.Disconnect() {
		t.Fatal("Disconnect() = false; want true")
	}
	s.ValueChanged.Connect(r, rec("a"))
	s.ValueChanged.Emit(1)
	if want := []string{"b:1", "c:1", "a:1"}; !slices.Equal(got, want) {
		t.Errorf("got %v; want %v", got, want)
	}
}

func TestConnectDuringEmission(t *testing.T) {
	t.Parallel()
	for _, typ := range []signals.ConnectionType{
		signals.AutoConnection, signals.DirectConnection, signals.QueuedConnection,
	} {
		t.Run(typ.String(), func(t *testing.T) {
			t.Parallel()
			loop := eventloop.Current()
			s, r := NewCounter(nil), NewCounter(nil)
			var got []string
			rec := ssRecorder(&got)
			added := false
			s.ValueChanged.Connect(r, func(v int) {
				rec("a")(v)
				if !added {
					added = true
					s.ValueChanged.Connect(r, rec("late"), typ)
				}
			})
			s.ValueChanged.Connect(r, rec("b"))

			s.ValueChanged.Emit(1)
			loop.ProcessEvents(eventloop.AllEvents)
			if want := []string{"a:1", "b:1"}; !slices.Equal(got, want) {
				t.Fatalf("first emission: got %v; want %v (a connection made during an emission is not called by it)", got, want)
			}
			s.ValueChanged.Emit(2)
			loop.ProcessEvents(eventloop.AllEvents)
			if want := []string{"a:1", "b:1", "a:2", "b:2", "late:2"}; !slices.Equal(got, want) {
				t.Errorf("second emission: got %v; want %v", got, want)
			}
		})
	}
}

func TestDisconnectDuringEmission(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		actor string // the slot that acts, in the first emission only
		act   func(h map[string]signals.Connection, s *Counter, r map[string]*Counter)
		want1 []string
		want2 []string
	}{
		{
			name: "later slot", actor: "a",
			act:   func(h map[string]signals.Connection, _ *Counter, _ map[string]*Counter) { h["c"].Disconnect() },
			want1: []string{"a:1", "b:1"},
			want2: []string{"a:2", "b:2"},
		},
		{
			name: "itself", actor: "b",
			act:   func(h map[string]signals.Connection, _ *Counter, _ map[string]*Counter) { h["b"].Disconnect() },
			want1: []string{"a:1", "b:1", "c:1"},
			want2: []string{"a:2", "c:2"},
		},
		{
			name: "earlier slot", actor: "c",
			act:   func(h map[string]signals.Connection, _ *Counter, _ map[string]*Counter) { h["a"].Disconnect() },
			want1: []string{"a:1", "b:1", "c:1"},
			want2: []string{"b:2", "c:2"},
		},
		{
			name: "receiver wildcard", actor: "a",
			act: func(_ map[string]signals.Connection, s *Counter, r map[string]*Counter) {
				s.ValueChanged.Disconnect(r["c"])
			},
			want1: []string{"a:1", "b:1"},
			want2: []string{"a:2", "b:2"},
		},
		{
			name: "all", actor: "a",
			act: func(_ map[string]signals.Connection, s *Counter, _ map[string]*Counter) {
				s.ValueChanged.Disconnect(nil)
			},
			want1: []string{"a:1"},
			want2: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := NewCounter(nil)
			var got []string
			h := map[string]signals.Connection{}
			r := map[string]*Counter{}
			acted := false
			for _, name := range []string{"a", "b", "c"} {
				r[name] = NewCounter(nil)
				h[name] = s.ValueChanged.Connect(r[name], func(v int) {
					got = append(got, fmt.Sprintf("%s:%d", name, v))
					if name == tt.actor && !acted {
						acted = true
						tt.act(h, s, r)
					}
				})
			}
			s.ValueChanged.Emit(1)
			if !slices.Equal(got, tt.want1) {
				t.Errorf("emission during which the disconnect happens: got %v; want %v", got, tt.want1)
			}
			got = nil
			s.ValueChanged.Emit(2)
			if !slices.Equal(got, tt.want2) {
				t.Errorf("next emission: got %v; want %v", got, tt.want2)
			}
		})
	}
}

func TestConnectionConnectedUntilBroken(t *testing.T) {
	t.Parallel()
	type objs struct {
		s, r, ctx, parent *Counter
		c                 signals.Connection
	}
	tests := []struct {
		name       string
		brk        func(o objs)
		senderGone bool
	}{
		{"Disconnect", func(o objs) { o.c.Disconnect() }, false},
		{"sender Delete", func(o objs) { o.s.Delete() }, true},
		{"receiver Delete", func(o objs) { o.r.Delete() }, false},
		{"receiver's parent Delete", func(o objs) { o.parent.Delete() }, false},
		{"context Delete", func(o objs) { o.ctx.Delete() }, false},
		{"Signal.Disconnect(receiver)", func(o objs) { o.s.ValueChanged.Disconnect(o.r) }, false},
		{"Signal.Disconnect(context)", func(o objs) { o.s.ValueChanged.Disconnect(o.ctx) }, false},
		{"Signal.Disconnect(nil)", func(o objs) { o.s.ValueChanged.Disconnect(nil) }, false},
		{"Object.Disconnect(receiver)", func(o objs) { o.s.Disconnect(o.r) }, false},
		{"Object.Disconnect(nil)", func(o objs) { o.s.Disconnect(nil) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			loop := eventloop.Current()
			parent := NewCounter(nil)
			o := objs{s: NewCounter(nil), r: NewCounter(parent), ctx: NewCounter(nil), parent: parent}
			calls := 0
			slot := func(int) { calls++ }
			// One connection per way of naming the other end: a method of
			// the receiver, and a func with a separate context object.
			cr := o.s.ValueChanged.Connect(o.r, slot)
			cc := o.s.ValueChanged.Connect(o.ctx, slot)
			o.c = cr
			if tt.name == "context Delete" || tt.name == "Signal.Disconnect(context)" {
				o.c = cc
			}
			if !o.c.Connected() {
				t.Fatal("Connected() = false right after Connect; want true")
			}
			tt.brk(o)
			if o.c.Connected() {
				t.Errorf("Connected() = true after %s; want false", tt.name)
			}
			if o.c.Disconnect() {
				t.Errorf("Disconnect() = true after %s; want false", tt.name)
			}
			if tt.senderGone {
				return
			}
			// The broken connection is not called any more.
			other := cc
			if o.c == cc {
				other = cr
			}
			calls = 0
			o.s.ValueChanged.Emit(1)
			loop.ProcessEvents(eventloop.AllEvents)
			want := 0
			if other.Connected() {
				want = 1
			}
			if calls != want {
				t.Errorf("after %s, the slots ran %d times; want %d", tt.name, calls, want)
			}
		})
	}
}

func TestConnectionCopiesShareState(t *testing.T) {
	t.Parallel()
	s, r := NewCounter(nil), NewCounter(nil)
	c1 := s.ValueChanged.Connect(r, r.Add)
	c2 := c1
	if !c1.Connected() || !c2.Connected() {
		t.Fatalf("Connected() = %v, %v; want true, true", c1.Connected(), c2.Connected())
	}
	if c1 != c2 {
		t.Errorf("a copy of a Connection is not == the original")
	}
	if !c1.Disconnect() {
		t.Fatal("first Disconnect() = false; want true")
	}
	if c1.Connected() || c2.Connected() {
		t.Errorf("after Disconnect through one copy, Connected() = %v, %v; want false, false", c1.Connected(), c2.Connected())
	}
	if c2.Disconnect() {
		t.Errorf("Disconnect() through the other copy = true; want false")
	}
	if c1.Disconnect() {
		t.Errorf("second Disconnect() = true; want false")
	}
	s.ValueChanged.Emit(5)
	if got := r.Value(); got != 0 {
		t.Errorf("r.Value() = %d after emitting on a broken connection; want 0", got)
	}
	if s.ValueChanged.IsConnected() {
		t.Errorf("IsConnected() = true; want false")
	}
}

func TestZeroConnection(t *testing.T) {
	t.Parallel()
	var c signals.Connection
	if c.Connected() {
		t.Errorf("zero Connection: Connected() = true; want false")
	}
	if c.Disconnect() {
		t.Errorf("zero Connection: Disconnect() = true; want false")
	}
	if c != (signals.Connection{}) {
		t.Errorf("zero Connection changed by Disconnect")
	}
}

func TestSingleShotDirect(t *testing.T) {
	t.Parallel()
	for _, types := range [][]signals.ConnectionType{
		{signals.SingleShotConnection},
		{signals.DirectConnection, signals.SingleShotConnection},
		{signals.DirectConnection | signals.SingleShotConnection},
	} {
		t.Run(fmt.Sprint(types), func(t *testing.T) {
			t.Parallel()
			s, r := NewCounter(nil), NewCounter(nil)
			var got []int
			var c signals.Connection
			inSlotConnected, inSlotDisconnect := true, true
			c = s.ValueChanged.Connect(r, func(v int) {
				got = append(got, v)
				inSlotConnected = c.Connected()
				inSlotDisconnect = c.Disconnect()
			}, types...)
			if !c.Connected() {
				t.Fatal("Connected() = false before the first emission; want true")
			}
			s.ValueChanged.Emit(1)
			s.ValueChanged.Emit(2)
			if want := []int{1}; !slices.Equal(got, want) {
				t.Errorf("got %v; want %v", got, want)
			}
			if inSlotConnected {
				t.Errorf("inside the single-shot slot Connected() = true; want false")
			}
			if inSlotDisconnect {
				t.Errorf("inside the single-shot slot Disconnect() = true; want false")
			}
			if c.Connected() {
				t.Errorf("Connected() = true after firing; want false")
			}
			if s.ValueChanged.IsConnected() {
				t.Errorf("IsConnected() = true after the only single-shot fired; want false")
			}
		})
	}
}

func TestSingleShotQueued(t *testing.T) {
	t.Parallel()
	loop := eventloop.Current()
	s, r := NewCounter(nil), NewCounter(nil)
	var got []int
	c := s.ValueChanged.Connect(r, func(v int) { got = append(got, v) },
		signals.QueuedConnection|signals.SingleShotConnection)
	s.ValueChanged.Emit(1)
	if c.Connected() {
		t.Errorf("Connected() = true right after the first emission; want false")
	}
	s.ValueChanged.Emit(2)
	s.ValueChanged.Emit(3)
	if len(got) != 0 {
		t.Fatalf("queued slot ran inside Emit: got %v", got)
	}
	loop.ProcessEvents(eventloop.AllEvents)
	loop.ProcessEvents(eventloop.AllEvents)
	if want := []int{1}; !slices.Equal(got, want) {
		t.Errorf("got %v; want %v", got, want)
	}
}

func TestSingleShotMadeInsideItsSlot(t *testing.T) {
	t.Parallel()
	s, r := NewCounter(nil), NewCounter(nil)
	var got []int
	var slot func(int)
	slot = func(v int) {
		got = append(got, v)
		if len(got) < 10 { // bounded, in case the new one were called at once
			s.ValueChanged.Connect(r, slot, signals.SingleShotConnection)
		}
	}
	s.ValueChanged.Connect(r, slot, signals.SingleShotConnection)
	for i := 1; i <= 3; i++ {
		s.ValueChanged.Emit(i)
	}
	if want := []int{1, 2, 3}; !slices.Equal(got, want) {
		t.Errorf("got %v; want %v (each emission calls only the connection made by the previous one)", got, want)
	}
}

func TestSingleShotIdenticalConnectionsEachFireOnce(t *testing.T) {
	t.Parallel()
	s, r := NewCounter(nil), NewCounter(nil)
	c1 := s.ValueChanged.Connect(r, r.Add, signals.SingleShotConnection)
	c2 := s.ValueChanged.Connect(r, r.Add, signals.SingleShotConnection)
	s.ValueChanged.Emit(1)
	s.ValueChanged.Emit(10)
	if got, want := r.Value(), 2; got != want {
		t.Errorf("r.Value() = %d; want %d", got, want)
	}
	if c1.Connected() || c2.Connected() {
		t.Errorf("Connected() = %v, %v; want false, false", c1.Connected(), c2.Connected())
	}
}

func TestUniqueConnection(t *testing.T) {
	t.Parallel()
	t.Run("same receiver and method refused", func(t *testing.T) {
		t.Parallel()
		s, r := NewCounter(nil), NewCounter(nil)
		first := s.ValueChanged.Connect(r, r.Add, signals.UniqueConnection)
		second := s.ValueChanged.Connect(r, r.Add, signals.UniqueConnection)
		if !first.Connected() {
			t.Errorf("first unique connect: Connected() = false; want true")
		}
		if second.Connected() {
			t.Errorf("second unique connect of the same receiver and method: Connected() = true; want false")
		}
		if second.Disconnect() {
			t.Errorf("refused connection: Disconnect() = true; want false")
		}
		s.ValueChanged.Emit(5)
		if got, want := r.Value(), 5; got != want {
			t.Errorf("r.Value() = %d; want %d (slot called once)", got, want)
		}
		if !first.Connected() {
			t.Errorf("first connection broken by the refused one")
		}
	})
	t.Run("refused whatever the type", func(t *testing.T) {
		t.Parallel()
		s, r := NewCounter(nil), NewCounter(nil)
		s.ValueChanged.Connect(r, r.Add)
		c := s.ValueChanged.Connect(r, r.Add, signals.QueuedConnection, signals.UniqueConnection)
		if c.Connected() {
			t.Errorf("unique queued connect next to an existing auto one: Connected() = true; want false")
		}
	})
	t.Run("different receivers allowed", func(t *testing.T) {
		t.Parallel()
		s, r1, r2 := NewCounter(nil), NewCounter(nil), NewCounter(nil)
		c1 := s.ValueChanged.Connect(r1, r1.Add, signals.UniqueConnection)
		c2 := s.ValueChanged.Connect(r2, r2.Add, signals.UniqueConnection)
		if !c1.Connected() || !c2.Connected() {
			t.Fatalf("Connected() = %v, %v; want true, true", c1.Connected(), c2.Connected())
		}
		s.ValueChanged.Emit(5)
		if r1.Value() != 5 || r2.Value() != 5 {
			t.Errorf("values = %d, %d; want 5, 5", r1.Value(), r2.Value())
		}
	})
	t.Run("different methods allowed", func(t *testing.T) {
		t.Parallel()
		s, r := NewCounter(nil), NewCounter(nil)
		c1 := s.ValueChanged.Connect(r, r.Add, signals.UniqueConnection)
		c2 := s.ValueChanged.Connect(r, r.SetValue, signals.UniqueConnection)
		if !c1.Connected() || !c2.Connected() {
			t.Errorf("Connected() = %v, %v; want true, true", c1.Connected(), c2.Connected())
		}
	})
	t.Run("non-unique duplicate allowed", func(t *testing.T) {
		t.Parallel()
		s, r := NewCounter(nil), NewCounter(nil)
		s.ValueChanged.Connect(r, r.Add, signals.UniqueConnection)
		c := s.ValueChanged.Connect(r, r.Add)
		if !c.Connected() {
			t.Fatalf("later non-unique connect: Connected() = false; want true")
		}
		s.ValueChanged.Emit(5)
		if got, want := r.Value(), 10; got != want {
			t.Errorf("r.Value() = %d; want %d (slot called twice)", got, want)
		}
	})
	t.Run("after disconnect allowed", func(t *testing.T) {
		t.Parallel()
		s, r := NewCounter(nil), NewCounter(nil)
		s.ValueChanged.Connect(r, r.Add, signals.UniqueConnection).Disconnect()
		c := s.ValueChanged.Connect(r, r.Add, signals.UniqueConnection)
		if !c.Connected() {
			t.Errorf("unique connect after the first was disconnected: Connected() = false; want true")
		}
	})
}

func TestSignalDisconnectWildcards(t *testing.T) {
	t.Parallel()
	loop := eventloop.Current()
	s, r1, r2 := NewCounter(nil), NewCounter(nil), NewCounter(nil)
	if s.ValueChanged.Disconnect(nil) {
		t.Errorf("Disconnect(nil) with no connections = true; want false")
	}
	var got []string
	rec := ssRecorder(&got)
	s.ValueChanged.Connect(r1, rec("r1.a"))
	s.ValueChanged.Connect(r1, rec("r1.a")) // duplicate
	s.ValueChanged.Connect(r1, rec("r1.q"), signals.QueuedConnection)
	h2 := s.ValueChanged.Connect(r2, rec("r2"))
	name := s.ObjectNameChanged.Connect(r1, func(string) { got = append(got, "r1.name") })

	if !s.ValueChanged.IsConnected() {
		t.Fatal("IsConnected() = false; want true")
	}
	if !s.ValueChanged.Disconnect(r1) {
		t.Errorf("Disconnect(r1) = false; want true")
	}
	if s.ValueChanged.Disconnect(r1) {
		t.Errorf("second Disconnect(r1) = true; want false")
	}
	s.ValueChanged.Emit(1)
	s.SetObjectName("x")
	loop.ProcessEvents(eventloop.AllEvents)
	if want := []string{"r2:1", "r1.name"}; !slices.Equal(got, want) {
		t.Errorf("after Disconnect(r1): got %v; want %v (r1's other signal connections stay)", got, want)
	}
	if !name.Connected() {
		t.Errorf("ObjectNameChanged connection broken by ValueChanged.Disconnect(r1)")
	}

	if !s.ValueChanged.Disconnect(nil) {
		t.Errorf("Disconnect(nil) = false; want true")
	}
	if h2.Connected() {
		t.Errorf("connection to r2 still connected after Disconnect(nil)")
	}
	if s.ValueChanged.IsConnected() {
		t.Errorf("IsConnected() = true after Disconnect(nil); want false")
	}
	if s.ValueChanged.Disconnect(nil) {
		t.Errorf("second Disconnect(nil) = true; want false")
	}
	got = nil
	s.ValueChanged.Emit(2)
	loop.ProcessEvents(eventloop.AllEvents)
	if len(got) != 0 {
		t.Errorf("after Disconnect(nil): got %v; want nothing", got)
	}
}

func TestObjectDisconnect(t *testing.T) {
	t.Parallel()
	s, r1, r2 := NewCounter(nil), NewCounter(nil), NewCounter(nil)
	if s.Disconnect(nil) {
		t.Errorf("Disconnect(nil) on an object with no connections = true; want false")
	}
	var got []string
	rec := ssRecorder(&got)
	s.ValueChanged.Connect(r1, rec("r1.value"))
	s.ObjectNameChanged.Connect(r1, func(string) { got = append(got, "r1.name") })
	s.ValueChanged.Connect(r2, rec("r2.value"))
	s.ObjectNameChanged.Connect(r2, func(string) { got = append(got, "r2.name") })
	s.Destroyed.Connect(r2, func(signals.AnyObject) { got = append(got, "r2.destroyed") })
	back := r1.ValueChanged.Connect(s, rec("s")) // r1 as sender: untouched

	if r2.Disconnect(r1) {
		t.Errorf("r2.Disconnect(r1) with no connection from r2 to r1 = true; want false")
	}
	if !s.Disconnect(r1) {
		t.Errorf("s.Disconnect(r1) = false; want true")
	}
	if s.Disconnect(r1) {
		t.Errorf("second s.Disconnect(r1) = true; want false")
	}
	if !back.Connected() {
		t.Errorf("s.Disconnect(r1) broke a connection from r1 to s")
	}
	s.ValueChanged.Emit(1)
	s.SetObjectName("n")
	if want := []string{"r2.value:1", "r2.name"}; !slices.Equal(got, want) {
		t.Errorf("after s.Disconnect(r1): got %v; want %v", got, want)
	}

	if !s.Disconnect(nil) {
		t.Errorf("s.Disconnect(nil) = false; want true")
	}
	if s.Disconnect(nil) {
		t.Errorf("second s.Disconnect(nil) = true; want false")
	}
	if !back.Connected() {
		t.Errorf("s.Disconnect(nil) broke a connection from r1 to s")
	}
	got = nil
	s.ValueChanged.Emit(2)
	s.SetObjectName("m")
	s.Delete()
	if len(got) != 0 {
		t.Errorf("after s.Disconnect(nil): got %v; want nothing (Destroyed included)", got)
	}
}

func TestSingleShotReentrantEmission(t *testing.T) {
	t.Parallel()
	s, r := NewCounter(nil), NewCounter(nil)
	var got []int
	s.ValueChanged.Connect(r, func(v int) {
		got = append(got, v)
		if v < 3 {
			s.ValueChanged.Emit(v + 1) // the connection is already gone
		}
	}, signals.SingleShotConnection)
	s.ValueChanged.Emit(1)
	if want := []int{1}; !slices.Equal(got, want) {
		t.Errorf("got %v; want %v", got, want)
	}
}

func TestDroppedConnectionHandleKeepsConnection(t *testing.T) {
	t.Parallel()
	s, r := NewCounter(nil), NewCounter(nil)
	func() {
		_ = s.ValueChanged.Connect(r, r.Add) // the handle is dropped at once
	}()
	runtime.GC()
	runtime.GC()
	s.ValueChanged.Emit(4)
	if got := r.Value(); got != 4 {
		t.Errorf("r.Value() = %d; want 4 (dropping a handle never disconnects)", got)
	}
}

func TestConnectionTypeString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		typ  signals.ConnectionType
		want string
	}{
		{signals.AutoConnection, "AutoConnection"},
		{signals.DirectConnection, "DirectConnection"},
		{signals.QueuedConnection, "QueuedConnection"},
		{signals.BlockingQueuedConnection, "BlockingQueuedConnection"},
		{signals.QueuedConnection | signals.UniqueConnection, "QueuedConnection|UniqueConnection"},
		{signals.UniqueConnection | signals.SingleShotConnection, "AutoConnection|UniqueConnection|SingleShotConnection"},
		{signals.ConnectionType(7), "ConnectionType(?)"},
	}
	for _, tt := range tests {
		if got := tt.typ.String(); got != tt.want {
			t.Errorf("ConnectionType(%#x).String() = %q; want %q", int(tt.typ), got, tt.want)
		}
	}
	// Qt's values.
	values := []struct {
		typ  signals.ConnectionType
		want int
	}{
		{signals.AutoConnection, 0}, {signals.DirectConnection, 1}, {signals.QueuedConnection, 2},
		{signals.BlockingQueuedConnection, 3}, {signals.UniqueConnection, 0x80}, {signals.SingleShotConnection, 0x100},
	}
	for _, v := range values {
		if int(v.typ) != v.want {
			t.Errorf("%v = %#x; want %#x", v.typ, int(v.typ), v.want)
		}
	}
}
