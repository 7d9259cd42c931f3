package signals_test

// Tests of QObject's ownership tree (Qt reference §7): Init, Children,
// SetParent and the refusal of a parent on another loop. The lc* helpers at
// the end are shared by the lifecycle, timer, thread and application tests.

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qtgo/qtgo/eventloop"
	"github.com/qtgo/qtgo/signals"
)

func TestInitParentAndChildrenOrder(t *testing.T) {
	t.Parallel()
	p := lcNew(nil, "p")
	c1 := lcNew(p, "c1")
	c2 := lcNew(p, "c2")
	c3 := lcNew(p, "c3")

	if got := p.Parent(); got != nil {
		t.Errorf("p.Parent() = %v; want nil", got)
	}
	if got, want := lcNames(p.Children()), []string{"c1", "c2", "c3"}; !slices.Equal(got, want) {
		t.Fatalf("p.Children() = %v; want %v", got, want)
	}
	for i, want := range []*lcObj{c1, c2, c3} {
		got, ok := p.Children()[i].(*lcObj)
		if !ok || got != want {
			t.Errorf("p.Children()[%d] = %v (%T); want the *lcObj passed to Init, %v", i, got, p.Children()[i], want)
		}
		if par, ok := want.Parent().(*lcObj); !ok || par != p {
			t.Errorf("%s.Parent() = %v; want p (the *lcObj passed to Init)", want.ObjectName(), want.Parent())
		}
		if want.Loop() != p.Loop() {
			t.Errorf("%s.Loop() = %v; want the parent's loop %v", want.ObjectName(), want.Loop(), p.Loop())
		}
	}
	if got, want := p.Loop(), eventloop.Current(); got != want {
		t.Errorf("parentless object's Loop() = %v; want the creating goroutine's loop %v", got, want)
	}
	// Children returns a copy: changing it does not change the tree.
	kids := p.Children()
	kids[0] = nil
	if got := lcNames(p.Children()); !slices.Equal(got, []string{"c1", "c2", "c3"}) {
		t.Errorf("after modifying the returned slice, p.Children() = %v; want [c1 c2 c3]", got)
	}
}

func TestInitChildOfChildInheritsLoopThroughTree(t *testing.T) {
	t.Parallel()
	th := signals.NewThread(nil) // never started: its loop is just another loop
	p := lcNew(nil, "p")
	c := lcNew(p, "c")
	if !p.MoveToThread(th) {
		t.Fatal("MoveToThread before Start = false; want true")
	}
	if got, want := c.Loop(), th.ThreadLoop(); got != want {
		t.Errorf("child Loop() after moving the parent = %v; want %v", got, want)
	}
	if got := lcNames(p.Children()); !slices.Equal(got, []string{"c"}) {
		t.Errorf("p.Children() = %v; want [c]", got)
	}
}

func TestSetParent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name             string
		move             func(a, b *lcObj, c []*lcObj)
		wantA, wantB     []string
		wantParentOfC1   string // "" for none
		wantChildrenOfC1 []string
	}{
		{
			name:           "to another parent appends at the end",
			move:           func(a, b *lcObj, c []*lcObj) { c[0].SetParent(b) },
			wantA:          []string{"c2", "c3"},
			wantB:          []string{"b1", "c1"},
			wantParentOfC1: "b",
		},
		{
			name:           "middle child to another parent",
			move:           func(a, b *lcObj, c []*lcObj) { c[1].SetParent(b) },
			wantA:          []string{"c1", "c3"},
			wantB:          []string{"b1", "c2"},
			wantParentOfC1: "a",
		},
		{
			name:           "same parent is a no-op and keeps the position",
			move:           func(a, b *lcObj, c []*lcObj) { c[0].SetParent(a) },
			wantA:          []string{"c1", "c2", "c3"},
			wantB:          []string{"b1"},
			wantParentOfC1: "a",
		},
		{
			name:           "nil makes it parentless",
			move:           func(a, b *lcObj, c []*lcObj) { c[0].SetParent(nil) },
			wantA:          []string{"c2", "c3"},
			wantB:          []string{"b1"},
			wantParentOfC1: "",
		},
		{
			name:           "away and back appends at the end",
			move:           func(a, b *lcObj, c []*lcObj) { c[0].SetParent(b); c[0].SetParent(a) },
			wantA:          []string{"c2", "c3", "c1"},
			wantB:          []string{"b1"},
			wantParentOfC1: "a",
		},
		{
			name:           "parentless object gets a parent",
			move:           func(a, b *lcObj, c []*lcObj) { c[0].SetParent(nil); c[0].SetParent(b) },
			wantA:          []string{"c2", "c3"},
			wantB:          []string{"b1", "c1"},
			wantParentOfC1: "b",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, b := lcNew(nil, "a"), lcNew(nil, "b")
			c := []*lcObj{lcNew(a, "c1"), lcNew(a, "c2"), lcNew(a, "c3")}
			lcNew(b, "b1")
			tt.move(a, b, c)
			if got := lcNames(a.Children()); !slices.Equal(got, tt.wantA) {
				t.Errorf("a.Children() = %v; want %v", got, tt.wantA)
			}
			if got := lcNames(b.Children()); !slices.Equal(got, tt.wantB) {
				t.Errorf("b.Children() = %v; want %v", got, tt.wantB)
			}
			var gotParent string
			if p := c[0].Parent(); p != nil {
				gotParent = p.(*lcObj).ObjectName()
			}
			if gotParent != tt.wantParentOfC1 {
				t.Errorf("c1.Parent() = %q; want %q", gotParent, tt.wantParentOfC1)
			}
		})
	}
}

func TestSetParentKeepsGrandchildren(t *testing.T) {
	t.Parallel()
	a, b := lcNew(nil, "a"), lcNew(nil, "b")
	c := lcNew(a, "c")
	lcNew(c, "g1")
	lcNew(c, "g2")
	c.SetParent(b)
	if got := lcNames(c.Children()); !slices.Equal(got, []string{"g1", "g2"}) {
		t.Errorf("c.Children() after reparenting = %v; want [g1 g2]", got)
	}
	// Deleting the new parent deletes the moved subtree; the old one is untouched.
	log := lcLogDestroyed(a, b, c)
	for _, g := range c.Children() {
		lcLogDestroyedInto(log, g.(*lcObj))
	}
	b.Delete()
	if got, want := log.get(), []string{"b", "c", "g1", "g2"}; !slices.Equal(got, want) {
		t.Errorf("destroyed after deleting the new parent = %v; want %v", got, want)
	}
	if a.IsDeleted() {
		t.Error("old parent was deleted with the moved child; want it alive")
	}
}

// The warning tests install the global message handler, so they run
// sequentially (no t.Parallel): parallel tests run only after every
// sequential one has finished, so no other test's warnings reach them.

func TestInitParentOnAnotherLoopIsRefused(t *testing.T) {
	t.Run("parent moved to another thread's loop", func(t *testing.T) {
		w := lcCaptureWarnings(t)
		th := signals.NewThread(nil) // never started
		p := lcNew(nil, "p")
		p.MoveToThread(th)
		c := lcNew(p, "c")
		w.want(t, "QObject: Cannot create children for a parent that is in a different thread.")
		if got := c.Parent(); got != nil {
			t.Errorf("c.Parent() = %v; want nil (created without parent)", got)
		}
		if got := p.Children(); len(got) != 0 {
			t.Errorf("p.Children() = %v; want none", lcNames(got))
		}
		if got, want := c.Loop(), eventloop.Current(); got != want {
			t.Errorf("c.Loop() = %v; want the creating goroutine's loop %v", got, want)
		}
	})
	t.Run("child created on another goroutine", func(t *testing.T) {
		w := lcCaptureWarnings(t)
		p := lcNew(nil, "p")
		var c *lcObj
		var cl *eventloop.Loop
		done := make(chan struct{})
		go func() {
			defer close(done)
			c = lcNew(p, "c")
			cl = eventloop.Current()
		}()
		<-done
		w.want(t, "QObject: Cannot create children for a parent that is in a different thread.")
		if got := c.Parent(); got != nil {
			t.Errorf("c.Parent() = %v; want nil", got)
		}
		if got := p.Children(); len(got) != 0 {
			t.Errorf("p.Children() = %v; want none", lcNames(got))
		}
		if c.Loop() != cl || c.Loop() == p.Loop() {
			t.Errorf("c.Loop() = %v; want the creating goroutine's loop %v, not the parent's %v", c.Loop(), cl, p.Loop())
		}
	})
}

func TestSetParentOnAnotherLoopIsRefused(t *testing.T) {
	w := lcCaptureWarnings(t)
	th := signals.NewThread(nil) // never started
	other := lcNew(nil, "other")
	other.MoveToThread(th)
	a := lcNew(nil, "a")
	c := lcNew(a, "c")
	lcNew(a, "d")

	c.SetParent(other)

	w.want(t, "QObject::setParent: Cannot set parent, new parent is in a different thread")
	if got := c.Parent(); got != nil {
		t.Errorf("c.Parent() = %v; want nil: Qt leaves the object parentless", got)
	}
	if got := lcNames(a.Children()); !slices.Equal(got, []string{"d"}) {
		t.Errorf("old parent's Children() = %v; want [d]", got)
	}
	if got := other.Children(); len(got) != 0 {
		t.Errorf("refused parent's Children() = %v; want none", lcNames(got))
	}
	if got, want := c.Loop(), a.Loop(); got != want {
		t.Errorf("c.Loop() = %v; want unchanged %v", got, want)
	}
}

func TestObjectNameChangedOnlyOnChange(t *testing.T) {
	t.Parallel()
	o := lcNew(nil, "")
	var got []string
	o.ObjectNameChanged.Connect(nil, func(s string) { got = append(got, s) })
	o.SetObjectName("a")
	o.SetObjectName("a")
	o.SetObjectName("b")
	o.SetObjectName("")
	if want := []string{"a", "b", ""}; !slices.Equal(got, want) {
		t.Errorf("ObjectNameChanged emissions = %q; want %q", got, want)
	}
	if o.ObjectName() != "" {
		t.Errorf("ObjectName() = %q; want empty", o.ObjectName())
	}
}

// ---- helpers shared by this package's lifecycle, timer, thread and
// application tests (prefixed lc to stay apart from helpers_test.go) ----

// lcObj is a plain object with a name and one signal.
type lcObj struct {
	signals.Object
	Ping signals.Signal[int]
}

// lcNew returns an lcObj named name; parent may be nil.
func lcNew(parent signals.AnyObject, name string) *lcObj {
	o := &lcObj{}
	signals.Init(o, parent)
	o.SetObjectName(name)
	return o
}

// lcDestructing is an object whose Destruct runs a hook (a C++ destructor).
type lcDestructing struct {
	signals.Object
	Ping       signals.Signal[int]
	onDestruct func()
}

func (d *lcDestructing) Destruct() {
	if d.onDestruct != nil {
		d.onDestruct()
	}
}

func lcNewDestructing(parent signals.AnyObject, name string, onDestruct func()) *lcDestructing {
	d := &lcDestructing{onDestruct: onDestruct}
	signals.Init(d, parent)
	d.SetObjectName(name)
	return d
}

// lcNames returns the objects' names.
func lcNames(objs []signals.AnyObject) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		if o == nil {
			out[i] = "<nil>"
			continue
		}
		out[i] = o.AsObject().ObjectName()
	}
	return out
}

// lcLog is a log of events that any goroutine may add to.
type lcLog struct {
	mu sync.Mutex
	s  []string
}

func (l *lcLog) add(s string) {
	l.mu.Lock()
	l.s = append(l.s, s)
	l.mu.Unlock()
}

func (l *lcLog) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.s)
}

// lcLogDestroyed returns a log that records each object's name when it
// emits Destroyed.
func lcLogDestroyed(objs ...signals.AnyObject) *lcLog {
	log := &lcLog{}
	for _, o := range objs {
		lcLogDestroyedInto(log, o)
	}
	return log
}

func lcLogDestroyedInto(log *lcLog, o signals.AnyObject) {
	o.AsObject().Destroyed.Connect(nil, func(x signals.AnyObject) { log.add(x.AsObject().ObjectName()) })
}

// lcWarnMu serialises the tests that install the global message handler.
var lcWarnMu sync.Mutex

type lcWarnings struct {
	mu   sync.Mutex
	msgs []string
}

// lcCaptureWarnings installs a message handler for the rest of the test and
// restores the previous one at cleanup. Tests that use it must not be
// parallel.
func lcCaptureWarnings(t *testing.T) *lcWarnings {
	t.Helper()
	lcWarnMu.Lock()
	w := &lcWarnings{}
	prev := signals.InstallMessageHandler(func(msg string) {
		w.mu.Lock()
		w.msgs = append(w.msgs, msg)
		w.mu.Unlock()
	})
	t.Cleanup(func() {
		signals.InstallMessageHandler(prev)
		lcWarnMu.Unlock()
	})
	return w
}

func (w *lcWarnings) get() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.msgs)
}

// want checks that exactly one warning was issued and that it starts with
// prefix (Qt appends details to some of its messages), then clears the list.
func (w *lcWarnings) want(t *testing.T, prefix string) {
	t.Helper()
	w.mu.Lock()
	got := w.msgs
	w.msgs = nil
	w.mu.Unlock()
	if len(got) != 1 || !strings.HasPrefix(got[0], prefix) {
		t.Errorf("warnings = %q; want one starting with %q", got, prefix)
	}
}

// none checks that no warning was issued.
func (w *lcWarnings) none(t *testing.T) {
	t.Helper()
	if got := w.get(); len(got) != 0 {
		t.Errorf("warnings = %q; want none", got)
	}
}

// lcTimeout bounds every wait on real time, so that a bug fails the test
// instead of hanging it.
const lcTimeout = 10 * time.Second

// lcRunUntil runs the calling goroutine's loop until cond holds, failing the
// test after lcTimeout. cond runs on the calling goroutine.
func lcRunUntil(t *testing.T, cond func() bool) {
	t.Helper()
	l := eventloop.Current()
	timedOut := false
	h := l.StartTimer(lcTimeout, eventloop.PreciseTimer, func() { timedOut = true })
	defer h.Stop()
	for !cond() {
		if timedOut {
			t.Fatalf("condition not met after %v", lcTimeout)
		}
		l.ProcessEvents(eventloop.WaitForMoreEvents)
	}
}

// lcExecPass runs one Exec level of l that delivers what is queued now and
// then quits: the "first iteration of a running loop".
func lcExecPass(l *eventloop.Loop) {
	el := l.NewEventLoop()
	l.Post(el.Quit)
	el.Exec()
}

// lcWait waits for ch, failing the test after lcTimeout.
func lcWait(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	timer := time.NewTimer(lcTimeout)
	defer timer.Stop()
	select {
	case <-ch:
	case <-timer.C:
		t.Fatalf("timed out after %v waiting for %s", lcTimeout, what)
	}
}

// lcAfter returns a channel that receives after lcTimeout.
func lcAfter(t *testing.T) <-chan time.Time {
	timer := time.NewTimer(lcTimeout)
	t.Cleanup(func() { timer.Stop() })
	return timer.C
}

// lcWaitThread waits for th to finish, failing the test after lcTimeout.
func lcWaitThread(t *testing.T, th *signals.Thread) {
	t.Helper()
	if !th.WaitTimeout(lcTimeout) {
		t.Fatalf("thread did not finish within %v", lcTimeout)
	}
}
