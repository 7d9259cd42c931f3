package main

import (
	"crypto/tls"
	_ "embed"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/qtgo/qtgo/internal/testcert"
	"github.com/qtgo/qtgo/signals"
	"github.com/qtgo/qtgo/wsserver"
)

// SslEchoServer is Qt's SslEchoServer class: a wss server that echoes every
// text and binary message back to the client that sent it.
type SslEchoServer struct {
	signals.Object

	webSocketServer *wsserver.WebSocketServer
	clients         []*wsserver.WebSocket
	log             io.Writer // qDebug's stream
}

// NewSslEchoServer listens on port (0 picks one) on every address, with
// the embedded localhost certificate.
func NewSslEchoServer(port uint16, log io.Writer, parent signals.AnyObject) *SslEchoServer {
	s := &SslEchoServer{log: log}
	signals.Init(s, parent)
	s.webSocketServer = wsserver.NewWebSocketServer("SSL Echo Server", wsserver.SecureMode, s)
	s.webSocketServer.SetHTTPHandler(http.HandlerFunc(servePage)) // Go extra

	// Qt: a QSslConfiguration with VerifyNone, the local certificate
	// :/localhost.cert and the private key :/localhost.key. tls.NoClientCert
	// (the zero value) is VerifyNone: no client certificate is asked for.
	sslConfiguration := &tls.Config{
		Certificates: []tls.Certificate{testcert.Certificate()},
		ClientAuth:   tls.NoClientCert,
	}
	s.webSocketServer.SetSslConfiguration(sslConfiguration)

	if s.webSocketServer.Listen(wsserver.Any, port) {
		fmt.Fprintln(log, "SSL Echo Server listening on port", s.webSocketServer.ServerPort())
		s.webSocketServer.NewConnection.Connect(s, s.onNewConnection)
		s.webSocketServer.SslErrors.Connect(s, s.onSslErrors)
	}
	return s
}

// Server returns the WebSocket server.
func (s *SslEchoServer) Server() *wsserver.WebSocketServer { return s.webSocketServer }

func (s *SslEchoServer) onNewConnection() {
	pSocket := s.webSocketServer.NextPendingConnection()

	fmt.Fprintln(s.log, "Client connected:", strconv.Quote(pSocket.PeerName()), strconv.Quote(pSocket.Origin()))

	pSocket.TextMessageReceived.Connect(s, s.processTextMessage)
	pSocket.BinaryMessageReceived.Connect(s, s.processBinaryMessage)
	pSocket.Disconnected.Connect(s, s.socketDisconnected)

	s.clients = append(s.clients, pSocket)
}

func (s *SslEchoServer) processTextMessage(message string) {
	if pClient, _ := s.Sender().(*wsserver.WebSocket); pClient != nil {
		pClient.SendTextMessage(message)
	}
}

func (s *SslEchoServer) processBinaryMessage(message []byte) {
	if pClient, _ := s.Sender().(*wsserver.WebSocket); pClient != nil {
		pClient.SendBinaryMessage(message)
	}
}

func (s *SslEchoServer) socketDisconnected() {
	fmt.Fprintln(s.log, "Client disconnected")
	if pClient, _ := s.Sender().(*wsserver.WebSocket); pClient != nil {
		for i, c := range s.clients {
			if c == pClient {
				s.clients = append(s.clients[:i], s.clients[i+1:]...)
				break
			}
		}
		pClient.DeleteLater()
	}
}

func (s *SslEchoServer) onSslErrors([]wsserver.SslError) {
	fmt.Fprintln(s.log, "Ssl errors occurred")
}

// Destruct is ~SslEchoServer: close the server, delete the clients.
func (s *SslEchoServer) Destruct() {
	s.webSocketServer.Close()
	for _, c := range s.clients {
		c.Delete()
	}
	s.clients = nil
}

//go:embed sslechoclient.html
var echoClientPage []byte

// servePage serves the HTML echo client at / over https (a Go extra: Qt
// ships sslechoclient.html as a file to open in a browser). The page
// connects back to wss://<the host it came from>/.
func servePage(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(echoClientPage)
}
