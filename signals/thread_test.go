package signals_test

// Tests of Thread (QThread) and of affinity changes with MoveToThread and
// MoveToLoop, Qt reference §11. Every started thread is quit and waited for.

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/qtgo/qtgo/eventloop"
	"github.com/qtgo/qtgo/signals"
)

// lcWorker is the worker of Qt's QThread documentation.
type lcWorker struct {
	signals.Object
	// Result carries the result and whether Work ran on the worker's loop.
	Result signals.Signal2[int, bool]
}

func lcNewWorker() *lcWorker {
	w := &lcWorker{}
	signals.Init(w, nil)
	return w
}

// Work is a slot.
func (w *lcWorker) Work(n int) { w.Result.Emit(n*n, w.Loop().IsCurrent()) }

func TestThreadStartedRunFinished(t *testing.T) {
	t.Parallel()
	testLoop := eventloop.Current()
	direct := &lcLog{}
	var th *signals.Thread
	th = signals.CreateThread(func() {
		direct.add(fmt.Sprintf("run onThread=%v", th.ThreadLoop().IsCurrent()))
	})
	th.Started.Connect(nil, func() { direct.add(fmt.Sprintf("Started onThread=%v", th.ThreadLoop().IsCurrent())) })
	th.Finished.Connect(nil, func() { direct.add(fmt.Sprintf("Finished onThread=%v", th.ThreadLoop().IsCurrent())) })
	// A receiver living on the test's loop gets both signals queued.
	rcv := lcNew(nil, "rcv")
	var queued []string
	th.Started.Connect(rcv, func() { queued = append(queued, fmt.Sprintf("Started onTestLoop=%v", testLoop.IsCurrent())) })
	th.Finished.Connect(rcv, func() { queued = append(queued, fmt.Sprintf("Finished onTestLoop=%v", testLoop.IsCurrent())) })

	if th.Loop() != testLoop {
		t.Errorf("the Thread object lives on %v; want the creating goroutine's loop %v", th.Loop(), testLoop)
	}
	th.Start()
	lcWaitThread(t, th)

	want := []string{"Started onThread=true", "run onThread=true", "Finished onThread=true"}
	if got := direct.get(); !slices.Equal(got, want) {
		t.Errorf("on the thread: %q; want %q", got, want)
	}
	if len(queued) != 0 {
		t.Errorf("queued slots ran before the test's loop ran: %q", queued)
	}
	lcRunUntil(t, func() bool { return len(queued) == 2 })
	if want := []string{"Started onTestLoop=true", "Finished onTestLoop=true"}; !slices.Equal(queued, want) {
		t.Errorf("queued to the test's loop: %q; want %q", queued, want)
	}
}

func TestThreadRunningAndFinishedTransitions(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var th *signals.Thread
	state := func(where string) string {
		return fmt.Sprintf("%s running=%v finished=%v", where, th.IsRunning(), th.IsFinished())
	}
	log := &lcLog{}
	th = signals.CreateThread(func() {
		log.add(state("run"))
		<-release
	})
	th.Started.Connect(nil, func() { log.add(state("Started")) })
	// QThread::isFinished is already true (and isRunning false) while
	// finished() is being emitted (isInFinish).
	th.Finished.Connect(nil, func() { log.add(state("Finished")) })

	log.add(state("before Start"))
	th.Start()
	log.add(state("after Start"))
	close(release)
	lcWaitThread(t, th)
	log.add(state("after Wait"))

	want := []string{
		"before Start running=false finished=false",
		"after Start running=true finished=false",
		"Started running=true finished=false",
		"run running=true finished=false",
		"Finished running=false finished=true",
		"after Wait running=false finished=true",
	}
	got := log.get()
	// "after Start" may be logged before or after the thread's first entries.
	if i := slices.Index(got, want[1]); i >= 0 {
		got = slices.Delete(got, i, i+1)
		got = slices.Insert(got, 1, want[1])
	}
	if !slices.Equal(got, want) {
		t.Errorf("states:\n got %q\nwant %q", log.get(), want)
	}
}

func TestThreadQuitAndWait(t *testing.T) {
	t.Parallel()
	th := signals.NewThread(nil)
	running := make(chan struct{})
	th.ThreadLoop().Post(func() { close(running) }) // delivered once its Exec runs
	th.Start()
	lcWait(t, running, "the thread's loop to run")
	if !th.IsRunning() {
		t.Error("IsRunning() = false while its loop runs")
	}
	th.Quit()
	lcWaitThread(t, th)
	if th.IsRunning() || !th.IsFinished() {
		t.Errorf("after Quit and Wait: IsRunning() = %v, IsFinished() = %v; want false, true", th.IsRunning(), th.IsFinished())
	}
	th.Wait() // returns at once for a finished thread
	if !th.WaitTimeout(0) {
		t.Error("WaitTimeout(0) on a finished thread = false; want true")
	}
	if unstarted := signals.NewThread(nil); !unstarted.WaitTimeout(0) {
		t.Error("WaitTimeout(0) on a thread never started = false; want true")
	}
}

func TestThreadQuitRightAfterStartIsNotLost(t *testing.T) {
	t.Parallel()
	// QThread remembers an exit() made after start() but before its loop
	// runs. Repeated to catch the window before the loop starts.
	for i := range 200 {
		th := signals.NewThread(nil)
		th.Start()
		th.Quit()
		if !th.WaitTimeout(lcTimeout) {
			t.Fatalf("iteration %d: thread quit right after Start did not finish", i)
		}
	}
}

func TestThreadExecReturnsExitCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// exit is called once the thread's goroutine is about to call
		// Exec (before=true) or runs its loop.
		exit func(th *signals.Thread)
		when string // "before Start", "after Start", "while running"
		want int
	}{
		{"Exit while Exec runs", func(th *signals.Thread) { th.Exit(42) }, "while running", 42},
		{"Quit while Exec runs", func(th *signals.Thread) { th.Quit() }, "while running", 0},
		{"Exit right after Start", func(th *signals.Thread) { th.Exit(-3) }, "after Start", -3},
		{"Exit before Start is forgotten", func(th *signals.Thread) { th.Exit(5) }, "before Start", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var th *signals.Thread
			codes := make(chan int, 1)
			th = signals.CreateThread(func() { codes <- th.Exec() })
			running := make(chan struct{})
			th.ThreadLoop().Post(func() { close(running) })
			switch tt.when {
			case "before Start":
				tt.exit(th)
				th.Start()
				lcWait(t, running, "the thread's loop to run")
				th.Quit()
			case "after Start":
				th.Start()
				tt.exit(th)
			case "while running":
				th.Start()
				lcWait(t, running, "the thread's loop to run")
				tt.exit(th)
			}
			lcWaitThread(t, th)
			if got := <-codes; got != tt.want {
				t.Errorf("Exec() = %d; want %d", got, tt.want)
			}
		})
	}
}

func TestThreadExecAgainAfterExit(t *testing.T) {
	t.Parallel()
	var th *signals.Thread
	codes := make(chan int, 2)
	first := make(chan struct{})
	th = signals.CreateThread(func() {
		codes <- th.Exec()
		close(first)
		codes <- th.Exec()
	})
	running := make(chan struct{})
	th.ThreadLoop().Post(func() { close(running) })
	th.Start()
	lcWait(t, running, "the thread's loop to run")
	th.Exit(1)
	lcWait(t, first, "the first Exec to return")
	th.Exit(2)
	lcWaitThread(t, th)
	if a, b := <-codes, <-codes; a != 1 || b != 2 {
		t.Errorf("Exec() returned %d then %d; want 1 then 2", a, b)
	}
}

func TestThreadWorkerRunsSlotsOnThread(t *testing.T) {
	t.Parallel()
	testLoop := eventloop.Current()
	th := startThread(t)
	worker := lcNewWorker()
	if !worker.MoveToThread(th) {
		t.Fatal("MoveToThread = false; want true")
	}
	if worker.Loop() != th.ThreadLoop() {
		t.Fatalf("worker.Loop() = %v; want the thread's loop %v", worker.Loop(), th.ThreadLoop())
	}
	controller := lcNew(nil, "controller")
	controller.Ping.Connect(worker, worker.Work) // AutoConnection: queued to the thread
	var results []string
	worker.Result.Connect(controller, func(v int, onThread bool) {
		results = append(results, fmt.Sprintf("%d workOnThread=%v deliveredOnTestLoop=%v", v, onThread, testLoop.IsCurrent()))
	})
	for _, n := range []int{1, 2, 3} {
		controller.Ping.Emit(n)
	}
	lcRunUntil(t, func() bool { return len(results) == 3 })
	want := []string{
		"1 workOnThread=true deliveredOnTestLoop=true",
		"4 workOnThread=true deliveredOnTestLoop=true",
		"9 workOnThread=true deliveredOnTestLoop=true",
	}
	if !slices.Equal(results, want) {
		t.Errorf("results = %q; want %q", results, want)
	}
}

func TestThreadFinishedConnectedToDeleteLaterDeletesWorker(t *testing.T) {
	t.Parallel()
	th := signals.NewThread(nil)
	worker := lcNewWorker()
	worker.MoveToThread(th)
	destroyed := make(chan bool, 1)
	worker.Destroyed.Connect(nil, func(signals.AnyObject) { destroyed <- th.ThreadLoop().IsCurrent() })
	th.Finished.Connect(worker, worker.DeleteLater)

	th.Start()
	th.Quit()
	lcWaitThread(t, th)

	select {
	case onThread := <-destroyed:
		if !onThread {
			t.Error("worker destroyed off its thread; want on the thread's goroutine")
		}
	default:
		t.Fatal("worker not destroyed by the time Wait returned; want deleted by the thread's final DeferredDelete pass")
	}
	if !worker.IsDeleted() {
		t.Error("worker.IsDeleted() = false")
	}
}

func TestThreadDeletesDeleteLaterObjectsWhenItFinishes(t *testing.T) {
	t.Parallel()
	// An object created inside the thread's function lives on its loop; in a
	// thread with no running loop a deleteLater'd object is destroyed when
	// the thread finishes.
	var th *signals.Thread
	var o *lcObj
	log := &lcLog{}
	th = signals.CreateThread(func() {
		o = lcNew(nil, "o")
		o.Destroyed.Connect(nil, func(signals.AnyObject) {
			log.add(fmt.Sprintf("destroyed onThread=%v", th.ThreadLoop().IsCurrent()))
		})
		log.add(fmt.Sprintf("lives on thread loop=%v", o.Loop() == th.ThreadLoop()))
		o.DeleteLater()
		log.add(fmt.Sprintf("after DeleteLater deleted=%v", o.IsDeleted()))
	})
	th.Finished.Connect(nil, func() { log.add(fmt.Sprintf("Finished deleted=%v", o.IsDeleted())) })
	th.Start()
	lcWaitThread(t, th)
	want := []string{"lives on thread loop=true", "after DeleteLater deleted=false", "Finished deleted=false", "destroyed onThread=true"}
	if got := log.get(); !slices.Equal(got, want) {
		t.Errorf("log = %q; want %q", got, want)
	}
}

// The refusal tests capture warnings, so they are not parallel.

func TestMoveToThreadRefused(t *testing.T) {
	t.Run("object with a parent", func(t *testing.T) {
		w := lcCaptureWarnings(t)
		th := signals.NewThread(nil) // never started
		p := lcNew(nil, "p")
		c := lcNew(p, "c")
		if c.MoveToThread(th) {
			t.Error("MoveToThread of an object with a parent = true; want false")
		}
		w.want(t, "QObject::moveToThread: Cannot move objects with a parent")
		if c.Loop() != p.Loop() {
			t.Errorf("c.Loop() = %v; want unchanged %v", c.Loop(), p.Loop())
		}
		if c.Parent() != signals.AnyObject(p) {
			t.Error("the refused move changed the parent")
		}
	})
	t.Run("from a goroutine other than the object's", func(t *testing.T) {
		w := lcCaptureWarnings(t)
		th := signals.NewThread(nil)
		o := lcNew(nil, "o")
		l := o.Loop()
		res := make(chan bool, 1)
		go func() { res <- o.MoveToThread(th) }()
		if <-res {
			t.Error("MoveToThread from another goroutine = true; want false (only push from the object's thread)")
		}
		w.want(t, "QObject::moveToThread: Current thread")
		if o.Loop() != l {
			t.Errorf("o.Loop() = %v; want unchanged %v", o.Loop(), l)
		}
	})
	t.Run("already there succeeds even with a parent", func(t *testing.T) {
		w := lcCaptureWarnings(t)
		p := lcNew(nil, "p")
		c := lcNew(p, "c")
		if !c.MoveToLoop(c.Loop()) {
			t.Error("MoveToLoop to the object's own loop = false; want true")
		}
		w.none(t)
	})
}

func TestMoveToThreadMovesChildrenAndPendingEvents(t *testing.T) {
	t.Parallel()
	testLoop := eventloop.Current()
	th := signals.NewThread(nil)
	o := lcNew(nil, "o")
	c := lcNew(o, "c")
	g := lcNew(c, "g")
	src := lcNew(nil, "src")
	stay := lcNew(nil, "stay")
	log := &lcLog{}
	rec := func(s string) func() {
		return func() { log.add(fmt.Sprintf("%s onThread=%v", s, th.ThreadLoop().IsCurrent())) }
	}
	for _, x := range []*lcObj{o, c, stay} {
		src.Ping.Connect(x, func(v int) { rec(fmt.Sprintf("%s %d", x.ObjectName(), v))() }, signals.QueuedConnection)
	}
	src.Ping.Emit(1)
	signals.InvokeMethod(g, rec("g invoked"), signals.QueuedConnection)
	src.Ping.Emit(2)
	signals.SingleShot(0, o, rec("o single shot"))

	if !o.MoveToThread(th) {
		t.Fatal("MoveToThread = false; want true")
	}
	for _, x := range []*lcObj{o, c, g} {
		if x.Loop() != th.ThreadLoop() {
			t.Errorf("%s.Loop() = %v; want the thread's loop", x.ObjectName(), x.Loop())
		}
	}
	if stay.Loop() != testLoop {
		t.Error("an unrelated object moved too")
	}

	// Only the unrelated object's calls are still on the test's loop.
	testLoop.ProcessEvents(eventloop.AllEvents)
	if want := []string{"stay 1 onThread=false", "stay 2 onThread=false"}; !slices.Equal(log.get(), want) {
		t.Fatalf("delivered on the test's loop: %q; want %q", log.get(), want)
	}
	if testLoop.HasPendingEvents() {
		t.Error("events left on the test's loop after the move")
	}

	done := make(chan struct{})
	signals.InvokeMethod(o, func() { close(done) }, signals.QueuedConnection) // posted after the moved ones
	th.Start()
	lcWait(t, done, "the moved events")
	th.Quit()
	lcWaitThread(t, th)
	want := []string{
		"stay 1 onThread=false", "stay 2 onThread=false",
		"o 1 onThread=true", "c 1 onThread=true", "g invoked onThread=true",
		"o 2 onThread=true", "c 2 onThread=true", "o single shot onThread=true",
	}
	if got := log.get(); !slices.Equal(got, want) {
		t.Errorf("log:\n got %q\nwant %q", got, want)
	}
}

func TestMoveToThreadBeforeStartEventsWaitForStart(t *testing.T) {
	t.Parallel()
	testLoop := eventloop.Current()
	th := signals.NewThread(nil)
	o := lcNew(nil, "o")
	if !o.MoveToThread(th) {
		t.Fatal("MoveToThread before Start = false; want true")
	}
	src := lcNew(nil, "src")
	ran := make(chan bool, 1)
	src.Ping.Connect(o, func(int) { ran <- th.ThreadLoop().IsCurrent() }) // AutoConnection
	src.Ping.Emit(1)
	if testLoop.HasPendingEvents() {
		t.Error("the call was queued on the test's loop; want the thread's")
	}
	select {
	case <-ran:
		t.Fatal("slot ran before the thread started")
	default:
	}
	th.Start()
	defer func() {
		th.Quit()
		lcWaitThread(t, th)
	}()
	select {
	case onThread := <-ran:
		if !onThread {
			t.Error("slot ran off the thread")
		}
	case <-lcAfter(t):
		t.Fatal("queued call not delivered after Start")
	}
}

func TestMoveToThreadCarriesPendingDeleteLater(t *testing.T) {
	t.Parallel()
	th := startThread(t)
	o := lcNew(nil, "o")
	destroyed := make(chan bool, 1)
	o.Destroyed.Connect(nil, func(signals.AnyObject) { destroyed <- th.ThreadLoop().IsCurrent() })
	o.DeleteLater()
	if !o.MoveToThread(th) {
		t.Fatal("MoveToThread = false")
	}
	select {
	case onThread := <-destroyed:
		if !onThread {
			t.Error("destroyed off the thread; want on the thread the object moved to")
		}
	case <-lcAfter(t):
		t.Fatal("the moved deferred delete did not run on the thread's loop")
	}
}

func TestMoveToLoop(t *testing.T) {
	t.Parallel()
	l2 := startLoop(t)
	o := lcNew(nil, "o")
	c := lcNew(o, "c")
	if !o.MoveToLoop(l2) {
		t.Fatal("MoveToLoop = false; want true")
	}
	if o.Loop() != l2 || c.Loop() != l2 {
		t.Fatalf("after MoveToLoop: o on %v, c on %v; want both on %v", o.Loop(), c.Loop(), l2)
	}
	ran := make(chan bool, 1)
	if !signals.InvokeMethod(c, func() { ran <- l2.IsCurrent() }) { // AutoConnection: queued
		t.Fatal("InvokeMethod = false")
	}
	select {
	case onL2 := <-ran:
		if !onL2 {
			t.Error("ran off the target loop")
		}
	case <-lcAfter(t):
		t.Fatal("call not delivered on the target loop")
	}
	// Its own goroutine may push it back.
	testLoop := eventloop.Current()
	back := make(chan bool, 1)
	l2.Post(func() { back <- o.MoveToLoop(testLoop) })
	select {
	case ok := <-back:
		if !ok || o.Loop() != testLoop || c.Loop() != testLoop {
			t.Errorf("MoveToLoop back from l2's goroutine = %v, o on %v; want true, %v", ok, o.Loop(), testLoop)
		}
	case <-lcAfter(t):
		t.Fatal("l2 did not run the posted move")
	}
}

func TestMoveToThreadRestartsActiveTimer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		startFirst bool // start the thread before the move
		viaParent  bool // move the timer's parent instead of the timer
		wantAt     []time.Duration
	}{
		// Started at 0 with 10ms, moved at 6ms: restarted there, same interval.
		{"running thread", true, false, []time.Duration{16 * ms, 26 * ms}},
		{"moved with its parent", true, true, []time.Duration{16 * ms, 26 * ms}},
		// Moved at 6ms to a thread started at 20ms: overdue, fires at once,
		// then at the previous due time plus the interval.
		{"thread started later", false, false, []time.Duration{20 * ms, 26 * ms}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				th := signals.NewThread(nil)
				var parent *lcObj
				var tm *signals.Timer
				if tt.viaParent {
					parent = lcNew(nil, "p")
					tm = signals.NewTimer(parent)
				} else {
					tm = signals.NewTimer(nil)
				}
				idle := signals.NewTimer(nil) // inactive: stays inactive
				if tt.viaParent {
					idle.SetParent(parent)
				}
				start := time.Now()
				var mu sync.Mutex
				var at []time.Duration
				var onThread []bool
				tm.Timeout.Connect(nil, func() {
					mu.Lock()
					at = append(at, time.Since(start))
					onThread = append(onThread, th.ThreadLoop().IsCurrent())
					n := len(at)
					mu.Unlock()
					if n == 2 {
						tm.Stop()
						th.Quit()
					}
				})
				tm.Start(10 * ms)
				time.Sleep(6 * ms)
				if tt.startFirst {
					th.Start()
				}
				var ok bool
				if tt.viaParent {
					ok = parent.MoveToThread(th)
				} else {
					ok = tm.MoveToThread(th)
				}
				if !ok {
					t.Fatal("MoveToThread = false")
				}
				if !tt.viaParent && !idle.MoveToThread(th) {
					t.Fatal("MoveToThread of the idle timer = false")
				}
				if tm.Loop() != th.ThreadLoop() {
					t.Error("timer not moved")
				}
				if !tm.IsActive() {
					t.Error("IsActive() = false right after the move; want true")
				}
				if !tt.startFirst {
					time.Sleep(14 * ms)
					th.Start()
				}
				th.Wait()
				mu.Lock()
				defer mu.Unlock()
				if !slices.Equal(at, tt.wantAt) {
					t.Errorf("timeouts at %v; want %v", at, tt.wantAt)
				}
				if !slices.Equal(onThread, []bool{true, true}) {
					t.Errorf("timeouts on the thread's goroutine: %v; want all true", onThread)
				}
				if idle.IsActive() {
					t.Error("an inactive timer became active by moving")
				}
			})
		})
	}
}

func TestSingleShotRunsOnContextsThread(t *testing.T) {
	t.Parallel()
	th := startThread(t)
	ctx := lcNew(nil, "ctx")
	ctx.MoveToThread(th)
	ran := make(chan bool, 2)
	signals.SingleShot(0, ctx, func() { ran <- th.ThreadLoop().IsCurrent() })
	signals.SingleShot(time.Millisecond, ctx, func() { ran <- th.ThreadLoop().IsCurrent() })
	for i := range 2 {
		select {
		case onThread := <-ran:
			if !onThread {
				t.Errorf("single shot %d ran off the context's thread", i)
			}
		case <-lcAfter(t):
			t.Fatalf("single shot %d did not run", i)
		}
	}
}

func TestTimerCallOnTimeoutWithContextOnAnotherThread(t *testing.T) {
	t.Parallel()
	th := startThread(t)
	ctx := lcNew(nil, "ctx")
	ctx.MoveToThread(th)
	tm := signals.NewTimer(nil) // on the test's loop
	defer tm.Stop()
	ran := make(chan bool, 1)
	tm.SetSingleShot(true)
	tm.CallOnTimeout(ctx, func() { ran <- th.ThreadLoop().IsCurrent() })
	tm.Start(time.Millisecond)
	lcRunUntil(t, func() bool { return !tm.IsActive() })
	select {
	case onThread := <-ran:
		if !onThread {
			t.Error("slot ran off the context's thread")
		}
	case <-lcAfter(t):
		t.Fatal("slot did not run")
	}
}

// A thread waiting on itself would never return: Qt warns "QThread::wait:
// Thread tried to wait on itself" and returns false; so do Wait and
// WaitTimeout here, and the thread then finishes normally.
func TestThreadWaitOnItselfWarns(t *testing.T) {
	w := lcCaptureWarnings(t)
	var th *signals.Thread
	results := make(chan bool, 2)
	th = signals.CreateThread(func() {
		th.Wait()
		results <- true // Wait returned
		results <- th.WaitTimeout(time.Hour)
	})
	th.Start()
	lcWaitThread(t, th)
	if returned, timed := <-results, <-results; !returned || timed {
		t.Fatalf("Wait returned %v, WaitTimeout = %v; want the return and false", returned, timed)
	}
	want := "QThread::wait: Thread tried to wait on itself"
	if got := w.get(); len(got) != 2 || got[0] != want || got[1] != want {
		t.Fatalf("warnings %q; want %q twice", got, want)
	}
}
