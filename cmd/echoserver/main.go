// Command echoserver is Qt's WebSockets echoserver example ported to Go: a
// WebSocket server that sends every message back to its sender.
//
//	echoserver [-d|--debug] [-p|--port 1234]
//
// With -p 0 the system picks a free port, which the debug line reports.
// Ctrl-C (SIGINT) or SIGTERM sends every client a close frame, closes the
// server and exits with code 0.
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
	debug bool
	port  uint16
}

// parseArgs parses the command line; when it returns ok == false the
// program exits with code (0 for -h).
func parseArgs(args []string, stderr io.Writer) (opts options, code int, ok bool) {
	fs := flag.NewFlagSet("echoserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: echoserver [options]\nQtWebSockets example: echoserver\n\nOptions:")
		fs.PrintDefaults()
	}
	var port uint
	fs.BoolVar(&opts.debug, "d", false, "Debug output [default: off].")
	fs.BoolVar(&opts.debug, "debug", false, "Debug output [default: off].")
	fs.UintVar(&port, "p", 1234, "Port for echoserver [default: 1234].")
	fs.UintVar(&port, "port", 1234, "Port for echoserver [default: 1234].")
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
// server once it is made; closing quit does what SIGINT does (tests).
func run(args []string, stderr io.Writer, ready chan<- *EchoServer, quit <-chan struct{}) int {
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
	server := NewEchoServer(opts.port, opts.debug, stderr, nil)
	server.Closed.Connect(a, a.Quit)
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
func shutdown(a *signals.CoreApplication, server *EchoServer) {
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
