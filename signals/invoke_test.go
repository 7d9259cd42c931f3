package signals_test

// InvokeMethod (QMetaObject::invokeMethod with a functor, reference §14).

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/qtgo/qtgo/eventloop"
	"github.com/qtgo/qtgo/signals"
)

func TestInvokeMethodNilOrDeletedContext(t *testing.T) {
	t.Parallel()
	loop := eventloop.Current() // kept: the deleted objects live on it
	called := false
	fn := func() { called = true }
	for _, typ := range []signals.ConnectionType{
		signals.AutoConnection, signals.DirectConnection, signals.QueuedConnection, signals.BlockingQueuedConnection,
	} {
		if signals.InvokeMethod(nil, fn, typ) {
			t.Errorf("InvokeMethod(nil, fn, %v) = true; want false", typ)
		}
		dead := NewCounter(nil)
		dead.Delete()
		if signals.InvokeMethod(dead, fn, typ) {
			t.Errorf("InvokeMethod(deleted, fn, %v) = true; want false", typ)
		}
	}
	loop.ProcessEvents(eventloop.AllEvents)
	if called {
		t.Errorf("fn was called")
	}
}

func TestInvokeMethodSameLoop(t *testing.T) {
	t.Parallel()
	tests := []struct {
		types      []signals.ConnectionType
		wantBefore bool // fn ran before InvokeMethod returned
	}{
		{nil, true},
		{[]signals.ConnectionType{signals.AutoConnection}, true},
		{[]signals.ConnectionType{signals.DirectConnection}, true},
		{[]signals.ConnectionType{signals.QueuedConnection}, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.types), func(t *testing.T) {
			t.Parallel()
			loop := eventloop.Current()
			ctx := NewCounter(nil)
			var gids []int64
			if !signals.InvokeMethod(ctx, func() { gids = append(gids, goroutineID()) }, tt.types...) {
				t.Fatal("InvokeMethod = false; want true")
			}
			if got := len(gids) == 1; got != tt.wantBefore {
				t.Errorf("ran before InvokeMethod returned = %v; want %v", got, tt.wantBefore)
			}
			loop.ProcessEvents(eventloop.AllEvents)
			if want := []int64{goroutineID()}; !slices.Equal(gids, want) {
				t.Errorf("calls on goroutines %v; want %v", gids, want)
			}
		})
	}
}

func TestInvokeMethodQueuedFIFOWithSignals(t *testing.T) {
	t.Parallel()
	loop := eventloop.Current()
	s, ctx := NewCounter(nil), NewCounter(nil)
	var got []string
	s.ValueChanged.Connect(ctx, ssRecorder(&got)("slot"), signals.QueuedConnection)
	s.ValueChanged.Emit(1)
	signals.InvokeMethod(ctx, func() { got = append(got, "invoke1") }, signals.QueuedConnection)
	s.ValueChanged.Emit(2)
	signals.InvokeMethod(ctx, func() { got = append(got, "invoke2") }, signals.QueuedConnection)
	loop.ProcessEvents(eventloop.AllEvents)
	if want := []string{"slot:1", "invoke1", "slot:2", "invoke2"}; !slices.Equal(got, want) {
		t.Errorf("got %v; want %v", got, want)
	}
}

func TestInvokeMethodQueuedDroppedWhenContextDeleted(t *testing.T) {
	t.Parallel()
	loop := eventloop.Current()
	ctx, other := NewCounter(nil), NewCounter(nil)
	var got []string
	if !signals.InvokeMethod(ctx, func() { got = append(got, "ctx") }, signals.QueuedConnection) {
		t.Fatal("InvokeMethod = false; want true")
	}
	signals.InvokeMethod(other, func() { got = append(got, "other") }, signals.QueuedConnection)
	ctx.Delete()
	loop.ProcessEvents(eventloop.AllEvents)
	if want := []string{"other"}; !slices.Equal(got, want) {
		t.Errorf("got %v; want %v", got, want)
	}
}

func TestInvokeMethodOtherLoop(t *testing.T) {
	t.Parallel()
	for _, kind := range ssLoopKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			l := kind.start(t)
			ctx := NewCounter(nil)
			loopGID := ssMoveTo(t, ctx, l)

			// Hold the loop so that a queued call cannot run early.
			entered, release := make(chan struct{}), make(chan struct{})
			signals.InvokeMethod(ctx, func() { close(entered); <-release })
			<-entered

			auto, queued := make(chan int64, 1), make(chan int64, 1)
			var direct []int64
			ok1 := signals.InvokeMethod(ctx, func() { auto <- goroutineID() })
			ok2 := signals.InvokeMethod(ctx, func() { queued <- goroutineID() }, signals.QueuedConnection)
			ok3 := signals.InvokeMethod(ctx, func() { direct = append(direct, goroutineID()) }, signals.DirectConnection)
			if !ok1 || !ok2 || !ok3 {
				t.Errorf("InvokeMethod auto, queued, direct = %v, %v, %v; want true, true, true", ok1, ok2, ok3)
			}
			if want := []int64{goroutineID()}; !slices.Equal(direct, want) {
				t.Errorf("direct: ran on goroutines %v when InvokeMethod returned; want %v (the caller's)", direct, want)
			}
			if len(auto) != 0 || len(queued) != 0 {
				t.Errorf("auto, queued calls ran while the context's loop was busy: %d, %d; want 0, 0", len(auto), len(queued))
			}
			close(release)
			if got := <-auto; got != loopGID {
				t.Errorf("auto: ran on goroutine %d; want the loop's %d", got, loopGID)
			}
			if got := <-queued; got != loopGID {
				t.Errorf("queued: ran on goroutine %d; want the loop's %d", got, loopGID)
			}

			var blocking int64 // plain: InvokeMethod must return after fn ran
			if !signals.InvokeMethod(ctx, func() { blocking = goroutineID() }, signals.BlockingQueuedConnection) {
				t.Errorf("blocking: InvokeMethod = false; want true")
			}
			if blocking != loopGID {
				t.Errorf("blocking: right after InvokeMethod, fn ran on goroutine %d; want the loop's %d", blocking, loopGID)
			}
		})
	}
}

func TestInvokeMethodBlockingOnOwnLoopPanics(t *testing.T) {
	t.Parallel()
	loop := eventloop.Current()
	ctx := NewCounter(nil)
	called := false
	p := panicOf(func() {
		signals.InvokeMethod(ctx, func() { called = true }, signals.BlockingQueuedConnection)
	})
	loop.ProcessEvents(eventloop.AllEvents)
	if p == nil {
		t.Fatal("InvokeMethod with BlockingQueuedConnection on the caller's own loop did not panic")
	}
	if msg := fmt.Sprint(p); !strings.Contains(strings.ToLower(msg), "dead lock") {
		t.Errorf("panic message %q does not mention a dead lock", msg)
	}
	if called {
		t.Errorf("fn was called")
	}
}
