package signaltest_test

import (
	"fmt"
	"time"

	"github.com/qtgo/qtgo/signals"
	"github.com/qtgo/qtgo/signals/signaltest"
)

// A spy records a signal's emissions and waits for the next one while the
// test goroutine's loop runs, as QSignalSpy::wait does.
func ExampleSpy_Wait() {
	timer := signals.NewTimer(nil)
	timer.SetSingleShot(true)
	spy := signaltest.NewSpy0(&timer.Timeout)

	timer.Start(10 * time.Millisecond)
	fmt.Println("timed out:", spy.Wait(time.Second), "count:", spy.Count())
	// Output: timed out: true count: 1
}

// WaitFor runs the loop until a condition holds, as QTest::qWaitFor does.
func ExampleWaitFor() {
	value := 0
	signals.SingleShot(5*time.Millisecond, nil, func() { value = 42 })
	ok := signaltest.WaitFor(func() bool { return value == 42 }, time.Second)
	fmt.Println(ok, value)
	// Output: true 42
}

// Receive waits for a goroutine's result while the loop keeps delivering:
// here a timer of the test goroutine's loop fires during the wait.
func ExampleReceive() {
	ticks := 0
	timer := signals.NewTimer(nil)
	timer.Timeout.Connect(timer, func() { ticks++ })
	timer.Start(time.Millisecond)
	defer timer.Delete()

	result := make(chan string, 1)
	go func() {
		time.Sleep(30 * time.Millisecond)
		result <- "done"
	}()
	v, ok := signaltest.Receive(result, time.Second)
	fmt.Println(v, ok, ticks > 0)
	// Output: done true true
}
