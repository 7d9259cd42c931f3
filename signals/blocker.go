package signals

// A SignalBlocker blocks an object's signals for a scope (QSignalBlocker):
//
//	b := signals.NewSignalBlocker(obj)
//	defer b.Close()
//
// Close restores the state the object had before the blocker was made.
type SignalBlocker struct {
	o       *Object
	prev    bool
	blocked bool
}

// NewSignalBlocker blocks obj's signals and remembers their previous state.
func NewSignalBlocker(obj AnyObject) *SignalBlocker {
	o := objectOf(obj)
	return &SignalBlocker{o: o, prev: o.BlockSignals(true), blocked: true}
}

// Unblock restores the previous state early (QSignalBlocker::unblock).
func (b *SignalBlocker) Unblock() {
	if b.o != nil && b.blocked {
		b.o.BlockSignals(b.prev)
		b.blocked = false
	}
}

// Reblock blocks the signals again after Unblock (QSignalBlocker::reblock).
func (b *SignalBlocker) Reblock() {
	if b.o != nil && !b.blocked {
		b.prev = b.o.BlockSignals(true)
		b.blocked = true
	}
}

// Dismiss makes the blocker inert: Close will not touch the object
// (QSignalBlocker::dismiss).
func (b *SignalBlocker) Dismiss() { b.o = nil }

// Close ends the blocker's scope, the job of ~QSignalBlocker: if it is
// blocking, the object's previous state is restored.
func (b *SignalBlocker) Close() { b.Unblock() }
