package eventloop

// Priority orders posted events, as Qt::EventPriority: events are delivered by
// descending priority and FIFO among equal priorities. Any int is allowed.
type Priority int

// Qt's named event priorities.
const (
	HighEventPriority   Priority = 1
	NormalEventPriority Priority = 0
	LowEventPriority    Priority = -1
)

type eventKind uint8

const (
	kindPosted eventKind = iota
	kindSocket
	kindDeferredDelete
)

// event is one posted event.
type event struct {
	fn       func()
	receiver any
	prio     Priority
	kind     eventKind
	level    int // deferred delete: loop level + scope level at post time
}

// queue is a deque ordered by descending priority, FIFO within a priority.
type queue struct {
	items []event
	head  int
}

func (q *queue) len() int { return len(q.items) - q.head }

func (q *queue) at(i int) event { return q.items[q.head+i] }

// removeAt removes and returns the i-th event; the i events ahead of it stay
// queued, in order.
func (q *queue) removeAt(i int) event {
	h := q.head
	ev := q.items[h+i]
	copy(q.items[h+1:h+i+1], q.items[h:h+i])
	q.items[h] = event{}
	q.head++
	if q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	}
	return ev
}

// compact moves the live events to the front of a full backing array
// whose front half is consumed, so a queue that a busy producer keeps
// non-empty reuses its memory instead of growing for ever.
func (q *queue) compact() {
	if q.head == 0 || len(q.items) < cap(q.items) || q.head < len(q.items)/2 {
		return
	}
	n := copy(q.items, q.items[q.head:])
	clear(q.items[n:])
	q.items, q.head = q.items[:n], 0
}

// insert adds ev after every event of equal or higher priority, but never
// before the first skip events (those belong to a pass already under way, as
// Qt never inserts ahead of its insertion offset).
func (q *queue) insert(ev event, skip int) {
	q.compact()
	n := len(q.items)
	if n == q.head || q.items[n-1].prio >= ev.prio {
		q.items = append(q.items, ev)
		return
	}
	lo, hi := q.head+skip, n
	for lo < hi { // first index with prio < ev.prio
		m := int(uint(lo+hi) >> 1)
		if q.items[m].prio >= ev.prio {
			lo = m + 1
		} else {
			hi = m
		}
	}
	q.items = append(q.items, event{})
	copy(q.items[lo+1:], q.items[lo:])
	q.items[lo] = ev
}

// Post queues fn to run on the loop's goroutine with normal priority, like
// QCoreApplication::postEvent. It is safe from any goroutine and never blocks.
func (l *Loop) Post(fn func()) {
	l.post(event{fn: fn})
}

// PostEvent queues fn for receiver with the given priority. The receiver is
// any comparable value that identifies the target (typically an object); it
// lets RemovePostedEvents and MovePostedEvents find the event later.
func (l *Loop) PostEvent(receiver any, fn func(), priority Priority) {
	l.post(event{fn: fn, receiver: receiver, prio: priority})
}

// PostSocketEvent queues fn as a socket-notifier event: it is delivered like
// any posted event except by ProcessEvents(ExcludeSocketNotifiers), which
// keeps it queued. I/O goroutines use it to hand network events to the loop.
func (l *Loop) PostSocketEvent(receiver any, fn func()) {
	l.post(event{fn: fn, receiver: receiver, kind: kindSocket})
}

// PostDeferredDelete queues del as a QDeferredDeleteEvent for receiver, with
// Qt's loop-level rule: called on the loop's goroutine, del runs once control
// returns to the loop level that was running (entering and leaving a nested
// loop does not run it); called from another goroutine or before any Exec,
// del runs in the first iteration of any running Exec. Callers debounce
// (QObject::deleteLater posts once per object).
func (l *Loop) PostDeferredDelete(receiver any, del func()) {
	ev := event{fn: del, receiver: receiver, kind: kindDeferredDelete}
	if l.IsCurrent() {
		scope := l.scopeLevel
		if scope == 0 && l.loopLevel != 0 {
			scope = 1
		}
		ev.level = l.loopLevel + scope
	}
	l.post(ev)
}

func (l *Loop) post(ev event) {
	l.mu.Lock()
	l.q.insert(ev, l.passKept+l.passLeft)
	l.canWait = false
	l.wakeLocked()
	l.mu.Unlock()
}

// wakeLocked interrupts the owner's sleep, once until it wakes.
func (l *Loop) wakeLocked() {
	if l.sleeping {
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
}

// WakeUp interrupts a waiting ProcessEvents or Exec iteration without
// posting anything (QAbstractEventDispatcher::wakeUp).
func (l *Loop) WakeUp() {
	l.mu.Lock()
	l.wakeLocked()
	l.mu.Unlock()
}

// HasPendingEvents reports whether posted events are waiting.
func (l *Loop) HasPendingEvents() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.q.len() > 0
}

// RemovePostedEvents drops, without delivering, every queued event posted for
// receiver (QCoreApplication::removePostedEvents). It returns how many.
func (l *Loop) RemovePostedEvents(receiver any) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.filterLocked(func(r any) bool { return r == receiver }, nil)
}

// MovePostedEvents moves every queued event whose receiver satisfies match to
// the end of to's queue, keeping their order and priorities, and wakes to. It
// is what QObject::moveToThread does with an object's pending events. It
// returns how many moved.
func (l *Loop) MovePostedEvents(to *Loop, match func(receiver any) bool) int {
	if to == l {
		return 0
	}
	var moved []event
	l.mu.Lock()
	n := l.filterLocked(match, &moved)
	l.mu.Unlock()
	if n == 0 {
		return 0
	}
	to.mu.Lock()
	for _, ev := range moved {
		ev.level = 0 // the target loop has its own levels
		to.q.insert(ev, to.passKept+to.passLeft)
	}
	to.canWait = false
	to.wakeLocked()
	to.mu.Unlock()
	return n
}

// filterLocked removes the events whose receiver satisfies match, appending
// them to out when out is not nil.
func (l *Loop) filterLocked(match func(any) bool, out *[]event) int {
	n, inKept, inPass := 0, l.passKept, l.passLeft
	kept := l.q.items[l.q.head:l.q.head]
	for i := l.q.head; i < len(l.q.items); i++ {
		ev := l.q.items[i]
		if ev.receiver != nil && match(ev.receiver) {
			switch pos := i - l.q.head; {
			case pos < inKept:
				l.passKept--
			case pos < inKept+inPass:
				l.passLeft--
			}
			if out != nil {
				*out = append(*out, ev)
			}
			n++
			continue
		}
		kept = append(kept, ev)
	}
	clear(l.q.items[l.q.head+len(kept):])
	l.q.items = l.q.items[:l.q.head+len(kept)]
	return n
}
