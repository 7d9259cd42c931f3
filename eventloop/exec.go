package eventloop

import (
	"time"
)

// ProcessEventsFlags select what one ProcessEvents call handles
// (QEventLoop::ProcessEventsFlags). Excluded events stay queued.
type ProcessEventsFlags int

// Qt's flags, with Qt's values.
const (
	AllEvents              ProcessEventsFlags = 0x00
	ExcludeUserInputEvents ProcessEventsFlags = 0x01 // no user input exists in Go; accepted for fidelity
	ExcludeSocketNotifiers ProcessEventsFlags = 0x02 // keep events posted with PostSocketEvent queued
	WaitForMoreEvents      ProcessEventsFlags = 0x04 // block until something arrives if nothing is pending
)

// frame is one running Exec level.
type frame struct {
	running bool
	exited  bool
	code    int
}

// Exec runs the loop until Exit or Quit, then returns the code given to Exit
// (QEventLoop::exec). Each iteration delivers the events that were posted
// before it started (posted events first, then due timers) and sleeps when
// there is nothing to do.
//
// Exec may be called again from inside an event handler: the nested Exec runs
// the same queue (a modal loop) until its own EventLoop exits, or until Exit
// on the Loop unwinds every level. An Exit or Quit made while no Exec is
// running is forgotten, as in Qt. Exec returns -1 at once if Exit was called
// and the outer levels have not yet returned.
//
// Exec must be called on the loop's goroutine.
func (l *Loop) Exec() int {
	l.mustOwn("Exec")
	return l.exec(&frame{})
}

func (l *Loop) exec(f *frame) int {
	l.mu.Lock()
	if l.quitNow || f.running {
		l.mu.Unlock()
		return -1
	}
	f.running, f.exited, f.code = true, false, 0
	l.frames = append(l.frames, f)
	l.mu.Unlock()
	l.loopLevel++
	defer l.leave(f)
	for !l.frameExited(f) {
		l.processEvents(AllEvents | WaitForMoreEvents)
	}
	return f.code
}

// leave pops f; it runs even when an event handler panics out of Exec.
func (l *Loop) leave(f *frame) {
	l.loopLevel--
	l.mu.Lock()
	for i := len(l.frames) - 1; i >= 0; i-- {
		if l.frames[i] == f {
			l.frames = append(l.frames[:i], l.frames[i+1:]...)
			break
		}
	}
	f.running = false
	if len(l.frames) == 0 {
		l.quitNow = false
	}
	l.mu.Unlock()
}

func (l *Loop) frameExited(f *frame) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return f.exited || l.quitNow
}

// Exit makes every running Exec of the loop return code, innermost first, as
// QThread::exit and QCoreApplication::exit do; nested Execs started before the
// outermost has returned return -1 at once. It does nothing when no Exec is
// running. Safe from any goroutine.
func (l *Loop) Exit(code int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.frames) == 0 {
		return
	}
	l.quitNow = true
	for _, f := range l.frames {
		f.exited, f.code = true, code
	}
	l.wakeLocked()
}

// Quit is Exit(0).
func (l *Loop) Quit() { l.Exit(0) }

// IsRunning reports whether an Exec of the loop is running.
func (l *Loop) IsRunning() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.frames) > 0
}

// ProcessEvents runs one iteration of the loop (QEventLoop::processEvents):
// it delivers the events that were queued when it started, then, with
// WaitForMoreEvents and nothing else pending, sleeps until an event is posted,
// a timer is due or WakeUp is called, then fires the timers that are due. It
// reports whether it delivered anything. It must be called on the loop's
// goroutine.
func (l *Loop) ProcessEvents(flags ProcessEventsFlags) bool {
	l.mustOwn("ProcessEvents")
	return l.processEvents(flags)
}

// ProcessEventsFor runs iterations without waiting until none delivers
// anything or d has elapsed (QEventLoop::processEvents(flags, maxTime)).
// Unlike a single ProcessEvents it also delivers events posted meanwhile.
func (l *Loop) ProcessEventsFor(flags ProcessEventsFlags, d time.Duration) {
	l.mustOwn("ProcessEventsFor")
	start := time.Now()
	for l.processEvents(flags &^ WaitForMoreEvents) {
		if time.Since(start) >= d {
			return
		}
	}
}

// SendPostedEvents delivers the events queued when it is called, without
// firing timers or waiting (QCoreApplication::sendPostedEvents()).
func (l *Loop) SendPostedEvents() bool {
	l.mustOwn("SendPostedEvents")
	return l.sendPosted(AllEvents, false, false)
}

// SendDeferredDeletes runs the deferred deletes that are queued and allowed
// at the current level, leaving every other event queued
// (QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete)). The
// signal-spy wait helpers and CoreApplication.Exec call it, as Qt's do.
func (l *Loop) SendDeferredDeletes() bool {
	l.mustOwn("SendDeferredDeletes")
	return l.sendPosted(AllEvents, true, true)
}

func (l *Loop) processEvents(flags ProcessEventsFlags) bool {
	handled := l.sendPosted(flags, false, false)
	if flags&WaitForMoreEvents != 0 && !handled {
		l.sleep()
	}
	if l.activateTimers() {
		handled = true
	}
	return handled
}

// sendPosted delivers the events present when it starts. onlyDD limits it to
// deferred deletes; explicitDD is Qt's "DeferredDelete explicitly requested".
//
// Events it skips stay queued where they are (ahead of the events it has not
// reached yet), so that RemovePostedEvents and MovePostedEvents called during
// the pass see them and a panicking handler loses none of them.
func (l *Loop) sendPosted(flags ProcessEventsFlags, onlyDD, explicitDD bool) bool {
	handled := false
	l.mu.Lock()
	l.canWait = true
	l.passKept, l.passLeft = 0, l.q.len()
	for l.passLeft > 0 {
		ev := l.q.at(l.passKept)
		l.passLeft--
		if onlyDD && ev.kind != kindDeferredDelete ||
			ev.kind == kindSocket && flags&ExcludeSocketNotifiers != 0 {
			l.passKept++
			l.canWait = false
			continue
		}
		l.q.removeAt(l.passKept)
		if ev.kind == kindDeferredDelete && !l.deleteAllowed(ev.level, explicitDD) {
			// Not yet: re-post behind this pass, as Qt does. It does not
			// keep the loop from waiting (Qt's addEvent leaves canWait).
			l.q.insert(ev, l.passKept+l.passLeft)
			continue
		}
		l.mu.Unlock()
		l.deliver(ev.fn)
		handled = true
		l.mu.Lock()
	}
	l.passKept = 0
	l.mu.Unlock()
	return handled
}

// deleteAllowed is Qt's rule for when a deferred delete may run.
func (l *Loop) deleteAllowed(eventLevel int, explicit bool) bool {
	cur := l.loopLevel + l.scopeLevel
	return eventLevel > cur || (eventLevel == 0 && cur > 0) || (explicit && eventLevel == cur)
}

// deliver runs fn one scope level deeper; the level is restored even if fn
// panics, so the loop stays consistent for a caller that recovers.
func (l *Loop) deliver(fn func()) {
	l.scopeLevel++
	defer func() { l.scopeLevel-- }()
	fn()
}

// sleep blocks until a post, a wake-up or the next timer, unless something
// was posted since the pass began or an exit was requested. Deferred deletes
// the pass could not run yet do not count: the level they wait for cannot
// change while the loop sleeps.
func (l *Loop) sleep() {
	l.mu.Lock()
	if !l.canWait || l.exitPendingLocked() {
		l.mu.Unlock()
		return
	}
	var wait time.Duration = -1
	if len(l.timers) > 0 {
		wait = time.Until(l.timers[0].due)
		if wait <= 0 {
			l.mu.Unlock()
			return
		}
	}
	l.sleeping = true
	l.mu.Unlock()

	if wait < 0 {
		<-l.wake
	} else {
		if l.sleepTimer == nil {
			l.sleepTimer = time.NewTimer(wait)
		} else {
			l.sleepTimer.Reset(wait)
		}
		select {
		case <-l.wake:
			l.sleepTimer.Stop()
		case <-l.sleepTimer.C:
		}
	}

	l.mu.Lock()
	l.sleeping = false
	select { // drop a wake-up sent after the timer fired
	case <-l.wake:
	default:
	}
	l.mu.Unlock()
}

// exitPendingLocked reports whether the running (innermost) level must
// return. An exited outer level waits for the inner ones to return, which
// keep sleeping normally meanwhile.
func (l *Loop) exitPendingLocked() bool {
	return l.quitNow || len(l.frames) > 0 && l.frames[len(l.frames)-1].exited
}
