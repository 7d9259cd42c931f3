package wsserver_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/coder/websocket"

	"github.com/qtgo/qtgo/signals"
	"github.com/qtgo/qtgo/wsserver"
)

// benchServer runs an echo server on a thread of its own (its own loop
// goroutine, as a program's main loop would be) and returns its URL.
func benchServer(b *testing.B) string {
	b.Helper()
	urls := make(chan string, 1)
	th := signals.NewThread(nil)
	th.Started.Connect(th, func() {
		srv := wsserver.NewWebSocketServer("Bench", wsserver.NonSecureMode, nil)
		if !srv.Listen(wsserver.LocalHost, 0) {
			panic(srv.ErrorString())
		}
		srv.NewConnection.Connect(srv, func() {
			ws := srv.NextPendingConnection()
			ws.TextMessageReceived.Connect(ws, func(m string) { ws.SendTextMessage(m) })
			ws.BinaryMessageReceived.Connect(ws, func(p []byte) { ws.SendBinaryMessage(p) })
			ws.Disconnected.Connect(ws, ws.DeleteLater)
		})
		th.Finished.Connect(srv, srv.Delete, signals.DirectConnection)
		urls <- srv.ServerUrl().String()
	}, signals.DirectConnection)
	th.Start()
	b.Cleanup(func() { th.Quit(); th.Wait() })
	return <-urls
}

// benchEcho sends b.N messages of size bytes over one connection with
// window messages in flight and checks each echo; one op is one echo.
func benchEcho(b *testing.B, window, size int, typ websocket.MessageType) {
	url := benchServer(b)
	ctx := context.Background()
	c, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer c.CloseNow()
	c.SetReadLimit(-1)
	msg := bytes.Repeat([]byte("x"), size)
	b.SetBytes(int64(size))
	b.ResetTimer()
	sent, got := 0, 0
	for got < b.N {
		for sent < b.N && sent-got < window {
			if err := c.Write(ctx, typ, msg); err != nil {
				b.Fatal(err)
			}
			sent++
		}
		rt, p, err := c.Read(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if rt != typ || len(p) != size {
			b.Fatalf("echo %d: type %v, %d bytes; want %v, %d", got, rt, len(p), typ, size)
		}
		got++
	}
	b.StopTimer()
	c.Close(websocket.StatusNormalClosure, "")
}

// The anchors' echo settings on one connection (the s1, s2 and s4 shapes):
// round trips, a pipelined window, large binary messages.
func BenchmarkEcho(b *testing.B) {
	for _, bc := range []struct {
		window, size int
		typ          websocket.MessageType
	}{
		{1, 32, websocket.MessageText},
		{64, 32, websocket.MessageText},
		{4, 64 << 10, websocket.MessageBinary},
	} {
		name := fmt.Sprintf("window=%d/size=%d/%v", bc.window, bc.size, bc.typ)
		b.Run(name, func(b *testing.B) { benchEcho(b, bc.window, bc.size, bc.typ) })
	}
}
