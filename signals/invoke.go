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
	var done chan struct{} // closed after a blocking call
	var call func()
	call = func() {
		if !ctx.dead.Load() {
			if cur := ctx.loopOf(); !cur.IsCurrent() {
				// ctx was moved after the call was posted: follow it
				// (see slotConn.deliver).
				cur.PostEvent(ctx, call, eventloop.NormalEventPriority)
				return
			}
		}
		if done != nil {
			defer close(done)
		}
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
		done = make(chan struct{})
		l.PostEvent(ctx, call, eventloop.NormalEventPriority)
		<-done
	default:
		return false
	}
	return true
}

// callUnsent runs fn with no sender recorded, as a queued invokeMethod does.
// Like callAsSender, it leaves the record alone if fn moved o to another loop.
func (o *Object) callUnsent(fn func()) {
	l := o.loop.Load()
	prevS, prevC := o.curSender, o.curConn
	o.curSender, o.curConn = nil, nil
	defer func() {
		if o.loop.Load() == l {
			o.curSender, o.curConn = prevS, prevC
		}
	}()
	fn()
}
