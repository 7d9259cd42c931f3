package wsserver_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/qtgo/qtgo/signals/signaltest"
	"github.com/qtgo/qtgo/wsserver"
)

// Qt's pending limit counts sockets queued and not yet taken. A server that
// takes each socket as NewConnection announces it must accept a burst of
// concurrent handshakes larger than MaxPendingConnections.
func TestPendingLimitCountsOnlyQueuedSockets(t *testing.T) {
	t.Parallel()
	srv := echoServer(t) // takes every socket in its NewConnection slot
	const dials = 3 * 30 // three times the default limit, all at once
	url := srv.ServerUrl().String()
	var wg sync.WaitGroup
	errs := make(chan error, dials)
	for range dials {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, _, err := websocket.Dial(ctx, url, nil)
			if err != nil {
				errs <- err
				return
			}
			errs <- c.Write(ctx, websocket.MessageText, []byte("x"))
			_, _, err = c.Read(ctx)
			if err != nil {
				errs <- err
			}
			_ = c.Close(websocket.StatusNormalClosure, "")
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	if _, ok := signaltest.Receive(done, 20*time.Second); !ok {
		t.Fatal("dials did not finish")
	}
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("dial or echo failed: %v", err)
		}
	}
	if got := srv.Error(); got != wsserver.CloseCodeNormal {
		t.Errorf("Error() = %v (%q); want CloseCodeNormal", got, srv.ErrorString())
	}
}
