package wsserver_test

import (
	"testing"
	"time"

	"github.com/qtgo/qtgo/signals"
	"github.com/qtgo/qtgo/signals/signaltest"
	"github.com/qtgo/qtgo/wsserver"
)

// echoServer listens on 127.0.0.1 and echoes text and binary messages.
func echoServer(t *testing.T) *wsserver.WebSocketServer {
	t.Helper()
	srv := wsserver.NewWebSocketServer("Echo", wsserver.NonSecureMode, nil)
	if !srv.Listen(wsserver.LocalHost, 0) {
		t.Fatalf("Listen: %s", srv.ErrorString())
	}
	srv.NewConnection.Connect(srv, func() {
		ws := srv.NextPendingConnection()
		ws.TextMessageReceived.Connect(ws, func(m string) { ws.SendTextMessage(m) })
		ws.BinaryMessageReceived.Connect(ws, func(b []byte) { ws.SendBinaryMessage(b) })
		ws.Disconnected.Connect(ws, ws.DeleteLater)
	})
	t.Cleanup(srv.Delete)
	return srv
}

func TestEchoRoundTrip(t *testing.T) {
	t.Parallel()
	srv := echoServer(t)
	client := wsserver.NewWebSocket("", wsserver.VersionLatest, nil)
	defer client.Delete()
	states := signaltest.NewSpy(&client.StateChanged)
	connected := signaltest.NewSpy0(&client.Connected)
	got := signaltest.NewSpy(&client.TextMessageReceived)
	client.Open(srv.ServerUrl().String())
	if !connected.Wait(5 * time.Second) {
		t.Fatalf("not connected: %s", client.ErrorString())
	}
	if n := client.SendTextMessage("Hello, world!"); n != 13 {
		t.Fatalf("SendTextMessage = %d; want 13", n)
	}
	if !got.Wait(5 * time.Second) {
		t.Fatal("no echo")
	}
	if m := got.At(0); m != "Hello, world!" {
		t.Fatalf("echo = %q", m)
	}
	disc := signaltest.NewSpy0(&client.Disconnected)
	client.Close(wsserver.CloseCodeNormal, "bye")
	if disc.Count() != 1 { // inside Close, as in Qt
		t.Fatalf("Disconnected %d times inside Close; want once", disc.Count())
	}
	want := []wsserver.SocketState{wsserver.ConnectingState, wsserver.ConnectedState, wsserver.ClosingState, wsserver.UnconnectedState}
	if states.Count() != len(want) {
		t.Fatalf("got %d state changes; want %v", states.Count(), want)
	}
	for i, s := range want {
		if states.At(i) != s {
			t.Errorf("state %d = %v; want %v", i, states.At(i), s)
		}
	}
	_ = signals.Instance
}
