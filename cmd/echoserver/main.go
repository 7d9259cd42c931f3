// Command echoserver is Qt's WebSockets echoserver example ported to Go: a
// WebSocket server that sends every message back to its sender.
//
//	echoserver [-d|--debug] [-p|--port 1234]
//
// With -p 0 the system picks a free port, which the debug line reports.
// Ctrl-C (SIGINT) or SIGTERM closes the server and exits with code 0.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/qtgo/qtgo/signals"
)

func main() { os.Exit(run(os.Args[1:])) }

func run(args []string) int {
	fs := flag.NewFlagSet("echoserver", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: echoserver [options]\nQtWebSockets example: echoserver\n\nOptions:")
		fs.PrintDefaults()
	}
	var debug bool
	var port uint
	fs.BoolVar(&debug, "d", false, "Debug output [default: off].")
	fs.BoolVar(&debug, "debug", false, "Debug output [default: off].")
	fs.UintVar(&port, "p", 1234, "Port for echoserver [default: 1234].")
	fs.UintVar(&port, "port", 1234, "Port for echoserver [default: 1234].")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 1
	}
	if port > 65535 {
		fmt.Fprintln(os.Stderr, "Port invalid, must be a number between 0 and 65535")
		return 1
	}

	a := signals.NewCoreApplication(os.Args)
	server := NewEchoServer(uint16(port), debug, os.Stderr, nil)
	server.Closed.Connect(a, a.Quit)

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		if _, ok := <-sigs; ok {
			signals.InvokeMethod(server, server.Delete, signals.QueuedConnection)
			a.Quit()
		}
	}()
	code := a.Exec()
	close(sigs)
	return code
}
