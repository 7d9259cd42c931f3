// Command server is the Go twin of qt/server/main.cpp: a WebSocketServer
// driven by a script (FORMAT.md), printing every signal of the server and
// of each socket it hands out.
//
//	server [--secure --cert FILE --key FILE] [--listen ADDR] [--name NAME]
//	       [--max-pending N] [--protocol P]... [--refuse-origin O]...
//	       [--handshake-timeout MS] [--echo] [--no-take] [--each ACTION]... ACTION...
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/qtgo/qtgo/signals"
	"github.com/qtgo/qtgo/test/qtdiff/twin/common"
	"github.com/qtgo/qtgo/wsserver"
)

// Options are the command line's settings.
type Options struct {
	secure           bool
	certFile         string
	keyFile          string
	address          string
	name             string
	maxPending       int
	protocols        []string
	refusedOrigins   []string
	handshakeTimeout int // -2: leave the default
	echo             bool
	take             bool
	each             []string // the script of every socket
}

// Server is the server program's object: the server script and the
// WebSocketServer it drives.
type Server struct {
	common.Script
	options Options
	server  *wsserver.WebSocketServer
	taken   int
}

// NewServer makes the server (Qt: Server's constructor).
func NewServer(options Options, actions []string, parent signals.AnyObject) *Server {
	srv := &Server{options: options}
	signals.Init(srv, parent)
	srv.InitScript("server", actions, srv.act)
	mode := wsserver.NonSecureMode
	if options.secure {
		mode = wsserver.SecureMode
	}
	srv.server = wsserver.NewWebSocketServer(options.name, mode, srv)

	if options.secure {
		ssl := &tls.Config{ClientAuth: tls.NoClientCert} // as Qt's sslechoserver: VerifyNone
		if cert, err := tls.LoadX509KeyPair(options.certFile, options.keyFile); err == nil {
			ssl.Certificates = []tls.Certificate{cert}
		}
		srv.server.SetSslConfiguration(ssl)
	}
	if options.maxPending >= 0 {
		srv.server.SetMaxPendingConnections(options.maxPending)
	}
	if len(options.protocols) > 0 {
		srv.server.SetSupportedSubprotocols(options.protocols)
	}
	if options.handshakeTimeout != -2 {
		srv.server.SetHandshakeTimeout(time.Duration(options.handshakeTimeout) * time.Millisecond)
	}

	srv.server.NewConnection.Connect(srv, srv.onNewConnection)
	srv.server.AcceptError.Connect(srv, func(e wsserver.SocketError) {
		srv.Print("acceptError " + common.ErrorName(e))
		srv.Notify("acceptError")
	})
	srv.server.ServerError.Connect(srv, func(code wsserver.CloseCode) {
		srv.Print("serverError " + strconv.Itoa(int(code)) + " " + common.Quoted([]byte(srv.server.ErrorString())))
		srv.Notify("serverError")
	})
	srv.server.OriginAuthenticationRequired.Connect(srv, func(auth *wsserver.WebSocketCorsAuthenticator) {
		if slices.Contains(srv.options.refusedOrigins, auth.Origin()) {
			auth.SetAllowed(false)
		}
		srv.Print("originAuthenticationRequired " + common.Quoted([]byte(auth.Origin())) + " -> allowed=" + common.BoolName(auth.Allowed()))
		srv.Notify("originAuthenticationRequired")
	})
	srv.server.Closed.Connect(srv, func() {
		srv.Print("closed")
		srv.Notify("closed")
	})
	srv.server.SslErrors.Connect(srv, func(errors []wsserver.SslError) {
		srv.Print("sslErrors count=" + strconv.Itoa(len(errors)))
		for _, e := range errors {
			srv.Print("sslError " + common.SslErrorText(e))
		}
		srv.Notify("sslErrors")
	})
	srv.server.PeerVerifyError.Connect(srv, func(err wsserver.SslError) {
		srv.Print("peerVerifyError " + common.SslErrorText(err))
		srv.Notify("peerVerifyError")
	})
	srv.server.AlertSent.Connect(srv, func(level wsserver.SslAlertLevel, typ wsserver.SslAlertType, description string) {
		srv.Print("alertSent level=" + strconv.Itoa(int(level)) + " type=" + strconv.Itoa(int(typ)) + " " + common.Quoted([]byte(description)))
		srv.Notify("alertSent")
	})
	srv.server.AlertReceived.Connect(srv, func(level wsserver.SslAlertLevel, typ wsserver.SslAlertType, description string) {
		srv.Print("alertReceived level=" + strconv.Itoa(int(level)) + " type=" + strconv.Itoa(int(typ)) + " " + common.Quoted([]byte(description)))
		srv.Notify("alertReceived")
	})
	srv.server.HandshakeInterruptedOnError.Connect(srv, func(err wsserver.SslError) {
		srv.Print("handshakeInterruptedOnError " + common.SslErrorText(err))
		srv.Notify("handshakeInterruptedOnError")
	})
	return srv
}

func (srv *Server) listen() bool {
	ok := srv.server.Listen(wsserver.NewHostAddress(srv.options.address), 0)
	if ok {
		common.PrintLine("# port=" + strconv.Itoa(int(srv.server.ServerPort())))
	}
	srv.Print("call listen -> " + common.BoolName(ok))
	return ok
}

func (srv *Server) onNewConnection() {
	srv.Print("newConnection")
	if srv.options.take {
		for socket := srv.server.NextPendingConnection(); socket != nil; socket = srv.server.NextPendingConnection() {
			srv.adopt(socket)
		}
	}
	srv.Notify("newConnection")
}

func (srv *Server) take() {
	socket := srv.server.NextPendingConnection()
	if socket == nil {
		srv.Print("call nextPendingConnection -> null")
		return
	}
	srv.Print("call nextPendingConnection -> socket" + strconv.Itoa(srv.taken+1))
	srv.adopt(socket)
}

func (srv *Server) adopt(socket *wsserver.WebSocket) {
	srv.taken++
	who := "socket" + strconv.Itoa(srv.taken)
	requested := ""
	for _, p := range socket.HandshakeOptions().Subprotocols() {
		if requested != "" {
			requested += ", "
		}
		requested += common.Quoted([]byte(p))
	}
	common.PrintLine(who + " accepted state=" + common.StateName(socket.State()) +
		" origin=" + common.Quoted([]byte(socket.Origin())) +
		" resourceName=" + common.Quoted([]byte(socket.ResourceName())) +
		" requestUrl=" + common.Quoted([]byte(common.URLString(socket))) +
		" subprotocol=" + common.Quoted([]byte(socket.Subprotocol())) +
		" requested=[" + requested + "]")
	script := common.NewSocketScript(who, srv.options.each, socket, nil, srv)
	if srv.options.echo {
		socket.TextMessageReceived.Connect(srv, func(m string) {
			common.PrintLine(who + " call sendTextMessage -> " + strconv.FormatInt(socket.SendTextMessage(m), 10))
		})
		socket.BinaryMessageReceived.Connect(srv, func(m []byte) {
			common.PrintLine(who + " call sendBinaryMessage -> " + strconv.FormatInt(socket.SendBinaryMessage(m), 10))
		})
	}
	script.Finished.Connect(srv, func() { srv.Notify("done") })
	script.Start()
}

func (srv *Server) act(verb, arg string) bool {
	switch verb {
	case "take":
		srv.take()
	case "close-server":
		srv.server.Close()
		srv.Print("call close -> isListening=" + common.BoolName(srv.server.IsListening()))
	case "pause":
		srv.server.PauseAccepting()
		srv.Print("call pauseAccepting")
	case "resume":
		srv.server.ResumeAccepting()
		srv.Print("call resumeAccepting")
	case "get":
		var value string
		switch arg {
		case "isListening":
			value = common.BoolName(srv.server.IsListening())
		case "hasPendingConnections":
			value = common.BoolName(srv.server.HasPendingConnections())
		case "error":
			value = strconv.Itoa(int(srv.server.Error()))
		case "errorString":
			value = common.Quoted([]byte(srv.server.ErrorString()))
		case "maxPendingConnections":
			value = strconv.Itoa(srv.server.MaxPendingConnections())
		default:
			return false
		}
		srv.Print("get " + arg + " -> " + value)
	default:
		return false
	}
	return true
}

func main() {
	a := signals.NewCoreApplication(os.Args)

	options := Options{address: "127.0.0.1", name: "QtDiff Server", maxPending: -1, handshakeTimeout: -2, take: true}
	fs := flag.NewFlagSet("server", flag.ExitOnError)
	fs.BoolVar(&options.secure, "secure", false, "SecureMode (wss)")
	fs.StringVar(&options.certFile, "cert", "", "certificate (PEM)")
	fs.StringVar(&options.keyFile, "key", "", "private key (PEM)")
	fs.StringVar(&options.address, "listen", options.address, "address to listen on")
	fs.Func("name", "server name", func(v string) error { options.name = string(common.Unescape(v)); return nil })
	fs.IntVar(&options.maxPending, "max-pending", -1, "max pending connections")
	fs.Func("protocol", "supported subprotocol", func(v string) error {
		options.protocols = append(options.protocols, v)
		return nil
	})
	fs.Func("refuse-origin", "origin to refuse", func(v string) error {
		options.refusedOrigins = append(options.refusedOrigins, string(common.Unescape(v)))
		return nil
	})
	fs.IntVar(&options.handshakeTimeout, "handshake-timeout", -2, "handshake timeout (ms)")
	fs.BoolVar(&options.echo, "echo", false, "echo every message")
	noTake := fs.Bool("no-take", false, "leave connections pending")
	fs.Func("each", "action of every socket's script", func(v string) error {
		options.each = append(options.each, v)
		return nil
	})
	if err := fs.Parse(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(2)
	}
	options.take = !*noTake

	server := NewServer(options, fs.Args(), nil)
	if !server.listen() {
		os.Exit(1)
	}
	common.NewStdinWatcher(server, nil)
	server.Finished.Connect(a, common.QuitProgram) // the end is a quit
	server.Start()
	code := a.Exec()
	// The scenario is over: what objects would emit while they are
	// destroyed is not part of it.
	os.Exit(code)
}
