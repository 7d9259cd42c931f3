// Package signals brings Qt's signals and slots, QObject and QTimer to Go.
//
// # Signals and slots
//
// A signal is a field of type [Signal0], [Signal], [Signal2] or [Signal3];
// a slot is any func with matching parameters, usually a method value. Qt's
//
//	connect(&a, &Counter::valueChanged, &b, &Counter::setValue);
//
// is
//
//	a.ValueChanged.Connect(b, b.SetValue)
//
// The first argument is the receiver (Qt's receiver or context object): the
// slot runs on its event loop, and the connection ends when it is destroyed.
// [ConnectionType] selects direct, queued, blocking-queued or automatic
// delivery, as in Qt, and the single-shot and unique flags.
//
// # Objects and loops
//
// A struct embeds [Object] (QObject) and calls [Init] in its constructor.
// Every object lives in one event loop (package eventloop): its parent's, or
// else the loop of the goroutine that created it. AutoConnection compares, at
// each emission, the emitting goroutine with the goroutine of the receiver's
// loop: the same goroutine calls the slot at once, any other queues the call
// to the receiver's loop, so slots always run where their object lives. A
// goroutine that runs no loop of its own gets one on demand (as Qt adopts
// threads): events queued to its objects wait until it runs that loop, for
// example in a signaltest wait.
//
// Objects have parents and ordered children, names, [Object.DeleteLater],
// [Object.BlockSignals], [Object.Sender] and [Object.MoveToThread] with Qt's
// rules. [Timer] is QTimer, [Thread] is QThread, [CoreApplication] is
// QCoreApplication, and [InvokeMethod] and [SingleShot] are
// QMetaObject::invokeMethod and QTimer::singleShot.
//
// # Differences from Qt
//
// Go has no destructors, so an object is destroyed by Delete or DeleteLater,
// not by going out of scope; a type may implement [Destructor] to run code
// first. A BlockingQueuedConnection emitted on the receiver's own loop panics
// where Qt deadlocks. Warnings Qt prints go to the handler set with
// [InstallMessageHandler]. The porting guide in docs/porting.md lists every
// difference with its reason.
package signals
