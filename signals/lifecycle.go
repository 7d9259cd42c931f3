package signals

import (
	"github.com/qtgo/qtgo/eventloop"
)

// Delete destroys the object now, in Qt's order (~QObject): the type's
// Destruct method if it has one; then Destroyed is emitted (even if signals
// are blocked); then every connection from and to the object is broken and
// queued calls to it are dropped; then its children are deleted, first added
// first; then it leaves its parent. Deleting twice does nothing.
//
// Delete belongs on the object's loop goroutine. Called from another
// goroutine it cannot run the destruction there, so it does what Qt asks of
// such callers: DeleteLater.
func (o *Object) Delete() {
	if !o.loopOf().IsCurrent() {
		o.DeleteLater()
		return
	}
	o.destroy()
}

func (o *Object) destroy() {
	if o.dead.Load() {
		return
	}
	if d, ok := o.self.(Destructor); ok {
		d.Destruct()
	}
	if o.onDelete != nil {
		o.onDelete()
	}
	if !o.dead.CompareAndSwap(false, true) {
		return
	}
	o.blocked.Store(false)
	o.Destroyed.Emit(o.selfOr())

	graphMu.Lock()
	o.disconnectOutgoingLocked(nil)
	for c := o.incoming; c != nil; {
		next := c.inNext
		c.disconnectLocked()
		c = next
	}
	graphMu.Unlock()
	o.curSender, o.curConn = nil, nil

	o.mu.Lock()
	children := o.children
	o.children = nil
	parent := o.parent
	o.parent = nil
	o.mu.Unlock()
	for _, c := range children {
		c.mu.Lock()
		c.parent = nil
		c.mu.Unlock()
		c.destroy()
	}
	if parent != nil {
		parent.removeChild(o)
	}
	// ~QObject removes the object's pending posted events (queued calls,
	// deferred deletes) so they neither run nor keep it alive in the queue.
	o.loopOf().RemovePostedEvents(o)
}

// DeleteLater schedules the object for deletion (QObject::deleteLater): it is
// deleted on its loop's goroutine once control returns to the loop level
// that was running when DeleteLater was called; called from another goroutine
// or before the loop runs, in the first iteration of a running loop. Calling
// it again before the deletion does nothing. Safe from any goroutine.
func (o *Object) DeleteLater() {
	if o.dead.Load() || !o.deleteLaterSent.CompareAndSwap(false, true) {
		return
	}
	o.loopOf().PostDeferredDelete(o, o.destroy)
}

// MoveToThread changes the object's affinity, and its children's, to the
// thread's loop (QObject::moveToThread): pending queued calls and deferred
// deletes move with them and their active timers restart there with the same
// interval. As in Qt it fails (returning false, with a warning) for an object
// with a parent, and when called from a goroutine other than the object's
// loop goroutine. A thread that has not started yet is fine: events wait for
// it.
func (o *Object) MoveToThread(t *Thread) bool {
	if t == nil {
		warn("QObject::moveToThread: Cannot move to a null thread (objects without affinity are not supported)")
		return false
	}
	return o.MoveToLoop(t.loop)
}

// MoveToLoop is MoveToThread for any loop, such as one made with
// eventloop.New on a goroutine of the caller's.
func (o *Object) MoveToLoop(target *eventloop.Loop) bool {
	cur := o.loopOf()
	if target == cur {
		return true
	}
	if target == nil {
		warn("QObject::moveToThread: Cannot move to a nil loop")
		return false
	}
	o.mu.Lock()
	hasParent := o.parent != nil
	o.mu.Unlock()
	if hasParent {
		warn("QObject::moveToThread: Cannot move objects with a parent")
		return false
	}
	if !cur.IsCurrent() {
		warn("QObject::moveToThread: Current thread is not the object's thread. Cannot move to target thread")
		return false
	}
	tree := map[any]bool{}
	o.walk(func(x *Object) { tree[x] = true })
	o.walk(func(x *Object) {
		x.curSender, x.curConn = nil, nil // a slot's record stays with its loop
		x.loop.Store(target)
		if x.onMove != nil {
			x.onMove(target)
		}
	})
	cur.MovePostedEvents(target, func(r any) bool { return tree[r] })
	return true
}

// walk calls f for o and its descendants, depth first, in child order.
func (o *Object) walk(f func(*Object)) {
	f(o)
	o.mu.Lock()
	children := append([]*Object(nil), o.children...)
	o.mu.Unlock()
	for _, c := range children {
		c.walk(f)
	}
}
