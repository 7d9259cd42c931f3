package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/qtgo/qtgo/internal/testcert"
	"github.com/qtgo/qtgo/signals"
	"github.com/qtgo/qtgo/wsserver"
)

// SslEchoClient is Qt's SslEchoClient class: it opens a wss connection,
// trusting the example's self-signed certificate, sends "Hello, world!",
// prints the echo and quits.
type SslEchoClient struct {
	signals.Object

	webSocket *wsserver.WebSocket      // Qt holds it by value; here a child
	app       *signals.CoreApplication // qApp (see NewSslEchoClient)
	log       io.Writer                // qDebug's and qWarning's stream
	connected bool                     // Go extra: Connected was emitted
}

// NewSslEchoClient opens url at once. app is what Qt's class reaches as
// qApp: Go has no per-process application that the tests, which run
// several programs in one process, could share.
func NewSslEchoClient(url string, app *signals.CoreApplication, log io.Writer, parent signals.AnyObject) *SslEchoClient {
	c := &SslEchoClient{app: app, log: log}
	signals.Init(c, parent)
	c.webSocket = wsserver.NewWebSocket("", wsserver.VersionLatest, c)
	c.webSocket.Connected.Connect(c, c.onConnected)
	c.webSocket.SslErrors.Connect(c, c.onSslErrors)
	c.webSocket.Disconnected.Connect(c, c.onDisconnected) // Go extra

	// Qt: a fresh QSslConfiguration with :/localhost.cert added as a CA
	// certificate, so that the self-signed server is trusted.
	sslConfiguration := &tls.Config{RootCAs: testcert.CertPool()}
	c.webSocket.SetSslConfiguration(sslConfiguration)

	c.webSocket.Open(url)
	return c
}

func (c *SslEchoClient) onConnected() {
	c.connected = true
	fmt.Fprintln(c.log, "WebSocket connected")
	c.webSocket.TextMessageReceived.Connect(c, c.onTextMessageReceived)
	c.webSocket.SendTextMessage("Hello, world!")
}

func (c *SslEchoClient) onTextMessageReceived(message string) {
	fmt.Fprintln(c.log, "Message received:", strconv.Quote(message))
	c.app.Quit()
}

// onSslErrors prints the errors and quits; like Qt's, it does not ignore
// them, so the connection fails.
func (c *SslEchoClient) onSslErrors(errors []wsserver.SslError) {
	fmt.Fprintln(c.log, "SSL errors:", qDebugList(errors))
	c.app.Quit()
}

// onDisconnected is a Go extra: Qt's example has no handler for a
// connection that fails and runs on. A disconnection before Connected ends
// the program with exit code 1, also after SSL errors (whose Quit it
// overrides: the failed handshake's Disconnected follows SslErrors).
func (c *SslEchoClient) onDisconnected() {
	if !c.connected {
		c.app.Exit(1)
	}
}

// qDebugList formats errors as qDebug prints a QList<QSslError> in Qt 6:
// each error's errorString(), QList("first", "second").
func qDebugList(errors []wsserver.SslError) string {
	quoted := make([]string, len(errors))
	for i, e := range errors {
		quoted[i] = strconv.Quote(e.ErrorString())
	}
	return "QList(" + strings.Join(quoted, ", ") + ")"
}
