package wsserver_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/qtgo/qtgo/eventloop"
	"github.com/qtgo/qtgo/signals"
	"github.com/qtgo/qtgo/wsserver"
)

// An echo server in the manner of Qt's echoserver example, and a client
// that sends it one message over loopback. Both live on the goroutine's
// loop, which a nested event loop runs until the client has disconnected.
func ExampleWebSocketServer() {
	server := wsserver.NewWebSocketServer("Echo Server", wsserver.NonSecureMode, nil)
	defer server.Delete()
	if !server.Listen(wsserver.LocalHost, 0) {
		fmt.Println("listen:", server.ErrorString())
		return
	}
	server.NewConnection.Connect(server, func() {
		socket := server.NextPendingConnection()
		socket.TextMessageReceived.Connect(socket, func(message string) {
			socket.SendTextMessage(message)
		})
		socket.Disconnected.Connect(socket, socket.DeleteLater)
	})

	client := wsserver.NewWebSocket("", wsserver.VersionLatest, nil)
	defer client.Delete()
	loop := eventloop.Current().NewEventLoop()
	client.Connected.Connect(client, func() {
		fmt.Println("connected")
		client.SendTextMessage("Hello, world!")
	})
	client.TextMessageReceived.Connect(client, func(message string) {
		fmt.Println("received:", message)
		client.Close(wsserver.CloseCodeNormal, "done")
	})
	client.Disconnected.Connect(client, func() {
		fmt.Println("disconnected:", client.CloseCode())
		loop.Quit()
	})
	signals.SingleShot(5*time.Second, client, loop.Quit) // a bound, in case
	client.Open(server.ServerUrl().String())
	loop.Exec()
	// Output:
	// connected
	// received: Hello, world!
	// disconnected: CloseCodeNormal
}

// The server is an http.Handler: mounted on a mux, it upgrades the
// requests of its path while other paths serve pages.
func ExampleWebSocketServer_ServeHTTP() {
	server := wsserver.NewWebSocketServer("", wsserver.NonSecureMode, nil)
	defer server.Delete()
	server.NewConnection.Connect(server, func() {
		socket := server.NextPendingConnection()
		fmt.Println("upgraded:", socket.RequestUrl().Path)
		socket.SendTextMessage("welcome")
		socket.Disconnected.Connect(socket, socket.DeleteLater)
	})
	mux := http.NewServeMux()
	mux.Handle("/ws", server)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<html>the page</html>")
	})
	web := httptest.NewServer(mux) // on 127.0.0.1
	defer web.Close()

	page := make(chan string, 1)
	go func() {
		resp, err := http.Get(web.URL + "/")
		if err != nil {
			page <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		page <- string(b)
	}()
	fmt.Println("page:", <-page)

	client := wsserver.NewWebSocket("", wsserver.VersionLatest, nil)
	defer client.Delete()
	loop := eventloop.Current().NewEventLoop()
	client.TextMessageReceived.Connect(client, func(message string) {
		fmt.Println("received:", message)
		client.Close(wsserver.CloseCodeNormal, "")
	})
	client.Disconnected.Connect(client, loop.Quit)
	signals.SingleShot(5*time.Second, client, loop.Quit)
	client.Open("ws" + strings.TrimPrefix(web.URL, "http") + "/ws")
	loop.Exec()
	// Output:
	// page: <html>the page</html>
	// upgraded: /ws
	// received: welcome
}

// A slot on OriginAuthenticationRequired decides which origins may
// connect; a refused client gets 403 and the server reports
// CloseCodePolicyViolated.
func ExampleWebSocketServer_OriginAuthenticationRequired() {
	server := wsserver.NewWebSocketServer("", wsserver.NonSecureMode, nil)
	defer server.Delete()
	server.OriginAuthenticationRequired.Connect(server, func(auth *wsserver.WebSocketCorsAuthenticator) {
		auth.SetAllowed(auth.Origin() == "https://trusted.example")
	})
	server.ServerError.Connect(server, func(code wsserver.CloseCode) {
		fmt.Println("server error:", code, server.ErrorString())
	})
	server.Listen(wsserver.LocalHost, 0)

	loop := eventloop.Current().NewEventLoop()
	signals.SingleShot(5*time.Second, server, loop.Quit)
	open := func(origin string, next func()) *wsserver.WebSocket {
		client := wsserver.NewWebSocket(origin, wsserver.VersionLatest, nil)
		client.Connected.Connect(client, func() {
			fmt.Println(origin, "connected")
			next()
		})
		client.ErrorOccurred.Connect(client, func(e wsserver.SocketError) {
			fmt.Println(origin, "error:", e, client.ErrorString())
		})
		client.Disconnected.Connect(client, next)
		client.Open(server.ServerUrl().String())
		return client
	}
	var trusted *wsserver.WebSocket
	evil := open("https://evil.example", func() {
		trusted = open("https://trusted.example", loop.Quit)
	})
	loop.Exec()
	evil.Delete()
	trusted.Delete()
	// Output:
	// server error: CloseCodePolicyViolated Access forbidden.
	// https://evil.example error: ConnectionRefusedError QWebSocketPrivate::processHandshake: Unhandled http status code: 403 (Access Forbidden).
	// https://evil.example error: RemoteHostClosedError QWebSocketPrivate::processHandshake: Unhandled http status code: 403 (Access Forbidden).
	// https://trusted.example connected
}
