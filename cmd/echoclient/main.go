// Command echoclient is Qt's WebSockets echoclient example ported to Go: it
// connects to an echo server, sends "Hello, world!", prints the reply (with
// -d) and exits when the connection closes.
//
//	echoclient [-d|--debug] [-n|--hostname localhost] [-p|--port 1234]
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"

	"github.com/qtgo/qtgo/signals"
)

func main() { os.Exit(run(os.Args[1:], os.Stderr)) }

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("echoclient", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: echoclient [options]\nQtWebSockets example: echoclient\n\nOptions:")
		fs.PrintDefaults()
	}
	var debug bool
	var hostname, portArg string
	fs.BoolVar(&debug, "d", false, "Debug output [default: off].")
	fs.BoolVar(&debug, "debug", false, "Debug output [default: off].")
	fs.StringVar(&hostname, "n", "localhost", "Hostname of the server [default: localhost].")
	fs.StringVar(&hostname, "hostname", "localhost", "Hostname of the server [default: localhost].")
	fs.StringVar(&portArg, "p", "1234", "Port of the server [default: 1234].")
	fs.StringVar(&portArg, "port", "1234", "Port of the server [default: 1234].")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 1
	}
	port, err := strconv.Atoi(portArg)
	if err != nil || port < 1 || port > 65535 {
		fmt.Fprintln(stderr, "Port invalid, must be a number between 1 and 65535")
		fs.Usage()
		return 1
	}

	a := signals.NewCoreApplication(os.Args)
	client := NewEchoClient("ws://"+net.JoinHostPort(hostname, strconv.Itoa(port)), debug, stderr, nil)
	client.Closed.Connect(a, a.Quit)
	return a.Exec()
}
