package signals_test

// Shared test helpers. Keep this file small and stable: tests in several
// files of the package use it.

import (
	"bytes"
	"runtime"
	"strconv"
	"testing"

	"github.com/qtgo/qtgo/eventloop"
	"github.com/qtgo/qtgo/signals"
)

// Counter is the Counter of Qt's signals-and-slots documentation: an object
// with a value and a ValueChanged signal. Its fields must only be used on the
// goroutine of the loop it lives in.
type Counter struct {
	signals.Object
	ValueChanged signals.Signal[int]

	value int
}

// NewCounter returns a Counter initialised with signals.Init.
func NewCounter(parent signals.AnyObject) *Counter {
	c := &Counter{}
	signals.Init(c, parent)
	return c
}

// Value returns the counter's value.
func (c *Counter) Value() int { return c.value }

// SetValue is a slot: it sets the value and emits ValueChanged if it changed.
func (c *Counter) SetValue(v int) {
	if v != c.value {
		c.value = v
		c.ValueChanged.Emit(v)
	}
}

// Add is a slot: it adds n to the value and emits ValueChanged with the new
// value. Unlike SetValue every call has an effect, so calls can be counted.
func (c *Counter) Add(n int) {
	c.value += n
	c.ValueChanged.Emit(c.value)
}

// goroutineID returns the calling goroutine's id, parsed from runtime.Stack
// (independently of the package's own goroutine identification).
func goroutineID() int64 {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	buf = bytes.TrimPrefix(buf, []byte("goroutine "))
	id, err := strconv.ParseInt(string(buf[:bytes.IndexByte(buf, ' ')]), 10, 64)
	if err != nil {
		panic("goroutineID: cannot parse stack header: " + err.Error())
	}
	return id
}

// startThread starts a signals.Thread; the test's cleanup quits it and waits
// for it.
func startThread(t testing.TB) *signals.Thread {
	t.Helper()
	th := signals.NewThread(nil)
	th.Start()
	t.Cleanup(func() {
		th.Quit()
		th.Wait()
	})
	return th
}

// startLoop starts a goroutine that makes a loop with eventloop.New and runs
// it with Exec; it returns once Exec is running. The test's cleanup quits the
// loop and waits for the goroutine to end.
func startLoop(t testing.TB) *eventloop.Loop {
	t.Helper()
	ch := make(chan *eventloop.Loop)
	done := make(chan struct{})
	go func() {
		defer close(done)
		l := eventloop.New()
		l.Post(func() { ch <- l }) // delivered once Exec runs
		l.Exec()
	}()
	l := <-ch
	t.Cleanup(func() {
		l.Quit()
		<-done
	})
	return l
}

// panicOf runs f and returns the value it panicked with, or nil.
func panicOf(f func()) (v any) {
	defer func() { v = recover() }()
	f()
	return nil
}
