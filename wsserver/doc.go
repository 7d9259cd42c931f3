// Package wsserver is a port of Qt WebSockets to Go: QWebSocketServer,
// QWebSocket, QWebSocketProtocol and QWebSocketCorsAuthenticator, signal
// for signal, on its own RFC 6455 engine (internal/wire).
//
// # The model
//
// A [WebSocketServer] and its [WebSocket]s are objects of package signals:
// they live on an event loop (the loop of the goroutine that created them,
// or their parent's) and emit every signal there, in Qt's order, so a Qt
// program's slots port line for line:
//
//	srv := wsserver.NewWebSocketServer("Echo Server", wsserver.NonSecureMode, parent)
//	if srv.Listen(wsserver.Any, 1234) {
//		srv.NewConnection.Connect(e, e.OnNewConnection)
//	}
//
//	func (e *EchoServer) OnNewConnection() {
//		sock := e.srv.NextPendingConnection()
//		sock.TextMessageReceived.Connect(e, e.ProcessTextMessage)
//		sock.Disconnected.Connect(e, e.SocketDisconnected)
//	}
//
// Blocking work happens on goroutines the package owns: each accepted
// connection's request is read on its own goroutine, and the rest of its
// handshake runs on the server's loop, as in Qt; a reader goroutine per
// socket reads frames, at most a few messages ahead of the loop, so a slow
// slot slows the peer down through TCP instead of filling memory.
// Everything a socket sends during one loop iteration is written at the
// end of it, in one write made on the loop when the kernel takes it all
// (as Qt writes from its thread), else by a writer goroutine that waits
// for the peer. Every method is safe from any goroutine, which Qt's are
// not.
//
// # Differences from Qt
//
// Where Go or crypto/tls cannot do what Qt does, or where Qt's behaviour
// is unsafe on a network (2 GiB message limits, unbounded send buffers),
// this package says so in the documentation of the member concerned;
// docs/porting.md lists every difference, and test/qtdiff checks them
// against real Qt.
package wsserver
