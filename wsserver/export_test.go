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
