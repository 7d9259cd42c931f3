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

// ChatServer is Qt's simplechat ChatServer class: it relays each text
// message to every client except the one that sent it.
type ChatServer struct {
	signals.Object

	webSocketServer *wsserver.WebSocketServer
	clients         []*wsserver.WebSocket
	out             io.Writer // QTextStream(stdout)
}

// NewChatServer listens on port (0 picks one) on address.
func NewChatServer(address wsserver.HostAddress, port uint16, out io.Writer, parent signals.AnyObject) *ChatServer {
	c := &ChatServer{out: out}
	signals.Init(c, parent)
	c.webSocketServer = wsserver.NewWebSocketServer("Chat Server", wsserver.NonSecureMode, c)
	c.webSocketServer.SetHTTPHandler(http.HandlerFunc(servePage)) // Go extra: the chat page
	if c.webSocketServer.Listen(address, port) {
		fmt.Fprintf(out, "Chat Server listening on port %d\n", c.webSocketServer.ServerPort())
		c.webSocketServer.NewConnection.Connect(c, c.onNewConnection)
	}
	return c
}

// Server returns the WebSocket server.
func (c *ChatServer) Server() *wsserver.WebSocketServer { return c.webSocketServer }

func identifier(peer *wsserver.WebSocket) string {
	return peer.PeerAddress().String() + ":" + strconv.Itoa(int(peer.PeerPort()))
}

func (c *ChatServer) onNewConnection() {
	pSocket := c.webSocketServer.NextPendingConnection()
	fmt.Fprintf(c.out, "%s connected!\n", identifier(pSocket))
	pSocket.SetParent(c)
	pSocket.TextMessageReceived.Connect(c, c.processMessage)
	pSocket.Disconnected.Connect(c, c.socketDisconnected)
	c.clients = append(c.clients, pSocket)
}

func (c *ChatServer) processMessage(message string) {
	pSender, _ := c.Sender().(*wsserver.WebSocket)
	for _, pClient := range c.clients {
		if pClient != pSender { // don't echo message back to sender
			pClient.SendTextMessage(message)
		}
	}
}

func (c *ChatServer) socketDisconnected() {
	pClient, _ := c.Sender().(*wsserver.WebSocket)
	if pClient == nil {
		return
	}
	fmt.Fprintf(c.out, "%s disconnected!\n", identifier(pClient))
	for i, x := range c.clients {
		if x == pClient {
			c.clients = append(c.clients[:i], c.clients[i+1:]...)
			break
		}
	}
	pClient.DeleteLater()
}

// Shutdown closes every client with a close frame, then the server (Qt's
// destructor only closes the server; Ctrl-C here should not drop clients
// without a word).
func (c *ChatServer) Shutdown() {
	c.webSocketServer.Close()
	for _, cl := range c.clients {
		cl.Close(wsserver.CloseCodeGoingAway, "Server shutting down")
	}
}

// Destruct is ~ChatServer: it closes the server.
func (c *ChatServer) Destruct() { c.webSocketServer.Close() }

//go:embed chatclient.html
var chatClientPage []byte

func servePage(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(chatClientPage)
}
