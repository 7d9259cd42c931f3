// Package signaltest drives the event loop from tests, in the spirit of
// QSignalSpy and QTest::qWait, as net/http/httptest serves net/http.
//
// A [Spy] records every emission of one signal, with its arguments, from any
// goroutine; [Spy.Wait] runs the test goroutine's loop until the next
// emission:
//
//	spy := signaltest.NewSpy(&socket.TextMessageReceived)
//	socket.SendTextMessage("hello")
//	if !spy.Wait(time.Second) {
//		t.Fatal("no message")
//	}
//	if got := spy.At(0); got != "hello" { ... }
//
// [Wait], [WaitFor], [TryVerify] and [TryCompare] are QTest::qWait,
// QTest::qWaitFor, QTRY_VERIFY and QTRY_COMPARE, with Qt's timing rules.
//
// Every helper runs the loop of the calling goroutine, eventloop.Current(),
// which is the loop the test's objects live in when the test created them.
// Tests that each use their own goroutine (t.Parallel) do not interfere.
// Under testing/synctest the waits run on the bubble's fake clock.
package signaltest
