// Package eventloop is the single-goroutine event loop under the signals
// package: the Go counterpart of a Qt thread's event dispatcher and posted
// event queue (QThreadData, QAbstractEventDispatcher, QEventLoop).
//
// # One loop, one goroutine
//
// A [Loop] belongs to one goroutine for its whole life, the way a Qt event
// loop belongs to one thread: the goroutine that called [New], or the one
// that first asked for [Current]. Only that goroutine drives it ([Loop.Exec],
// [Loop.ProcessEvents]); any goroutine may [Loop.Post] to it, start and stop
// its timers, or tell it to [Loop.Exit]. A goroutine that never made a loop is
// given one by Current, as Qt adopts foreign threads; such a loop runs only
// when its goroutine runs it, and is forgotten once nothing refers to it.
//
// # One iteration
//
// Each iteration, as in Qt's Unix dispatcher:
//
//  1. delivers the posted events that were queued when it began, by
//     descending [Priority] and FIFO within one priority (events posted
//     meanwhile wait for the next iteration);
//  2. if it delivered nothing and may wait, sleeps until a post, a wake-up or
//     the next timer, without spinning;
//  3. fires the timers that are due, each at most once.
//
// Deferred deletes ([Loop.PostDeferredDelete], used by QObject::deleteLater)
// follow Qt's loop-level rule: they run when control returns to the loop
// level that requested them.
//
// # Nesting
//
// Exec may be called from inside an event handler, as Qt's modal loops do.
// [EventLoop] is one such level (QEventLoop); [Loop.Exit] unwinds all of them
// (QThread::exit, QCoreApplication::exit).
//
// Timers live in the loop (a heap, no goroutine per timer) and read the clock
// through package time, so they run on fake time under testing/synctest.
package eventloop
