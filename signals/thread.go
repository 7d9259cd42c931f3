package signals

import (
	"sync"
	"time"

	"github.com/qtgo/qtgo/eventloop"
)

// A Thread is a goroutine with its own event loop (QThread). Objects moved to
// it with MoveToThread run their slots, timers and deferred deletes on that
// goroutine. Like QThread, the Thread object itself lives in the loop of the
// goroutine that created it; its Started and Finished signals are emitted
// from the thread's goroutine, so receivers elsewhere get them queued.
//
//	thread := signals.NewThread(nil)
//	worker := NewWorker(nil)
//	worker.MoveToThread(thread)
//	thread.Finished.Connect(worker, worker.DeleteLater)
//	thread.Start()
//	...
//	thread.Quit()
//	thread.Wait()
type Thread struct {
	Object
	// Started is emitted on the thread's goroutine before it runs.
	Started Signal0
	// Finished is emitted on the thread's goroutine after it has run, before
	// its last deferred deletes.
	Finished Signal0

	run  func()
	loop *eventloop.Loop

	mu       sync.Mutex
	running  bool
	finished bool
	inFinish bool // Finished is being emitted (QThreadPrivate::isInFinish)
	exited   bool // Exit called while running, before Exec started
	code     int
	done     chan struct{}
}

// NewThread returns a thread whose goroutine, once started, runs its event
// loop until Quit or Exit (the default QThread::run).
func NewThread(parent AnyObject) *Thread {
	t := &Thread{loop: eventloop.NewDetached()}
	Init(t, parent)
	return t
}

// CreateThread returns a thread whose goroutine runs fn instead of an event
// loop (QThread::create). fn may call Exec to run the loop.
func CreateThread(fn func()) *Thread {
	t := NewThread(nil)
	t.run = fn
	return t
}

// ThreadLoop returns the thread's event loop, which objects moved to the
// thread live in. It exists before Start; events posted to it wait until
// the thread runs.
func (t *Thread) ThreadLoop() *eventloop.Loop { return t.loop }

// Start starts the thread's goroutine. It does nothing if the thread is
// running. A finished thread cannot be started again: its goroutine and loop
// are gone (QThread can restart; this is a documented difference).
func (t *Thread) Start() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.running || t.finished {
		return
	}
	t.running, t.exited = true, false
	t.done = make(chan struct{})
	go t.main()
}

func (t *Thread) main() {
	t.loop.Attach()
	defer func() {
		t.mu.Lock()
		t.running, t.finished, t.inFinish = false, true, false
		close(t.done)
		t.mu.Unlock()
	}()
	t.Started.Emit()
	if t.run != nil {
		t.run()
	} else {
		t.Exec()
	}
	// As in QThreadPrivate::finish, the thread already reports finished
	// (and not running) while Finished is emitted.
	t.mu.Lock()
	t.inFinish = true
	t.mu.Unlock()
	t.Finished.Emit()
	t.loop.SendDeferredDeletes()
}

// Exec runs the thread's event loop until Quit or Exit and returns the exit
// code; an Exit made after Start but before Exec makes it return at once. It
// must be called on the thread's goroutine (from a function given to
// CreateThread).
func (t *Thread) Exec() int {
	t.mu.Lock()
	if t.exited {
		t.exited = false
		code := t.code
		t.mu.Unlock()
		return code
	}
	t.mu.Unlock()
	// An Exit made between the check above and the loop's start would find
	// no running Exec to stop, and be lost (Qt keeps it in quitNow): the
	// loop's first iteration looks at the flag again.
	t.loop.PostEvent(nil, func() {
		t.mu.Lock()
		exited, code := t.exited, t.code
		t.mu.Unlock()
		if exited {
			t.loop.Exit(code)
		}
	}, eventloop.HighEventPriority)
	code := t.loop.Exec()
	t.mu.Lock()
	t.exited = false
	t.mu.Unlock()
	return code
}

// Exit tells the thread's event loop to return code from every running
// Exec. Unlike a bare Loop, a thread remembers an Exit made before its loop
// started running, as QThread does. Safe from any goroutine.
func (t *Thread) Exit(code int) {
	t.mu.Lock()
	if t.running {
		t.exited, t.code = true, code
	}
	t.mu.Unlock()
	t.loop.Exit(code)
}

// Quit is Exit(0).
func (t *Thread) Quit() { t.Exit(0) }

// Wait blocks until the thread has finished (or was never started). Called
// on the thread's own goroutine it would wait forever: like Qt, it warns
// "QThread::wait: Thread tried to wait on itself" and returns.
func (t *Thread) Wait() { t.WaitTimeout(-1) }

// WaitTimeout is Wait with a limit (a negative d: none); it reports whether
// the thread finished in time (QThread::wait(deadline)). On the thread's own
// goroutine it warns and reports false, as Qt does.
func (t *Thread) WaitTimeout(d time.Duration) bool {
	t.mu.Lock()
	done := t.done
	t.mu.Unlock()
	if done == nil {
		return true
	}
	if t.loop.IsCurrent() {
		Warning("QThread::wait: Thread tried to wait on itself")
		return false
	}
	if d < 0 {
		<-done
		return true
	}
	select { // finished already: true even for d <= 0, whatever select picks
	case <-done:
		return true
	default:
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-done:
		return true
	case <-timer.C:
		return false
	}
}

// IsRunning reports whether the thread's goroutine is running; it is
// already false while Finished is emitted, as in Qt.
func (t *Thread) IsRunning() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.running && !t.inFinish
}

// IsFinished reports whether the thread's goroutine has finished; it is
// already true while Finished is emitted, as in Qt.
func (t *Thread) IsFinished() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.finished || t.inFinish
}
