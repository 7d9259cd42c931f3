package signals_test

// Tests of destruction (Qt reference §7, ~QObject) and deleteLater's
// loop-level rules (§9).

import (
	"fmt"
	"slices"
	"testing"

	"github.com/qtgo/qtgo/eventloop"
	"github.com/qtgo/qtgo/signals"
)

func TestDeleteOrder(t *testing.T) {
	t.Parallel()
	p := lcNew(nil, "p")
	c1 := lcNew(p, "c1")
	g11 := lcNew(c1, "g11")
	g12 := lcNew(c1, "g12")
	c2 := lcNew(p, "c2")
	c3 := lcNew(p, "c3")
	all := []*lcObj{p, c1, g11, g12, c2, c3}

	log := &lcLog{}
	for _, o := range all {
		o.Destroyed.Connect(nil, func(x signals.AnyObject) {
			if x != signals.AnyObject(o) {
				t.Errorf("Destroyed of %s carried %v; want the object itself", o.ObjectName(), x)
			}
			log.add(o.ObjectName())
		})
	}
	p.Delete()

	// Parent first, then the children in Children() order, each subtree
	// completely before the next sibling (deleteChildren deletes each child,
	// which deletes its own children).
	if got, want := log.get(), []string{"p", "c1", "g11", "g12", "c2", "c3"}; !slices.Equal(got, want) {
		t.Errorf("Destroyed order = %v; want %v", got, want)
	}
	for _, o := range all {
		if !o.IsDeleted() {
			t.Errorf("%s.IsDeleted() = false after deleting the root; want true", o.ObjectName())
		}
	}
}

func TestDestroyedEmittedBeforeChildrenAreDestroyed(t *testing.T) {
	t.Parallel()
	p := lcNew(nil, "p")
	kids := []*lcObj{lcNew(p, "c1"), lcNew(p, "c2")}
	ran := false
	p.Destroyed.Connect(nil, func(signals.AnyObject) {
		ran = true
		if got := lcNames(p.Children()); !slices.Equal(got, []string{"c1", "c2"}) {
			t.Errorf("inside p's Destroyed, p.Children() = %v; want [c1 c2]", got)
		}
		for _, c := range kids {
			if c.IsDeleted() {
				t.Errorf("inside p's Destroyed, %s is already deleted; want alive", c.ObjectName())
			}
			if c.Parent() != signals.AnyObject(p) {
				t.Errorf("inside p's Destroyed, %s.Parent() = %v; want p", c.ObjectName(), c.Parent())
			}
		}
	})
	p.Delete()
	if !ran {
		t.Fatal("p's Destroyed slot did not run")
	}
}

func TestDeleteChildDeletesItsSibling(t *testing.T) {
	t.Parallel()
	// Qt tst_QObject::childDeletesItsSibling: deleteChildren copes with a
	// child whose destructor deletes another child.
	tests := []struct {
		name    string
		victim  int // index of the sibling c1's Destruct deletes
		wantLog []string
	}{
		// c1's Destruct runs before c1 emits Destroyed, so c2 goes first.
		{"later sibling", 1, []string{"p", "c2", "c1", "c3"}},
		{"last sibling", 2, []string{"p", "c3", "c1", "c2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := lcNew(nil, "p")
			var sibs []*lcDestructing
			c1 := lcNewDestructing(p, "c1", func() { sibs[tt.victim].Delete() })
			sibs = []*lcDestructing{c1, lcNewDestructing(p, "c2", nil), lcNewDestructing(p, "c3", nil)}
			log := lcLogDestroyed(p, sibs[0], sibs[1], sibs[2])

			p.Delete()

			if got := log.get(); !slices.Equal(got, tt.wantLog) {
				t.Errorf("Destroyed order = %v; want %v (each exactly once)", got, tt.wantLog)
			}
			for _, s := range sibs {
				if !s.IsDeleted() {
					t.Errorf("%s not deleted", s.ObjectName())
				}
			}
		})
	}
}

func TestDeleteEmitsDestroyedEvenIfSignalsBlocked(t *testing.T) {
	t.Parallel()
	o := lcNew(nil, "o")
	pings, destroyed := 0, 0
	o.Ping.Connect(nil, func(int) { pings++ })
	o.Destroyed.Connect(nil, func(signals.AnyObject) { destroyed++ })
	o.BlockSignals(true)
	o.Ping.Emit(1)
	o.Delete()
	if pings != 0 {
		t.Errorf("blocked Ping reached %d slots; want 0", pings)
	}
	if destroyed != 1 {
		t.Errorf("Destroyed emitted %d times with signals blocked; want 1 (it cannot be blocked)", destroyed)
	}
	if o.SignalsBlocked() {
		t.Error("SignalsBlocked() = true after Delete; want false (~QObject forces blockSignals(false))")
	}
}

func TestDeleteBreaksConnections(t *testing.T) {
	t.Parallel()
	o := lcNew(nil, "o")
	src := lcNew(nil, "src")
	rcv := lcNew(nil, "rcv")
	calls := 0
	outgoing := o.Ping.Connect(rcv, func(int) { calls++ })
	outgoingNoCtx := o.Ping.Connect(nil, func(int) { calls++ })
	incoming := src.Ping.Connect(o, func(int) { calls++ })
	incomingQueued := src.Ping.Connect(o, func(int) { calls++ }, signals.QueuedConnection)
	destroyedConn := o.Destroyed.Connect(rcv, func(signals.AnyObject) {})
	var during []bool
	o.Destroyed.Connect(nil, func(signals.AnyObject) {
		// ~QObject disconnects after emitting destroyed.
		during = []bool{outgoing.Connected(), incoming.Connected()}
	})

	o.Delete()

	if want := []bool{true, true}; !slices.Equal(during, want) {
		t.Errorf("connections alive inside Destroyed = %v; want %v", during, want)
	}
	for name, c := range map[string]signals.Connection{
		"outgoing": outgoing, "outgoing without context": outgoingNoCtx,
		"incoming": incoming, "incoming queued": incomingQueued, "Destroyed": destroyedConn,
	} {
		if c.Connected() {
			t.Errorf("%s connection still connected after Delete", name)
		}
		if c.Disconnect() {
			t.Errorf("%s: Disconnect() after Delete = true; want false", name)
		}
	}
	src.Ping.Emit(1)
	eventloop.Current().ProcessEvents(eventloop.AllEvents)
	if calls != 0 {
		t.Errorf("slots called after Delete: %d; want 0", calls)
	}
	if src.Ping.IsConnected() {
		t.Error("src.Ping.IsConnected() = true; want false: its only receiver was deleted")
	}
	if got := src.Ping.Connect(o, func(int) {}); got.Connected() {
		t.Error("Connect to a deleted receiver returned a connected handle; want not connected")
	}
}

func TestDeleteDropsPendingQueuedCalls(t *testing.T) {
	t.Parallel()
	l := eventloop.Current()
	src := lcNew(nil, "src")
	o := lcNew(nil, "o")
	log := &lcLog{}
	src.Ping.Connect(o, func(v int) { log.add(fmt.Sprint("queued slot ", v)) }, signals.QueuedConnection)
	src.Ping.Emit(1)
	signals.InvokeMethod(o, func() { log.add("invoked") }, signals.QueuedConnection)
	signals.SingleShot(0, o, func() { log.add("single shot") })
	o.DeleteLater()

	o.Delete()

	// ~QObject removes the object's posted events (removePostedEvents).
	if l.HasPendingEvents() {
		t.Error("HasPendingEvents() = true after Delete; want false: the object's posted events are removed")
	}
	lcExecPass(l)
	if got := log.get(); len(got) != 0 {
		t.Errorf("calls delivered to a deleted object: %v; want none", got)
	}
}

func TestDeleteRemovesFromParent(t *testing.T) {
	t.Parallel()
	p := lcNew(nil, "p")
	lcNew(p, "c1")
	c2 := lcNew(p, "c2")
	lcNew(p, "c3")
	c2.Delete()
	if got, want := lcNames(p.Children()), []string{"c1", "c3"}; !slices.Equal(got, want) {
		t.Errorf("p.Children() after deleting c2 = %v; want %v", got, want)
	}
	if p.IsDeleted() {
		t.Error("deleting a child deleted its parent")
	}
}

func TestDeleteTwiceDoesNothing(t *testing.T) {
	t.Parallel()
	destructs, destroyed := 0, 0
	o := lcNewDestructing(nil, "o", func() { destructs++ })
	o.Destroyed.Connect(nil, func(signals.AnyObject) { destroyed++ })
	o.Delete()
	o.Delete()
	o.DeleteLater()
	lcExecPass(eventloop.Current())
	if destructs != 1 || destroyed != 1 {
		t.Errorf("Destruct ran %d times, Destroyed emitted %d times; want 1 and 1", destructs, destroyed)
	}
}

func TestDeleteCallsDestructorFirst(t *testing.T) {
	t.Parallel()
	log := &lcLog{}
	var o *lcDestructing
	var child *lcObj
	o = lcNewDestructing(nil, "o", func() {
		log.add(fmt.Sprintf("Destruct deleted=%v child deleted=%v", o.IsDeleted(), child.IsDeleted()))
		o.Ping.Emit(7) // the object is still fully connected, as in a C++ destructor
	})
	child = lcNew(o, "child")
	rcv := lcNew(nil, "rcv")
	o.Ping.Connect(rcv, func(v int) { log.add(fmt.Sprint("Ping ", v)) })
	o.Destroyed.Connect(nil, func(signals.AnyObject) { log.add("Destroyed") })
	child.Destroyed.Connect(nil, func(signals.AnyObject) { log.add("child Destroyed") })

	o.Delete()

	want := []string{"Destruct deleted=false child deleted=false", "Ping 7", "Destroyed", "child Destroyed"}
	if got := log.get(); !slices.Equal(got, want) {
		t.Errorf("order = %q; want %q", got, want)
	}
}

func TestDeleteFromAnotherGoroutineActsAsDeleteLater(t *testing.T) {
	t.Parallel()
	l := eventloop.Current()
	o := lcNew(nil, "o")
	lcNew(o, "child")
	log := &lcLog{}
	o.Destroyed.Connect(nil, func(signals.AnyObject) { log.add(fmt.Sprintf("destroyed on own loop=%v", l.IsCurrent())) })

	done := make(chan struct{})
	go func() {
		defer close(done)
		o.Delete()
	}()
	lcWait(t, done, "Delete on another goroutine")

	if o.IsDeleted() {
		t.Fatal("Delete from another goroutine destroyed the object at once; want it deferred to the object's loop")
	}
	// Level 0: not deleted by processEvents while no loop runs ...
	l.ProcessEvents(eventloop.AllEvents)
	if o.IsDeleted() {
		t.Error("deleted by ProcessEvents with no Exec running; want it kept until a loop runs")
	}
	// ... but in the first iteration of a running loop.
	lcExecPass(l)
	if !o.IsDeleted() {
		t.Fatal("not deleted by the first iteration of Exec")
	}
	if got, want := log.get(), []string{"destroyed on own loop=true"}; !slices.Equal(got, want) {
		t.Errorf("Destroyed = %v; want %v", got, want)
	}
}

func TestDeleteLaterBeforeExec(t *testing.T) {
	t.Parallel()
	l := eventloop.Current()
	o := lcNew(nil, "o")
	c := lcNew(o, "c")
	log := lcLogDestroyed(o, c)

	o.DeleteLater()
	if o.IsDeleted() {
		t.Fatal("DeleteLater deleted at once")
	}
	// QCoreApplication::processEvents with no running loop does not delete.
	l.ProcessEvents(eventloop.AllEvents)
	if o.IsDeleted() {
		t.Fatal("deleted by ProcessEvents before any Exec; want it kept until the loop runs")
	}

	el := l.NewEventLoop()
	l.Post(func() { log.add("event posted after DeleteLater") })
	l.Post(el.Quit)
	el.Exec()

	if got, want := log.get(), []string{"o", "c", "event posted after DeleteLater"}; !slices.Equal(got, want) {
		t.Errorf("log = %v; want %v: deleted in the first iteration once the loop runs", got, want)
	}
}

func TestDeleteLaterFromEventHandlerWaitsForControlToReturn(t *testing.T) {
	t.Parallel()
	// Each way of running code from the loop calls deleteLater and then
	// checks the object at three points: in the handler, in an event later
	// in the same pass, and in the next pass.
	triggers := []struct {
		name string
		run  func(l *eventloop.Loop, fn func())
	}{
		{"posted event", func(l *eventloop.Loop, fn func()) { l.Post(fn) }},
		{"queued slot", func(l *eventloop.Loop, fn func()) {
			src, rcv := lcNew(nil, "src"), lcNew(nil, "rcv")
			src.Ping.Connect(rcv, func(int) { fn() }, signals.QueuedConnection)
			src.Ping.Emit(1)
		}},
		{"InvokeMethod queued", func(l *eventloop.Loop, fn func()) {
			signals.InvokeMethod(lcNew(nil, "ctx"), fn, signals.QueuedConnection)
		}},
		{"SingleShot(0)", func(l *eventloop.Loop, fn func()) { signals.SingleShot(0, nil, fn) }},
		{"direct slot inside a posted event", func(l *eventloop.Loop, fn func()) {
			src := lcNew(nil, "src")
			src.Ping.Connect(src, func(int) { fn() })
			l.Post(func() { src.Ping.Emit(1) })
		}},
	}
	for _, tr := range triggers {
		t.Run(tr.name, func(t *testing.T) {
			t.Parallel()
			l := eventloop.Current()
			o := lcNew(nil, "o")
			log := lcLogDestroyed(o)
			el := l.NewEventLoop()
			tr.run(l, func() {
				o.DeleteLater()
				log.add(fmt.Sprintf("handler: deleted=%v", o.IsDeleted()))
			})
			l.Post(func() {
				log.add(fmt.Sprintf("same pass: deleted=%v", o.IsDeleted()))
				signals.SingleShot(0, nil, func() {
					log.add("next pass")
					el.Quit()
				})
			})
			el.Exec()
			want := []string{"handler: deleted=false", "same pass: deleted=false", "o", "next pass"}
			if got := log.get(); !slices.Equal(got, want) {
				t.Errorf("log = %q; want %q", got, want)
			}
		})
	}
}

func TestDeleteLaterNotRunByNestedEventLoop(t *testing.T) {
	t.Parallel()
	// "Entering and leaving a nested loop (e.g. a modal dialog) does not
	// delete it": control must return to the loop deleteLater was called in.
	l := eventloop.Current()
	o := lcNew(nil, "o")
	log := lcLogDestroyed(o)
	outer := l.NewEventLoop()
	l.Post(func() {
		o.DeleteLater()
		inner := l.NewEventLoop()
		l.Post(func() {
			log.add("inner pass 1")
			l.Post(func() {
				log.add("inner pass 2")
				inner.Quit()
			})
		})
		if code := inner.Exec(); code != 0 {
			t.Errorf("inner Exec() = %d; want 0", code)
		}
		log.add(fmt.Sprintf("after inner: deleted=%v", o.IsDeleted()))
		signals.SingleShot(0, nil, func() {
			log.add("outer next pass")
			outer.Quit()
		})
	})
	outer.Exec()
	want := []string{"inner pass 1", "inner pass 2", "after inner: deleted=false", "o", "outer next pass"}
	if got := log.get(); !slices.Equal(got, want) {
		t.Errorf("log = %q; want %q", got, want)
	}
}

func TestDeleteLaterFromEndedNestedLoopRunsInNextNestedLoop(t *testing.T) {
	t.Parallel()
	// Qt doc: objects deleteLater'd while a previous nested loop was running
	// are deleted as soon as a new nested loop starts.
	l := eventloop.Current()
	o := lcNew(nil, "o")
	log := lcLogDestroyed(o)
	outer := l.NewEventLoop()
	l.Post(func() {
		inner1 := l.NewEventLoop()
		l.Post(func() {
			o.DeleteLater()
			inner1.Quit()
		})
		inner1.Exec()
		log.add(fmt.Sprintf("after inner1: deleted=%v", o.IsDeleted()))
		inner2 := l.NewEventLoop()
		l.Post(inner2.Quit)
		inner2.Exec()
		log.add(fmt.Sprintf("after inner2: deleted=%v", o.IsDeleted()))
		outer.Quit()
	})
	outer.Exec()
	want := []string{"after inner1: deleted=false", "o", "after inner2: deleted=true"}
	if got := log.get(); !slices.Equal(got, want) {
		t.Errorf("log = %q; want %q", got, want)
	}
}

func TestDeleteLaterOnlyOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		do   func(o *lcDestructing)
	}{
		{"DeleteLater twice", func(o *lcDestructing) { o.DeleteLater(); o.DeleteLater() }},
		{"DeleteLater then Delete", func(o *lcDestructing) { o.DeleteLater(); o.Delete() }},
		{"Delete then DeleteLater", func(o *lcDestructing) { o.Delete(); o.DeleteLater() }},
		{"DeleteLater from inside Destroyed", func(o *lcDestructing) {
			o.Destroyed.Connect(nil, func(signals.AnyObject) { o.DeleteLater() })
			o.DeleteLater()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := eventloop.Current()
			destructs := 0
			o := lcNewDestructing(nil, "o", func() { destructs++ })
			log := lcLogDestroyed(o)
			tt.do(o)
			lcExecPass(l)
			lcExecPass(l)
			if got := log.get(); destructs != 1 || !slices.Equal(got, []string{"o"}) {
				t.Errorf("Destruct ran %d times, Destroyed log %v; want once each", destructs, got)
			}
			if l.HasPendingEvents() {
				t.Error("events still pending after the deletion; want none")
			}
		})
	}
}

func TestDeleteLaterFromAnotherGoroutine(t *testing.T) {
	t.Parallel()
	// Called from another thread the level is 0: deleted in the first
	// iteration of any running loop, even a nested one.
	l := eventloop.Current()
	o := lcNew(nil, "o")
	log := &lcLog{}
	o.Destroyed.Connect(nil, func(signals.AnyObject) { log.add(fmt.Sprintf("destroyed on own loop=%v", l.IsCurrent())) })
	outer := l.NewEventLoop()
	l.Post(func() {
		done := make(chan struct{})
		go func() {
			defer close(done)
			o.DeleteLater()
		}()
		lcWait(t, done, "DeleteLater on another goroutine")
		log.add(fmt.Sprintf("handler: deleted=%v", o.IsDeleted()))
		inner := l.NewEventLoop()
		l.Post(inner.Quit)
		inner.Exec()
		log.add(fmt.Sprintf("after inner: deleted=%v", o.IsDeleted()))
		outer.Quit()
	})
	outer.Exec()
	want := []string{"handler: deleted=false", "destroyed on own loop=true", "after inner: deleted=true"}
	if got := log.get(); !slices.Equal(got, want) {
		t.Errorf("log = %q; want %q", got, want)
	}
}

func TestDeleteLaterOfObjectOnARunningLoopOfAnotherGoroutine(t *testing.T) {
	t.Parallel()
	l2 := startLoop(t)
	o := lcNew(nil, "o")
	if !o.MoveToLoop(l2) {
		t.Fatal("MoveToLoop = false; want true")
	}
	done := make(chan bool, 1)
	o.Destroyed.Connect(nil, func(signals.AnyObject) { done <- l2.IsCurrent() })
	o.DeleteLater()
	select {
	case onL2 := <-done:
		if !onL2 {
			t.Error("destroyed on another goroutine; want on the object's loop goroutine")
		}
	case <-lcAfter(t):
		t.Fatal("object on a running loop not deleted")
	}
}
