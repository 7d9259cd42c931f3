package main

import (
	"fmt"
	"io"
	"strconv"

	"github.com/qtgo/qtgo/signals"
	"github.com/qtgo/qtgo/wsserver"
)

// EchoClient is Qt's EchoClient class: it sends "Hello, world!", prints the
// echo and closes.
type EchoClient struct {
	signals.Object
	Closed signals.Signal0 // signals: void closed();

	webSocket *wsserver.WebSocket
	url       string
	debug     bool
	log       io.Writer // qDebug's stream
}

// NewEchoClient opens url at once.
func NewEchoClient(url string, debug bool, log io.Writer, parent signals.AnyObject) *EchoClient {
	c := &EchoClient{url: url, debug: debug, log: log}
	signals.Init(c, parent)
	c.webSocket = wsserver.NewWebSocket("", wsserver.VersionLatest, c)
	if debug {
		fmt.Fprintln(log, "WebSocket server:", url)
	}
	c.webSocket.Connected.Connect(c, c.onConnected)
	c.webSocket.Disconnected.Connect(c, c.Closed.Emit)
	c.webSocket.Open(url)
	return c
}

func (c *EchoClient) onConnected() {
	if c.debug {
		fmt.Fprintln(c.log, "WebSocket connected")
	}
	c.webSocket.TextMessageReceived.Connect(c, c.onTextMessageReceived)
	c.webSocket.SendTextMessage("Hello, world!")
}

func (c *EchoClient) onTextMessageReceived(message string) {
	if c.debug {
		fmt.Fprintln(c.log, "Message received:", strconv.Quote(message))
	}
	c.webSocket.Close(wsserver.CloseCodeNormal, "")
}
