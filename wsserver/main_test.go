package wsserver

import (
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/qtgo/qtgo/wsserver/internal/wire"
)

// TestMain fails the tests if a goroutine is left behind. A connection
// closed by this side waits up to 2 s for its peer to end the stream
// before its descriptor is closed (wire's lingering close); the sockets
// of a test whose loop stops right after a Close are given that time.
func TestMain(m *testing.M) {
	code := m.Run()
	for deadline := time.Now().Add(3 * time.Second); wire.Readers() > 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			println("goleak: Errors on successful test run:", err.Error())
			code = 1
		}
	}
	os.Exit(code)
}
