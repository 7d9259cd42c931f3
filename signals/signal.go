package signals

// The four signal types differ only in their arguments; all share signal's
// machinery. Their zero values are ready to use. As fields of a struct that
// embeds Object and was set up with Init, they know their sender, so
// BlockSignals, Sender and the sender's destruction apply to them.

// Signal0 is a signal without arguments, such as QTimer::timeout().
type Signal0 struct{ s signal[struct{}] }

// Signal is a signal with one argument, such as valueChanged(int).
type Signal[T any] struct{ s signal[T] }

// Signal2 is a signal with two arguments.
type Signal2[A, B any] struct{ s signal[args2[A, B]] }

// Signal3 is a signal with three arguments.
type Signal3[A, B, C any] struct{ s signal[args3[A, B, C]] }

type args2[A, B any] struct {
	a A
	b B
}

type args3[A, B, C any] struct {
	a A
	b B
	c C
}

// Emit calls or queues every connected slot, in connection order (Qt's
// emit). With AutoConnection a slot runs before Emit returns when the
// receiver lives on the emitting goroutine's loop; otherwise the call is
// queued to the receiver's loop. Nothing happens while the sender's signals
// are blocked. A slot that panics stops the emission and the panic reaches
// the caller of Emit.
func (s *Signal[T]) Emit(v T) { s.s.emit(v) }

// Emit is Signal.Emit without arguments.
func (s *Signal0) Emit() { s.s.emit(struct{}{}) }

// Emit is Signal.Emit with two arguments.
func (s *Signal2[A, B]) Emit(a A, b B) { s.s.emit(args2[A, B]{a, b}) }

// Emit is Signal.Emit with three arguments.
func (s *Signal3[A, B, C]) Emit(a A, b B, c C) { s.s.emit(args3[A, B, C]{a, b, c}) }

// Connect connects slot to the signal and returns a handle to the connection
// (QObject::connect).
//
// context is the receiver: the object whose loop runs the slot and whose
// destruction breaks the connection. Pass the object whose method is the slot,
// as in Connect(b, b.SetValue). With a nil context the slot is a plain
// function, as in Qt's context-less connect: it runs directly on the emitting
// goroutine, and the connection lasts as long as the sender.
//
// types is one of AutoConnection (the default), DirectConnection,
// QueuedConnection or BlockingQueuedConnection, optionally OR-ed with
// UniqueConnection or SingleShotConnection (several values are OR-ed
// together). With UniqueConnection, Connect fails if the same context and
// slot are connected already; it compares the slot's function, so two
// closures made by one func literal count as the same slot. A failed Connect
// returns a Connection that is not connected.
//
// A connection made while the signal is being emitted is not called by that
// emission. The slot may connect, disconnect, emit, or delete objects.
func (s *Signal[T]) Connect(context AnyObject, slot func(T), types ...ConnectionType) Connection {
	return s.s.connect(context, slot, slotPC(slot), types)
}

// Connect is Signal.Connect for a slot without arguments.
func (s *Signal0) Connect(context AnyObject, slot func(), types ...ConnectionType) Connection {
	if slot == nil {
		return s.s.connect(context, nil, 0, types)
	}
	return s.s.connect(context, func(struct{}) { slot() }, slotPC(slot), types)
}

// Connect is Signal.Connect for a slot with two arguments.
func (s *Signal2[A, B]) Connect(context AnyObject, slot func(A, B), types ...ConnectionType) Connection {
	if slot == nil {
		return s.s.connect(context, nil, 0, types)
	}
	return s.s.connect(context, func(a args2[A, B]) { slot(a.a, a.b) }, slotPC(slot), types)
}

// Connect is Signal.Connect for a slot with three arguments.
func (s *Signal3[A, B, C]) Connect(context AnyObject, slot func(A, B, C), types ...ConnectionType) Connection {
	if slot == nil {
		return s.s.connect(context, nil, 0, types)
	}
	return s.s.connect(context, func(a args3[A, B, C]) { slot(a.a, a.b, a.c) }, slotPC(slot), types)
}

func slotPC(f any) uintptr {
	if f == nil {
		return 0
	}
	return funcPC(f)
}

// Disconnect breaks every connection of the signal whose receiver (context)
// is receiver, or every connection if receiver is nil, and reports whether it
// broke any (QObject::disconnect with wildcards).
func (s *Signal[T]) Disconnect(receiver AnyObject) bool { return s.s.disconnect(objectOrNil(receiver)) }

// Disconnect is Signal.Disconnect.
func (s *Signal0) Disconnect(receiver AnyObject) bool { return s.s.disconnect(objectOrNil(receiver)) }

// Disconnect is Signal.Disconnect.
func (s *Signal2[A, B]) Disconnect(receiver AnyObject) bool {
	return s.s.disconnect(objectOrNil(receiver))
}

// Disconnect is Signal.Disconnect.
func (s *Signal3[A, B, C]) Disconnect(receiver AnyObject) bool {
	return s.s.disconnect(objectOrNil(receiver))
}

// IsConnected reports whether any slot is connected (QObject::isSignalConnected).
func (s *Signal[T]) IsConnected() bool { return s.s.hasConnections() }

// IsConnected reports whether any slot is connected.
func (s *Signal0) IsConnected() bool { return s.s.hasConnections() }

// IsConnected reports whether any slot is connected.
func (s *Signal2[A, B]) IsConnected() bool { return s.s.hasConnections() }

// IsConnected reports whether any slot is connected.
func (s *Signal3[A, B, C]) IsConnected() bool { return s.s.hasConnections() }

// The signal interface lets Init find and bind the signal fields of a struct.
type signalField interface {
	base() signalBase
}

// signalBase is what an object needs from each of its signals.
type signalBase interface {
	setOwner(*Object)
	disconnectLocked(receiver *Object) bool
	connectedTo(receiver *Object) bool
}

func (s *Signal[T]) base() signalBase        { return &s.s }
func (s *Signal0) base() signalBase          { return &s.s }
func (s *Signal2[A, B]) base() signalBase    { return &s.s }
func (s *Signal3[A, B, C]) base() signalBase { return &s.s }
