package wsserver

import "time"

// SetPartialMessageTimeout shortens Qt's 5 s idle timeout for an
// incomplete message, for a test; it returns the restore function.
func SetPartialMessageTimeout(d time.Duration) (restore func()) {
	old := partialMessageTimeout.Swap(int64(d))
	return func() { partialMessageTimeout.Store(old) }
}
