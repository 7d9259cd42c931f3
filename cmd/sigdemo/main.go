// Command sigdemo is a small tour of the signals package, written as a Qt
// programmer would write it: a Counter whose valueChanged drives a second
// one, a worker object on its own Thread reporting progress back through a
// queued connection, and a QTimer that quits the application.
//
//	go run ./cmd/sigdemo [-ticks N] [-interval D]
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/qtgo/qtgo/signals"
)

// Counter is Qt's classic example: a QObject with a value, a setValue slot
// and a valueChanged(int) signal.
type Counter struct {
	signals.Object
	ValueChanged signals.Signal[int]
	value        int
}

func NewCounter(parent signals.AnyObject) *Counter {
	c := &Counter{}
	signals.Init(c, parent)
	return c
}

func (c *Counter) Value() int { return c.value }

func (c *Counter) SetValue(v int) {
	if v != c.value {
		c.value = v
		c.ValueChanged.Emit(v)
	}
}

// Worker squares numbers on its own thread.
type Worker struct {
	signals.Object
	ResultReady signals.Signal2[int, int]
}

func NewWorker() *Worker {
	w := &Worker{}
	signals.Init(w, nil)
	return w
}

func (w *Worker) DoWork(n int) { w.ResultReady.Emit(n, n*n) }

func main() {
	ticks := flag.Int("ticks", 3, "timer ticks before quitting")
	interval := flag.Duration("interval", 200*time.Millisecond, "timer interval")
	flag.Parse()

	app := signals.NewCoreApplication(os.Args)

	a, b := NewCounter(app), NewCounter(app)
	a.ValueChanged.Connect(b, b.SetValue)
	a.SetValue(12)
	fmt.Printf("a=%d b=%d (direct: same loop)\n", a.Value(), b.Value())

	thread := signals.NewThread(app)
	worker := NewWorker()
	worker.MoveToThread(thread)
	thread.Finished.Connect(worker, worker.DeleteLater)
	a.ValueChanged.Connect(worker, worker.DoWork) // queued: worker lives on the thread
	results := 0
	worker.ResultReady.Connect(app, func(n, sq int) {
		fmt.Printf("worker: %d squared is %d (back on the main loop)\n", n, sq)
		if results++; results == *ticks {
			app.Quit()
		}
	})
	thread.Start()

	timer := signals.NewTimer(app)
	timer.Timeout.Connect(app, func() {
		a.SetValue(a.Value() + 1)
		if a.Value()-12 == *ticks {
			timer.Stop()
		}
	})
	timer.Start(*interval)
	app.AboutToQuit.Connect(app, func() {
		thread.Quit()
		thread.Wait()
		fmt.Println("bye")
	})
	os.Exit(app.Exec())
}
