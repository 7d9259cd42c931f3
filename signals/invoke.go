package signals

import (
	"fmt"

	"github.com/qtgo/qtgo/eventloop"
)

// InvokeMethod calls fn in context's loop (QMetaObject::invokeMethod with a
// functor). AutoConnection (the default) calls it now if context lives on the
// calling goroutine's loop and queues it otherwise; QueuedConnection always
// queues it (dropped if context is destroyed first);
// BlockingQueuedConnection queues it and waits, and panics if context lives on
// the calling goroutine's loop (Qt deadlocks). It returns false, doing
// nothing, for a nil or destroyed context. Sender is nil inside fn.
func InvokeMethod(context AnyObject, fn func(), types ...ConnectionType) bool {
	if context == nil || fn == nil {
		return false
	}
	ctx := objectOf(context)
	if ctx.dead.Load() {
		return false
	}
	var typ ConnectionType
	for _, t := range types {
		typ |= t
	}
	l := ctx.loopOf()
	call := func() {
		if !ctx.dead.Load() {
			ctx.callUnsent(fn)
		}
	}
	switch typ &^ typeFlags {
	case AutoConnection:
		if l.IsCurrent() {
			fn()
			return true
		}
		l.PostEvent(ctx, call, eventloop.NormalEventPriority)
	case DirectConnection:
		fn()
	case QueuedConnection:
		l.PostEvent(ctx, call, eventloop.NormalEventPriority)
	case BlockingQueuedConnection:
		if l.IsCurrent() {
			panic(fmt.Sprintf("signals: InvokeMethod: dead lock detected: BlockingQueuedConnection to %s, "+
				"which lives on the calling goroutine's loop (%s)", ctx, l))
		}
		done := make(chan struct{})
		l.PostEvent(ctx, func() {
			defer close(done)
			call()
		}, eventloop.NormalEventPriority)
		<-done
	default:
		return false
	}
	return true
}

// callUnsent runs fn with no sender recorded, as a queued invokeMethod does.
func (o *Object) callUnsent(fn func()) {
	prevS, prevC := o.curSender, o.curConn
	o.curSender, o.curConn = nil, nil
	defer func() { o.curSender, o.curConn = prevS, prevC }()
	fn()
}
