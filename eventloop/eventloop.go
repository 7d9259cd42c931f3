package eventloop

import "time"

// An EventLoop is one nested level of a Loop, the Go form of a QEventLoop
// object: code that must wait for something without returning to its caller
// runs one, and something else ends it with Quit. The classic Qt pattern
//
//	QEventLoop loop;
//	connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
//	loop.exec();
//
// becomes
//
//	el := eventloop.NewEventLoop()
//	reply.Finished.Connect(nil, el.Quit)
//	el.Exec()
//
// Unlike QEventLoop it is not an object (it has no parent and emits no
// signals); its Exit and Quit are safe from any goroutine, so it needs none.
type EventLoop struct {
	loop *Loop
	f    frame
}

// NewEventLoop returns an EventLoop on the calling goroutine's loop (Current).
func NewEventLoop() *EventLoop { return Current().NewEventLoop() }

// NewEventLoop returns an EventLoop that runs l.
func (l *Loop) NewEventLoop() *EventLoop { return &EventLoop{loop: l} }

// Loop returns the loop the EventLoop runs.
func (e *EventLoop) Loop() *Loop { return e.loop }

// Exec runs the loop until this EventLoop's Exit or Quit, or until Exit on
// the Loop unwinds every level, and returns the exit code. It returns -1 at
// once if this EventLoop is already running or the Loop is exiting. An Exit
// made before Exec is forgotten. It must be called on the loop's goroutine.
func (e *EventLoop) Exec() int {
	e.loop.mustOwn("Exec")
	return e.loop.exec(&e.f)
}

// Exit makes this EventLoop's Exec return code after the current iteration.
// It does nothing if Exec is not running. Safe from any goroutine.
func (e *EventLoop) Exit(code int) {
	l := e.loop
	l.mu.Lock()
	defer l.mu.Unlock()
	if !e.f.running {
		return
	}
	e.f.exited, e.f.code = true, code
	l.wakeLocked()
}

// Quit is Exit(0).
func (e *EventLoop) Quit() { e.Exit(0) }

// IsRunning reports whether Exec is running and has not been told to exit.
func (e *EventLoop) IsRunning() bool {
	e.loop.mu.Lock()
	defer e.loop.mu.Unlock()
	return e.f.running && !e.f.exited
}

// ProcessEvents is Loop.ProcessEvents on the EventLoop's loop.
func (e *EventLoop) ProcessEvents(flags ProcessEventsFlags) bool {
	return e.loop.ProcessEvents(flags)
}

// ProcessEventsFor is Loop.ProcessEventsFor on the EventLoop's loop.
func (e *EventLoop) ProcessEventsFor(flags ProcessEventsFlags, d time.Duration) {
	e.loop.ProcessEventsFor(flags, d)
}
