package signals_test

import (
	"fmt"
	"time"

	"github.com/qtgo/qtgo/eventloop"
	"github.com/qtgo/qtgo/signals"
)

// The Counter of Qt's signals-and-slots documentation (defined in this
// package's tests as in the package documentation): connecting a's
// ValueChanged to b's SetValue slot. Both live on the same loop, so the slot
// runs inside Emit.
func Example() {
	a := NewCounter(nil)
	b := NewCounter(nil)
	a.ValueChanged.Connect(b, b.SetValue)

	a.SetValue(12) // a.Value() == 12, b.Value() == 12
	fmt.Println(a.Value(), b.Value())

	b.SetValue(48) // a.Value() == 12, b.Value() == 48
	fmt.Println(a.Value(), b.Value())

	a.Delete()
	b.Delete()
	// Output:
	// 12 12
	// 12 48
}

// A queued connection copies the arguments and posts the call to the
// receiver's loop: the slot runs when that loop processes its events. A
// signal emitted on another goroutine reaches an AutoConnection's receiver
// the same way.
func Example_queuedConnection() {
	loop := eventloop.Current()
	sender := NewCounter(nil)
	receiver := NewCounter(nil)
	sender.ValueChanged.Connect(receiver, func(v int) {
		fmt.Println("slot got", v)
	}, signals.QueuedConnection)

	sender.SetValue(1)
	fmt.Println("emitted")
	loop.ProcessEvents(eventloop.AllEvents)

	done := make(chan struct{})
	go func() { // emitted on another goroutine: still delivered on the receiver's loop
		defer close(done)
		sender.ValueChanged.Emit(2)
	}()
	<-done
	fmt.Println("emitted on another goroutine")
	loop.ProcessEvents(eventloop.AllEvents)

	sender.Delete()
	receiver.Delete()
	// Output:
	// emitted
	// slot got 1
	// emitted on another goroutine
	// slot got 2
}

// A repeating timer whose third timeout quits the application.
func ExampleTimer() {
	app := signals.NewCoreApplication(nil)
	timer := signals.NewTimer(app)
	ticks := 0
	timer.Timeout.Connect(app, func() {
		ticks++
		fmt.Println("tick", ticks)
		if ticks == 3 {
			app.Quit()
		}
	})
	timer.Start(time.Millisecond)

	fmt.Println("exit code", app.Exec())
	app.Delete()
	// Output:
	// tick 1
	// tick 2
	// tick 3
	// exit code 0
}

// A zero-delay single shot runs once the loop runs, in the order it was
// issued; it is the usual way to quit an application from inside Exec.
func ExampleSingleShot() {
	app := signals.NewCoreApplication(nil)
	signals.SingleShot(0, app, func() { fmt.Println("first") })
	signals.SingleShot(0, app, func() { fmt.Println("second"); app.Exit(3) })
	fmt.Println("before Exec")
	fmt.Println("exit code", app.Exec())
	app.Delete()
	// Output:
	// before Exec
	// first
	// second
	// exit code 3
}

// exampleWorker is the Worker of QThread's documentation.
type exampleWorker struct {
	signals.Object
	ResultReady signals.Signal[string]
}

// DoWork is a slot; it runs on the worker's thread.
func (w *exampleWorker) DoWork(n int) {
	w.ResultReady.Emit(fmt.Sprintf("%d squared is %d", n, n*n))
}

// The worker-object pattern: a worker moved to a Thread runs its slots on
// the thread's goroutine; its results come back queued to the main loop.
// When the thread finishes it deletes the worker.
func ExampleThread() {
	app := signals.NewCoreApplication(nil)
	controller := NewCounter(app) // only its ValueChanged signal is used

	thread := signals.NewThread(nil)
	worker := &exampleWorker{}
	signals.Init(worker, nil)
	worker.MoveToThread(thread)
	thread.Finished.Connect(worker, worker.DeleteLater)

	controller.ValueChanged.Connect(worker, worker.DoWork) // queued to the thread
	worker.ResultReady.Connect(app, func(result string) {  // queued back to main
		fmt.Println(result)
		app.Quit()
	})

	thread.Start()
	controller.SetValue(7)
	app.Exec()

	thread.Quit()
	thread.Wait()
	fmt.Println("worker deleted:", worker.IsDeleted())
	app.Delete()
	// Output:
	// 7 squared is 49
	// worker deleted: true
}
