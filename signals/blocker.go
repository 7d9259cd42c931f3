package signals

// A SignalBlocker blocks an object's signals for a scope (QSignalBlocker):
//
//	b := signals.NewSignalBlocker(obj)
//	defer b.Close()
//
// Close restores the state the object had before the blocker was made.
type SignalBlocker struct {
	o       *Object
	prev    bool // the state before NewSignalBlocker; never changes (Qt's m_blocked)
	blocked bool // Close will restore prev (Qt's !m_inhibited)
}

// NewSignalBlocker blocks obj's signals and remembers their previous state.
func NewSignalBlocker(obj AnyObject) *SignalBlocker {
	o := objectOf(obj)
	return &SignalBlocker{o: o, prev: o.BlockSignals(true), blocked: true}
}

// Unblock restores the state from before NewSignalBlocker early
// (QSignalBlocker::unblock). Calls are not counted: every Unblock undoes any
// number of Reblock calls.
func (b *SignalBlocker) Unblock() {
	if b.o != nil {
		b.o.BlockSignals(b.prev)
	}
	b.blocked = false
}

// Reblock blocks the signals again after Unblock (QSignalBlocker::reblock).
// Close still restores the state from before NewSignalBlocker.
func (b *SignalBlocker) Reblock() {
	if b.o != nil {
		b.o.BlockSignals(true)
	}
	b.blocked = true
}

// Dismiss makes the blocker inert: Close will not touch the object
// (QSignalBlocker::dismiss).
func (b *SignalBlocker) Dismiss() { b.o = nil }

// Close ends the blocker's scope, the job of ~QSignalBlocker: unless Unblock
// was called without a following Reblock, the object's state from before
// NewSignalBlocker is restored. Closing again does nothing.
func (b *SignalBlocker) Close() {
	if b.o != nil && b.blocked {
		b.o.BlockSignals(b.prev)
	}
	b.o = nil
}
