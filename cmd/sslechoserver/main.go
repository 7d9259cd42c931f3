// Command sslechoserver is Qt's WebSockets sslechoserver example ported to
// Go: a wss (WebSocket over TLS) server that sends every message back to its
// sender. It presents the self-signed localhost certificate of
// internal/testcert (testdata/localhost.cert), which cmd/sslechoclient
// trusts.
//
//	sslechoserver [-p|--port 1234]
//
// It prints Qt's lines on stderr (qDebug's stream): "SSL Echo Server
// listening on port N", "Client connected:" with the peer's name and origin,
// and "Client disconnected".
//
// What Qt's example does not have (Go extras):
//   - -p/--port: Qt's port is fixed at 1234, which stays the default; -p 0
//     picks a free port, which the listening line reports.
//   - The echo page (Qt's sslechoclient.html) is served at / on the same
//     port, so https://localhost:1234/ in a browser is a client once the
//     certificate is accepted.
//   - If it cannot listen, it says so and exits with code 1; Qt's prints
//     nothing and runs on without listening.
//   - Ctrl-C (SIGINT) or SIGTERM sends every client a close frame, closes
//     the server and exits with code 0.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/qtgo/qtgo/signals"
	"github.com/qtgo/qtgo/wsserver"
)

func main() { os.Exit(run(os.Args[1:], os.Stderr, nil, nil)) }

// options are the command line's values.
type options struct {
	port uint16
}

// parseArgs parses the command line; when it returns ok == false the
// program exits with code (0 for -h).
func parseArgs(args []string, stderr io.Writer) (opts options, code int, ok bool) {
	fs := flag.NewFlagSet("sslechoserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: sslechoserver [options]\nQtWebSockets example: sslechoserver\n\nOptions:")
		fs.PrintDefaults()
	}
	var port uint
	fs.UintVar(&port, "p", 1234, "Port for sslechoserver [default: 1234].")
	fs.UintVar(&port, "port", 1234, "Port for sslechoserver [default: 1234].")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return opts, 0, false
		}
		return opts, 1, false
	}
	if port > 65535 {
		fmt.Fprintln(stderr, "Port invalid, must be a number between 0 and 65535")
		return opts, 1, false
	}
	opts.port = uint16(port)
	return opts, 0, true
}

// run is main. stderr is qDebug's stream; ready, if not nil, receives the
// server once it listens; closing quit does what SIGINT does (tests).
func run(args []string, stderr io.Writer, ready chan<- *SslEchoServer, quit <-chan struct{}) int {
	opts, code, ok := parseArgs(args, stderr)
	if !ok {
		return code
	}

	// Catch Ctrl-C before listening, so that it is never the default
	// (killing) action once the listening line is out.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)

	a := signals.NewCoreApplication(os.Args)
	server := NewSslEchoServer(opts.port, stderr, nil)
	if !server.Server().IsListening() {
		fmt.Fprintln(stderr, "SSL Echo Server cannot listen:", server.Server().ErrorString())
		server.Delete()
		return 1
	}
	if ready != nil {
		ready <- server
	}

	stop := make(chan struct{})
	defer close(stop)
	go func() {
		select {
		case <-sigs:
		case <-quit:
		case <-stop:
			return
		}
		signals.InvokeMethod(server, func() { shutdown(a, server) }, signals.QueuedConnection)
	}()
	return a.Exec()
}

// shutdown is what Ctrl-C does (Qt's example has no handler): it closes
// every client with the close frame ~QWebSocket sends, waits for them to go
// (two seconds at most, so that the frames are on the wire before the
// process exits), then deletes the server and quits.
func shutdown(a *signals.CoreApplication, server *SslEchoServer) {
	for _, c := range server.clients {
		c.Close(wsserver.CloseCodeGoingAway, "Connection closed")
	}
	finished := false
	check := signals.NewTimer(a)
	finish := func() {
		if !finished {
			finished = true
			check.Stop()
			server.Delete()
			a.Quit()
		}
	}
	signals.SingleShot(2*time.Second, a, finish)
	check.Timeout.Connect(a, func() {
		if len(server.clients) == 0 {
			finish()
		}
	})
	check.Start(10 * time.Millisecond)
}
