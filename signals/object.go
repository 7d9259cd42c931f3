package signals

import (
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/qtgo/qtgo/eventloop"
)

// AnyObject is implemented by every type that embeds Object, through the
// promoted AsObject method: it is the Go spelling of a QObject* parameter.
type AnyObject interface {
	AsObject() *Object
}

// Object is the Go counterpart of QObject. Embed it (by value) in a struct
// and call Init in the struct's constructor, as a C++ subclass calls the
// QObject constructor:
//
//	type Counter struct {
//		signals.Object
//		ValueChanged signals.Signal[int]
//		value        int
//	}
//
//	func NewCounter(parent signals.AnyObject) *Counter {
//		c := &Counter{}
//		signals.Init(c, parent)
//		return c
//	}
//
// An Object has a parent and ordered children (deleting an object deletes its
// children), an affinity to one event loop (its slots, timers and deferred
// deletes run on that loop's goroutine), a name, and a Destroyed signal. An
// Object must not be copied after Init.
type Object struct {
	// Destroyed is emitted with the object just before it is destroyed,
	// before its children are (QObject::destroyed). It cannot be blocked.
	Destroyed Signal[AnyObject]
	// ObjectNameChanged is emitted when SetObjectName changes the name.
	ObjectNameChanged Signal[string]

	self AnyObject
	loop atomic.Pointer[eventloop.Loop]

	mu       sync.Mutex // parent, children, name
	parent   *Object
	children []*Object
	name     string

	blocked         atomic.Bool
	dead            atomic.Bool
	deleteLaterSent atomic.Bool
	sigs            []signalBase

	// guarded by graphMu
	incoming *conn

	// the slot being run on the object's loop goroutine, for Sender
	curSender *Object
	curConn   *conn

	// hooks of this package's own types (Timer, Thread)
	onDelete func()
	onMove   func(*eventloop.Loop)
}

// AsObject returns o itself; through embedding it makes every type that
// embeds Object an AnyObject.
func (o *Object) AsObject() *Object { return o }

// Destructor may be implemented by a type that embeds Object: Delete calls
// Destruct first, before the object emits Destroyed and loses its
// connections and children, as a C++ subclass destructor runs before
// ~QObject.
type Destructor interface {
	Destruct()
}

// Init sets up the Object embedded in obj, which must be a pointer to a
// struct: obj becomes the value Sender, Children and Destroyed report, every
// signal field of the struct (including those of embedded structs) gets obj
// as its sender, and the object gets its affinity: its parent's loop, or else
// the loop of the calling goroutine (eventloop.Current). A parent that lives
// on another loop is refused, as in Qt: the object is created without parent
// and a warning is issued.
func Init(obj AnyObject, parent AnyObject) {
	o := obj.AsObject()
	o.self = obj
	bindSignals(o, reflect.ValueOf(obj))
	var p *Object
	if parent != nil {
		p = objectOf(parent)
	}
	if p != nil {
		if !p.loopOf().IsCurrent() {
			warn("QObject: Cannot create children for a parent that is in a different thread.")
			p = nil
		} else {
			o.loop.Store(p.loopOf())
		}
	}
	if p == nil {
		o.loop.CompareAndSwap(nil, eventloop.Current())
		return
	}
	p.mu.Lock()
	o.parent = p
	p.children = append(p.children, o)
	p.mu.Unlock()
}

// objectOf returns the initialised Object of obj.
func objectOf(obj AnyObject) *Object {
	o := obj.AsObject()
	if o != nil && o.loop.Load() == nil {
		o.lazyInit()
	}
	return o
}

func objectOrNil(obj AnyObject) *Object {
	if obj == nil {
		return nil
	}
	return objectOf(obj)
}

// lazyInit gives an Object that was never passed to Init the affinity of
// the goroutine that first uses it, so a zero Object works on its own.
func (o *Object) lazyInit() {
	o.loop.CompareAndSwap(nil, eventloop.Current())
}

func (o *Object) loopOf() *eventloop.Loop {
	if l := o.loop.Load(); l != nil {
		return l
	}
	o.lazyInit()
	return o.loop.Load()
}

// Loop returns the event loop the object lives in (QObject::thread()).
func (o *Object) Loop() *eventloop.Loop { return o.loopOf() }

// selfOr returns the value passed to Init, or o itself.
func (o *Object) selfOr() AnyObject {
	if o.self != nil {
		return o.self
	}
	return o
}

// String names the object for messages: its type, address and name.
func (o *Object) String() string {
	if o == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%T(%p, name=%q)", o.selfOr(), o, o.ObjectName())
}

var fieldCache sync.Map // reflect.Type -> [][]int

var signalFieldType = reflect.TypeFor[signalField]()

// bindSignals makes o the owner of every signal field of the struct v points
// to. The field paths are found once per type.
func bindSignals(o *Object, v reflect.Value) {
	o.Destroyed.s.owner = o
	o.ObjectNameChanged.s.owner = o
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return
	}
	v = v.Elem()
	paths, ok := fieldCache.Load(v.Type())
	if !ok {
		paths, _ = fieldCache.LoadOrStore(v.Type(), signalPaths(v.Type(), nil))
	}
	for _, path := range paths.([][]int) {
		f := v.FieldByIndex(path)
		// NewAt reaches unexported signal fields too, which Interface refuses.
		b := reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Interface().(signalField).base()
		b.setOwner(o)
		o.sigs = append(o.sigs, b)
	}
}

var objectType = reflect.TypeFor[Object]()

func signalPaths(t reflect.Type, prefix []int) [][]int {
	var out [][]int
	for i := range t.NumField() {
		f := t.Field(i)
		path := append(append([]int(nil), prefix...), i)
		switch {
		case f.Type == objectType:
			// Destroyed and ObjectNameChanged are bound directly.
		case reflect.PointerTo(f.Type).Implements(signalFieldType):
			out = append(out, path)
		case f.Anonymous && f.Type.Kind() == reflect.Struct:
			out = append(out, signalPaths(f.Type, path)...)
		}
	}
	return out
}

// Parent returns the object's parent, or nil.
func (o *Object) Parent() AnyObject {
	o.mu.Lock()
	p := o.parent
	o.mu.Unlock()
	if p == nil {
		return nil
	}
	return p.selfOr()
}

// Children returns the object's children in the order they were added.
func (o *Object) Children() []AnyObject {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]AnyObject, len(o.children))
	for i, c := range o.children {
		out[i] = c.selfOr()
	}
	return out
}

// SetParent makes parent the object's parent, appending it to the parent's
// children; nil makes it parentless. A parent in another loop is refused as
// in Qt: the object is left without parent and a warning is issued.
func (o *Object) SetParent(parent AnyObject) {
	p := objectOrNil(parent)
	if p == o {
		warn("QObject::setParent: Cannot set parent, new parent is the object itself")
		return
	}
	o.mu.Lock()
	old := o.parent
	o.mu.Unlock()
	if old == p {
		return
	}
	if old != nil {
		old.removeChild(o)
	}
	o.mu.Lock()
	o.parent = nil
	o.mu.Unlock()
	if p == nil {
		return
	}
	if p.loopOf() != o.loopOf() {
		warn("QObject::setParent: Cannot set parent, new parent is in a different thread")
		return
	}
	p.mu.Lock()
	p.children = append(p.children, o)
	p.mu.Unlock()
	o.mu.Lock()
	o.parent = p
	o.mu.Unlock()
}

func (o *Object) removeChild(c *Object) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i, x := range o.children {
		if x == c {
			o.children = append(o.children[:i], o.children[i+1:]...)
			return
		}
	}
}

// ObjectName returns the object's name.
func (o *Object) ObjectName() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.name
}

// SetObjectName sets the name and emits ObjectNameChanged if it changed.
func (o *Object) SetObjectName(name string) {
	o.mu.Lock()
	changed := o.name != name
	o.name = name
	o.mu.Unlock()
	if changed {
		o.ObjectNameChanged.Emit(name)
	}
}

// BlockSignals blocks (true) or unblocks the object's signals and returns
// the previous state. While blocked, emitting calls nothing and records
// nothing; Destroyed is emitted regardless.
func (o *Object) BlockSignals(block bool) bool { return o.blocked.Swap(block) }

// SignalsBlocked reports whether the object's signals are blocked.
func (o *Object) SignalsBlocked() bool { return o.blocked.Load() }

// Sender returns the object that emitted the signal whose slot is running,
// when called from that slot on the receiver's loop goroutine (direct,
// queued or blocking-queued), including slots of the sender's Destroyed. It
// is nil outside a slot, in a slot called directly from another goroutine or
// in a function run by a queued InvokeMethod, and once no connection from
// the sender to this object remains (the slot disconnected itself, or the
// sender's destruction has broken its connections). The result is the value passed to the
// sender's Init, so `sock, ok := s.Sender().(*WebSocket)` ports
// qobject_cast<QWebSocket *>(sender()).
func (o *Object) Sender() AnyObject {
	if !o.loopOf().IsCurrent() {
		return nil // a direct call from another goroutine records no sender
	}
	s, c := o.curSender, o.curConn
	if s == nil {
		return nil
	}
	if c.alive.Load() || s.connectedTo(o) {
		return s.selfOr()
	}
	return nil
}

// connectedTo reports whether any signal of o is connected to receiver.
func (o *Object) connectedTo(receiver *Object) bool {
	if o.Destroyed.s.connectedTo(receiver) || o.ObjectNameChanged.s.connectedTo(receiver) {
		return true
	}
	for _, s := range o.sigs {
		if s.connectedTo(receiver) {
			return true
		}
	}
	return false
}

// Disconnect breaks every connection from the object's signals to receiver,
// or all of them if receiver is nil, and reports whether it broke any
// (QObject::disconnect(receiver)).
func (o *Object) Disconnect(receiver AnyObject) bool {
	r := objectOrNil(receiver)
	graphMu.Lock()
	defer graphMu.Unlock()
	return o.disconnectOutgoingLocked(r)
}

func (o *Object) disconnectOutgoingLocked(r *Object) bool {
	broke := o.Destroyed.s.disconnectLocked(r)
	broke = o.ObjectNameChanged.s.disconnectLocked(r) || broke
	for _, s := range o.sigs {
		broke = s.disconnectLocked(r) || broke
	}
	return broke
}

// IsDeleted reports whether the object has been destroyed (Delete ran).
func (o *Object) IsDeleted() bool { return o.dead.Load() }
