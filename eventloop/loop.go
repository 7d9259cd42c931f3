package eventloop

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"weak"

	"github.com/qtgo/qtgo/internal/goid"
)

// A Loop is the event loop of one goroutine: the Go counterpart of a QThread's
// event dispatcher and posted-event queue. It is bound to the goroutine that
// created it for its whole life. Only that goroutine may drive it (Exec,
// ProcessEvents, SendPostedEvents); doing so from another goroutine panics with
// a message naming both goroutines. Every other method is safe for concurrent
// use.
//
// A Loop holds no goroutine of its own: when idle, the goroutine that runs it
// sleeps on a channel and a single runtime timer, and a post or a new timer
// wakes it.
type Loop struct {
	gid atomic.Int64 // the goroutine that owns the loop; 0 while detached

	mu       sync.Mutex
	q        queue     // posted events, by descending priority, FIFO within one
	passKept int       // events at the head of q that the running pass skipped (kept queued)
	passLeft int       // events after those that belong to the running pass
	canWait  bool      // nothing was posted since the last pass began (QThreadData::canWait)
	timers   timerHeap // active timers waiting for their next timeout
	timerSeq uint64    // insertion order of timers, FIFO among equal due times
	frames   []*frame  // running Exec levels, innermost last
	quitNow  bool      // Exit was called; nested Execs return -1 until all unwind
	sleeping bool      // the owner is (about to be) blocked waiting
	wake     chan struct{}

	// Owner goroutine only.
	loopLevel  int // running Exec levels
	scopeLevel int // nesting depth of event delivery
	sleepTimer *time.Timer
	dueBuf     []dueTimer
}

// registry maps goroutine ids to their current loop. Entries are weak: a loop
// is dropped from the map when nothing but the map refers to it, so goroutines
// that adopted a loop and exited leak nothing.
var registry sync.Map // int64 -> weak.Pointer[Loop]

func newLoop(gid int64) *Loop {
	l := &Loop{wake: make(chan struct{}, 1)}
	l.bind(gid)
	return l
}

func (l *Loop) bind(gid int64) {
	l.gid.Store(gid)
	l.register(gid)
}

func (l *Loop) register(gid int64) {
	wp := weak.Make(l)
	registry.Store(gid, wp)
	runtime.AddCleanup(l, func(gid int64) {
		registry.CompareAndDelete(gid, wp)
	}, gid)
}

// NewDetached returns a Loop that belongs to no goroutine yet: events can be
// posted to it and timers started on it, and they wait until a goroutine
// calls Attach and runs it. signals.Thread uses it so that objects can be
// moved to a thread before the thread starts, as in Qt.
func NewDetached() *Loop {
	return &Loop{wake: make(chan struct{}, 1)}
}

// Attach binds a detached loop to the calling goroutine, which becomes its
// owner and gets it as its current loop. It panics if the loop already has an
// owner.
func (l *Loop) Attach() {
	g := goid.Get()
	if !l.gid.CompareAndSwap(0, g) {
		panic(fmt.Sprintf("eventloop: Attach on a loop that already belongs to goroutine %d", l.gid.Load()))
	}
	l.register(g)
}

// New returns a new Loop bound to the calling goroutine. It becomes the
// goroutine's current loop (see Current): objects created on the goroutine
// afterwards get their affinity to it.
func New() *Loop {
	return newLoop(goid.Get())
}

// Current returns the calling goroutine's loop, like QThread::currentThread().
//
// A goroutine that has none is given one on first use, as Qt adopts a thread
// it did not start: the loop is bound to that goroutine and is not running
// until the goroutine calls Exec or ProcessEvents on it, so events posted to it
// wait until then. Such a loop is kept only while something refers to it
// (typically the objects created on the goroutine), so goroutines that never
// run a loop leak nothing, and parallel tests, each on its own goroutine, each
// get their own loop.
func Current() *Loop {
	gid := goid.Get()
	if v, ok := registry.Load(gid); ok {
		if l := v.(weak.Pointer[Loop]).Value(); l != nil {
			return l
		}
	}
	return newLoop(gid)
}

// IsCurrent reports whether the calling goroutine is the loop's goroutine,
// the Go form of "the object lives in the current thread".
func (l *Loop) IsCurrent() bool {
	return l.gid.Load() == goid.Get()
}

// String returns a short description naming the loop's goroutine.
func (l *Loop) String() string {
	return fmt.Sprintf("eventloop.Loop(goroutine %d)", l.gid.Load())
}

// mustOwn panics unless the caller is the loop's goroutine.
func (l *Loop) mustOwn(method string) {
	if g, owner := goid.Get(), l.gid.Load(); g != owner {
		panic(fmt.Sprintf("eventloop: Loop.%s called from goroutine %d, but the loop belongs to goroutine %d; "+
			"a loop is driven only by its own goroutine (use Post or Exit from others)", method, g, owner))
	}
}
