package signals_test

// Tests of CoreApplication (QCoreApplication), Qt reference §12.

import (
	"fmt"
	"slices"
	"testing"

	"github.com/qtgo/qtgo/eventloop"
	"github.com/qtgo/qtgo/signals"
)

func TestCoreApplicationExecReturnsExitCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		quit func(app *signals.CoreApplication)
		want int
	}{
		{"Quit", func(app *signals.CoreApplication) { app.Quit() }, 0},
		{"Exit(3)", func(app *signals.CoreApplication) { app.Exit(3) }, 3},
		{"Exit(-7)", func(app *signals.CoreApplication) { app.Exit(-7) }, -7},
		{"Exit from another goroutine", func(app *signals.CoreApplication) {
			done := make(chan struct{})
			go func() {
				defer close(done)
				app.Exit(9)
			}()
			<-done
		}, 9},
		{"Exit from a timer", func(app *signals.CoreApplication) {
			tm := signals.NewTimer(app)
			tm.SetSingleShot(true)
			tm.CallOnTimeout(nil, func() { app.Exit(11) })
			tm.Start()
		}, 11},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			app := signals.NewCoreApplication(nil)
			defer app.Delete()
			signals.SingleShot(0, app, func() { tt.quit(app) })
			if got := app.Exec(); got != tt.want {
				t.Errorf("Exec() = %d; want %d", got, tt.want)
			}
		})
	}
}

func TestCoreApplicationQuitBeforeExecHasNoEffect(t *testing.T) {
	t.Parallel()
	app := signals.NewCoreApplication(nil)
	defer app.Delete()
	app.Quit()
	app.Exit(5)
	ran := false
	signals.SingleShot(0, app, func() {
		ran = true
		app.Exit(7)
	})
	if got := app.Exec(); got != 7 {
		t.Errorf("Exec() = %d; want 7: Quit and Exit before Exec are forgotten", got)
	}
	if !ran {
		t.Error("the loop did not run")
	}
}

func TestCoreApplicationAboutToQuit(t *testing.T) {
	t.Parallel()
	app := signals.NewCoreApplication(nil)
	defer app.Delete()
	l := app.Loop()
	var log []string
	app.AboutToQuit.Connect(nil, func() {
		log = append(log, fmt.Sprintf("AboutToQuit loopRunning=%v", l.IsRunning()))
	})
	signals.SingleShot(0, app, func() {
		log = append(log, "quitting")
		app.Quit()
		log = append(log, "after Quit")
		l.Post(func() { log = append(log, "posted after Quit") })
	})
	code := app.Exec()
	log = append(log, fmt.Sprintf("Exec returned %d", code))
	// The event posted after Quit was not delivered by Exec: it waits.
	l.ProcessEvents(eventloop.AllEvents)
	want := []string{"quitting", "after Quit", "AboutToQuit loopRunning=false", "Exec returned 0", "posted after Quit"}
	if !slices.Equal(log, want) {
		t.Errorf("log = %q; want %q (AboutToQuit exactly once)", log, want)
	}
}

func TestCoreApplicationExecDeletesDeferredObjectsAfterQuit(t *testing.T) {
	t.Parallel()
	app := signals.NewCoreApplication(nil)
	defer app.Delete()
	l := app.Loop()
	inSlot := lcNew(nil, "DeleteLater in the quitting slot")
	inAboutToQuit := lcNew(nil, "DeleteLater in AboutToQuit")
	afterExec := lcNew(nil, "DeleteLater after Exec")
	log := lcLogDestroyed(inSlot, inAboutToQuit, afterExec)
	app.AboutToQuit.Connect(nil, func() {
		inAboutToQuit.DeleteLater()
		log.add("AboutToQuit")
	})
	signals.SingleShot(0, app, func() {
		app.Quit()
		inSlot.DeleteLater()
	})
	app.Exec()
	want := []string{"AboutToQuit", "DeleteLater in the quitting slot", "DeleteLater in AboutToQuit"}
	if got := log.get(); !slices.Equal(got, want) {
		t.Errorf("log = %q; want %q: Exec's final DeferredDelete pass after AboutToQuit", got, want)
	}
	// "If deleteLater() is called after the main event loop has stopped,
	// the object will not be deleted."
	afterExec.DeleteLater()
	l.ProcessEvents(eventloop.AllEvents)
	if afterExec.IsDeleted() {
		t.Error("object deleteLater'd after Exec returned was deleted by ProcessEvents; want it kept")
	}
	afterExec.Delete()
}

func TestCoreApplicationExitUnwindsNestedLoops(t *testing.T) {
	t.Parallel()
	app := signals.NewCoreApplication(nil)
	defer app.Delete()
	var log []string
	signals.SingleShot(0, app, func() {
		el := eventloop.NewEventLoop()
		signals.SingleShot(0, app, func() { app.Exit(4) })
		log = append(log, fmt.Sprintf("nested Exec returned %d", el.Exec()))
		// A new nested loop while the exit is unwinding returns -1 at once.
		log = append(log, fmt.Sprintf("new nested Exec returned %d", eventloop.NewEventLoop().Exec()))
	})
	code := app.Exec()
	log = append(log, fmt.Sprintf("app Exec returned %d", code))
	want := []string{"nested Exec returned 4", "new nested Exec returned -1", "app Exec returned 4"}
	if !slices.Equal(log, want) {
		t.Errorf("log = %q; want %q", log, want)
	}
}

// The tests below capture warnings or check the global Instance, so they
// are not parallel.

func TestCoreApplicationExecFromAnotherGoroutine(t *testing.T) {
	w := lcCaptureWarnings(t)
	app := signals.NewCoreApplication(nil)
	defer app.Delete()
	res := make(chan int, 1)
	go func() { res <- app.Exec() }()
	if got := <-res; got != -1 {
		t.Errorf("Exec() from another goroutine = %d; want -1", got)
	}
	w.want(t, "QCoreApplication::exec: Must be called from the main thread")
	if app.Loop().IsRunning() {
		t.Error("the application's loop is running")
	}
}

func TestCoreApplicationExecWhileRunning(t *testing.T) {
	w := lcCaptureWarnings(t)
	app := signals.NewCoreApplication(nil)
	defer app.Delete()
	aboutToQuit := 0
	app.AboutToQuit.Connect(nil, func() { aboutToQuit++ })
	inner := 0
	signals.SingleShot(0, app, func() {
		inner = app.Exec()
		app.Exit(2)
	})
	if got := app.Exec(); got != 2 {
		t.Errorf("Exec() = %d; want 2", got)
	}
	if inner != -1 {
		t.Errorf("Exec() while running = %d; want -1", inner)
	}
	w.want(t, "QCoreApplication::exec: The event loop is already running")
	if aboutToQuit != 1 {
		t.Errorf("AboutToQuit emitted %d times; want 1", aboutToQuit)
	}
}

func TestCoreApplicationInstance(t *testing.T) {
	args := []string{"prog", "-v"}
	app := signals.NewCoreApplication(args)
	if got := signals.Instance(); got != app {
		t.Fatalf("Instance() = %v; want the application just made", got)
	}
	args[1] = "changed"
	got := app.Arguments()
	if want := []string{"prog", "-v"}; !slices.Equal(got, want) {
		t.Errorf("Arguments() = %q; want %q (a copy of what was given)", got, want)
	}
	got[0] = "changed"
	if app.Arguments()[0] != "prog" {
		t.Error("modifying the result of Arguments() changed the application's arguments")
	}
	app.Delete()
	if got := signals.Instance(); got != nil {
		t.Errorf("Instance() after Delete = %v; want nil", got)
	}
}
