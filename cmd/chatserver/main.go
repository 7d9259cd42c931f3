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

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, nil)) }

// run is main; ready, if not nil, receives the server once it listens.
func run(args []string, stdout, stderr io.Writer, ready chan<- *ChatServer) int {
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
			return 0
		}
		return 1
	}
	addr := wsserver.Any
	switch address {
	case "any":
	case "localhost":
		addr = wsserver.LocalHost
	default:
		if addr = wsserver.NewHostAddress(address); addr.IsNull() {
			fmt.Fprintf(stderr, "Invalid address %q\n", address)
			return 1
		}
	}
	if port > 65535 {
		fmt.Fprintln(stderr, "Port invalid, must be a number between 0 and 65535")
		return 1
	}

	a := signals.NewCoreApplication(os.Args)
	server := NewChatServer(addr, uint16(port), stdout, nil)
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

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		select {
		case <-sigs:
			signals.InvokeMethod(server, func() { shutdown(a, server) }, signals.QueuedConnection)
		case <-stop:
		}
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
