package wsserver

import (
	"time"

	"github.com/qtgo/qtgo/wsserver/internal/wire"
)

// SetPartialMessageTimeout shortens Qt's 5 s idle timeout for an
// incomplete frame, for a test; it returns the restore function.
func SetPartialMessageTimeout(d time.Duration) (restore func()) {
	old := wire.SetStallTimeout(d)
	return func() { wire.SetStallTimeout(old) }
}

// SetWriteStallTimeout shortens the 30 s a socket waits for a peer that
// sends without reading what it is sent, for a test; it returns the
// restore function.
func SetWriteStallTimeout(d time.Duration) (restore func()) {
	old := wire.SetWriteStallTimeout(d)
	return func() { wire.SetWriteStallTimeout(old) }
}
