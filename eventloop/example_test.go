package eventloop_test

import (
	"fmt"
	"time"

	"github.com/qtgo/qtgo/eventloop"
)

// Events are delivered by priority, FIFO within one; Exit ends Exec with a
// code.
func ExampleLoop_Exec() {
	l := eventloop.New()
	l.Post(func() { fmt.Println("first") })
	l.PostEvent(nil, func() { fmt.Println("urgent") }, eventloop.HighEventPriority)
	l.Post(func() {
		fmt.Println("quitting")
		l.Exit(3)
	})
	fmt.Println("exit code:", l.Exec())
	// Output:
	// urgent
	// first
	// quitting
	// exit code: 3
}

// A repeating timer stops itself after three timeouts and quits the loop.
func ExampleLoop_StartTimer() {
	l := eventloop.New()
	n := 0
	var tm *eventloop.TimerHandle
	tm = l.StartTimer(time.Millisecond, eventloop.PreciseTimer, func() {
		n++
		fmt.Println("tick", n)
		if n == 3 {
			tm.Stop()
			l.Quit()
		}
	})
	l.Exec()
	fmt.Println("active:", tm.IsActive())
	// Output:
	// tick 1
	// tick 2
	// tick 3
	// active: false
}

// A nested EventLoop waits for something without returning to its caller,
// as QEventLoop does; the rest of the loop keeps running meanwhile.
func ExampleEventLoop() {
	l := eventloop.New()
	l.Post(func() {
		wait := l.NewEventLoop()
		l.Post(func() {
			fmt.Println("reply arrived")
			wait.Quit()
		})
		fmt.Println("waiting")
		wait.Exec()
		fmt.Println("done waiting")
		l.Quit()
	})
	l.Exec()
	// Output:
	// waiting
	// reply arrived
	// done waiting
}
