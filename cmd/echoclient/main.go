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

func main() { os.Exit(run(os.Args[1:], os.Stderr, nil)) }

// options are the command line's values.
type options struct {
	debug bool
	url   string // ws://<hostname>:<port>
}

// parseArgs parses the command line; when it returns ok == false the
// program exits with code (0 for -h).
func parseArgs(args []string, stderr io.Writer) (opts options, code int, ok bool) {
	fs := flag.NewFlagSet("echoclient", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: echoclient [options]\nQtWebSockets example: echoclient\n\nOptions:")
		fs.PrintDefaults()
	}
	var hostname, portArg string
	fs.BoolVar(&opts.debug, "d", false, "Debug output [default: off].")
	fs.BoolVar(&opts.debug, "debug", false, "Debug output [default: off].")
	fs.StringVar(&hostname, "n", "localhost", "Hostname of the server [default: localhost].")
	fs.StringVar(&hostname, "hostname", "localhost", "Hostname of the server [default: localhost].")
	fs.StringVar(&portArg, "p", "1234", "Port of the server [default: 1234].")
	fs.StringVar(&portArg, "port", "1234", "Port of the server [default: 1234].")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return opts, 0, false
		}
		return opts, 1, false
	}
	port, err := strconv.Atoi(portArg)
	if err != nil || port < 1 || port > 65535 {
		fmt.Fprintln(stderr, "Port invalid, must be a number between 1 and 65535")
		fs.Usage()
		return opts, 1, false
	}
	opts.url = "ws://" + net.JoinHostPort(hostname, strconv.Itoa(port))
	return opts, 0, true
}

// run is main. stderr is qDebug's stream; closing quit stops the loop (a
// test's way out should the server never answer).
func run(args []string, stderr io.Writer, quit <-chan struct{}) int {
	opts, code, ok := parseArgs(args, stderr)
	if !ok {
		return code
	}

	a := signals.NewCoreApplication(os.Args)
	client := NewEchoClient(opts.url, opts.debug, stderr, nil)
	defer client.Delete() // Qt's EchoClient lives on main's stack
	client.Closed.Connect(a, a.Quit)

	if quit != nil {
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			select {
			case <-quit:
				signals.InvokeMethod(a, a.Quit, signals.QueuedConnection)
			case <-stop:
			}
		}()
	}
	return a.Exec()
}
