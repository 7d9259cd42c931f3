// Command chatserver is Qt's simplechat example ported to Go: a chat server
// that relays each message to every other client. It also serves the chat
// page at / on the same port, so a browser is all a user needs.
//
//	chatserver [-p|--port 1234] [-a|--address localhost]
//
// Ctrl-C (SIGINT) or SIGTERM sends every client a close frame and exits
// with code 0.
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

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, nil, nil)) }

// options are the command line's values.
type options struct {
	address wsserver.HostAddress
	port    uint16
}

// parseArgs parses the command line; when it returns ok == false the
// program exits with code (0 for -h).
func parseArgs(args []string, stderr io.Writer) (opts options, code int, ok bool) {
	fs := flag.NewFlagSet("chatserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var port uint
	var address string
	fs.UintVar(&port, "p", 1234, "Port for the chat server")
	fs.UintVar(&port, "port", 1234, "Port for the chat server")
	fs.StringVar(&address, "a", "any", `Address to listen on: "any" (Qt's QHostAddress::Any), "localhost", or an IP address`)
	fs.StringVar(&address, "address", "any", "Address to listen on")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return opts, 0, false
		}
		return opts, 1, false
	}
	opts.address = wsserver.Any
	switch address {
	case "any":
	case "localhost":
		opts.address = wsserver.LocalHost
	default:
		if opts.address = wsserver.NewHostAddress(address); opts.address.IsNull() {
			fmt.Fprintf(stderr, "Invalid address %q\n", address)
			return opts, 1, false
		}
	}
	if port > 65535 {
		fmt.Fprintln(stderr, "Port invalid, must be a number between 0 and 65535")
		return opts, 1, false
	}
	opts.port = uint16(port)
	return opts, 0, true
}

// run is main; ready, if not nil, receives the server once it listens;
// closing quit does what SIGINT does (tests).
func run(args []string, stdout, stderr io.Writer, ready chan<- *ChatServer, quit <-chan struct{}) int {
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
	server := NewChatServer(opts.address, opts.port, stdout, nil)
	if !server.Server().IsListening() {
		fmt.Fprintln(stderr, "Chat Server cannot listen:", server.Server().ErrorString())
		return 1
	}
	if u := server.Server().ServerUrl(); u != nil {
		u.Scheme = "http"
		fmt.Fprintf(stdout, "Open %s/ in a browser to chat (Ctrl-C stops the server)\n", u)
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

// shutdown closes every client cleanly, then quits once they are gone (or
// after two seconds).
func shutdown(a *signals.CoreApplication, server *ChatServer) {
	server.Shutdown()
	signals.SingleShot(2*time.Second, a, a.Quit)
	check := signals.NewTimer(a)
	check.Timeout.Connect(a, func() {
		if len(server.clients) == 0 {
			a.Quit()
		}
	})
	check.Start(10 * time.Millisecond)
}
