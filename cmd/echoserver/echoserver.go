package main

import (
	_ "embed"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/qtgo/qtgo/signals"
	"github.com/qtgo/qtgo/wsserver"
)

// EchoServer is Qt's EchoServer class: it echoes every text and binary
// message back to the client that sent it.
type EchoServer struct {
	signals.Object
	Closed signals.Signal0 // signals: void closed();

	webSocketServer *wsserver.WebSocketServer
	clients         []*wsserver.WebSocket
	debug           bool
	log             io.Writer // qDebug's stream
}

// NewEchoServer listens on port (0 picks one) on every address.
func NewEchoServer(port uint16, debug bool, log io.Writer, parent signals.AnyObject) *EchoServer {
	e := &EchoServer{debug: debug, log: log}
	signals.Init(e, parent)
	e.webSocketServer = wsserver.NewWebSocketServer("Echo Server", wsserver.NonSecureMode, e)
	e.webSocketServer.SetHTTPHandler(http.HandlerFunc(servePage)) // Go extra
	if e.webSocketServer.Listen(wsserver.Any, port) {
		if debug {
			fmt.Fprintln(log, "Echoserver listening on port", e.webSocketServer.ServerPort())
		}
		e.webSocketServer.NewConnection.Connect(e, e.onNewConnection)
		e.webSocketServer.Closed.Connect(e, e.Closed.Emit)
	}
	return e
}

// Port returns the port the server listens on.
func (e *EchoServer) Port() uint16 { return e.webSocketServer.ServerPort() }

func (e *EchoServer) onNewConnection() {
	pSocket := e.webSocketServer.NextPendingConnection()
	pSocket.TextMessageReceived.Connect(e, e.processTextMessage)
	pSocket.BinaryMessageReceived.Connect(e, e.processBinaryMessage)
	pSocket.Disconnected.Connect(e, e.socketDisconnected)
	e.clients = append(e.clients, pSocket)
}

func (e *EchoServer) processTextMessage(message string) {
	pClient, _ := e.Sender().(*wsserver.WebSocket)
	if e.debug {
		fmt.Fprintln(e.log, "Message received:", strconv.Quote(message))
	}
	if pClient != nil {
		pClient.SendTextMessage(message)
	}
}

func (e *EchoServer) processBinaryMessage(message []byte) {
	pClient, _ := e.Sender().(*wsserver.WebSocket)
	if e.debug {
		fmt.Fprintln(e.log, "Binary Message received:", len(message), "bytes")
	}
	if pClient != nil {
		pClient.SendBinaryMessage(message)
	}
}

func (e *EchoServer) socketDisconnected() {
	pClient, _ := e.Sender().(*wsserver.WebSocket)
	if e.debug {
		var id any // Qt prints the pointer, 0x0 for none
		if pClient != nil {
			id = pClient.ID()
		}
		fmt.Fprintln(e.log, "socketDisconnected:", id)
	}
	if pClient != nil {
		for i, c := range e.clients {
			if c == pClient {
				e.clients = append(e.clients[:i], e.clients[i+1:]...)
				break
			}
		}
		pClient.DeleteLater()
	}
}

// Destruct is ~EchoServer: close the server, delete the clients.
func (e *EchoServer) Destruct() {
	e.webSocketServer.Close()
	for _, c := range e.clients {
		c.Delete()
	}
	e.clients = nil
}

//go:embed echoclient.html
var echoClientPage []byte

// servePage serves the HTML echo client at / (a Go extra: Qt ships it as a
// file to open in a browser).
func servePage(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(echoClientPage)
}
