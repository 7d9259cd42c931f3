package signals

import (
	"sync/atomic"

	"github.com/qtgo/qtgo/eventloop"
)

// A CoreApplication is the main event loop of a program
// (QCoreApplication): it runs on the goroutine that created it, usually
// main's.
//
//	func main() {
//		app := signals.NewCoreApplication(os.Args)
//		...
//		os.Exit(app.Exec())
//	}
type CoreApplication struct {
	Object
	// AboutToQuit is emitted once Exec's loop has stopped, before Exec
	// returns.
	AboutToQuit Signal0

	args []string
}

var instance atomic.Pointer[CoreApplication]

// NewCoreApplication returns the application object for the calling
// goroutine's loop and makes it the one Instance returns.
func NewCoreApplication(args []string) *CoreApplication {
	a := &CoreApplication{args: append([]string(nil), args...)}
	Init(a, nil)
	a.onDelete = func() { instance.CompareAndSwap(a, nil) }
	instance.Store(a)
	return a
}

// Instance returns the latest CoreApplication made, or nil
// (QCoreApplication::instance).
func Instance() *CoreApplication { return instance.Load() }

// Arguments returns the arguments given to NewCoreApplication.
func (a *CoreApplication) Arguments() []string { return append([]string(nil), a.args...) }

// Exec runs the application's loop until Quit or Exit, emits AboutToQuit,
// deletes the objects whose DeleteLater is still pending, and returns the
// exit code. As in Qt, Quit and Exit made before Exec have no effect, and
// Exec returns -1 at once if called from a goroutine other than the
// application's or while already running.
func (a *CoreApplication) Exec() int {
	l := a.Loop()
	if !l.IsCurrent() {
		warn("QCoreApplication::exec: Must be called from the main thread")
		return -1
	}
	if l.IsRunning() {
		warn("QCoreApplication::exec: The event loop is already running")
		return -1
	}
	code := l.Exec()
	a.AboutToQuit.Emit()
	l.SendDeferredDeletes()
	return code
}

// Exit makes Exec return code, unwinding every nested loop. It does nothing
// if Exec is not running. Safe from any goroutine.
func (a *CoreApplication) Exit(code int) { a.Loop().Exit(code) }

// Quit is Exit(0); it is a slot, as in connecting a signal to
// QCoreApplication::quit.
func (a *CoreApplication) Quit() { a.Exit(0) }

// ProcessEvents runs one iteration of the application's loop; see
// eventloop.Loop.ProcessEvents.
func (a *CoreApplication) ProcessEvents(flags ...eventloop.ProcessEventsFlags) bool {
	var f eventloop.ProcessEventsFlags
	for _, x := range flags {
		f |= x
	}
	return a.Loop().ProcessEvents(f)
}
