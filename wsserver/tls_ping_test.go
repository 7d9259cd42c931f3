package wsserver_test

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"testing"
	"time"

	"github.com/qtgo/qtgo/signals/signaltest"
)

// Ping over wss: the ping goes inside the TLS stream, the pong comes back
// with Qt's payload, and messages around it still echo.
func TestServerSecureModePing(t *testing.T) {
	t.Parallel()
	p := pki(t)
	srv, _ := secureServer(t, &tls.Config{Certificates: []tls.Certificate{p.server}})
	ce := newClientEvents(t, &tls.Config{RootCAs: p.serverPool})
	ce.open(t, fmt.Sprintf("wss://127.0.0.1:%d/", srv.ServerPort()))
	if !ce.has("connected") {
		t.Fatalf("client events %q; want connected", ce.events)
	}
	pong := signaltest.NewSpy2(&ce.c.Pong)
	ce.c.Ping([]byte("are you there"))
	if !pong.Wait(5 * time.Second) {
		t.Fatalf("no Pong over wss (state %v, %s)", ce.c.State(), ce.c.ErrorString())
	}
	if _, payload := pong.At(0); !bytes.Equal(payload, []byte("are you there")) {
		t.Fatalf("Pong payload %q; want the ping's", payload)
	}
	srvRoundTrip(t, ce.c, "after the ping")
}
