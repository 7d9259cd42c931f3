// Command wssoak is a soak test for a WebSocket echo server: it holds many
// connections open for a bounded time, keeps a trickle of messages flowing
// on each, verifies every echo, and reports what failed, what the server's
// memory and goroutines did, and whether everything was released at the
// end.
//
//	wssoak [-conns 10000] [-duration 60s] [-interval 1s] [-size 64]
//	       [-server inprocess|child] [-url ws://127.0.0.1:PORT/ [-pid PID]]
//	       [-dialconc 64] [-dialtimeout 10s] [-timeout 0] [-json] [-insecure]
//
// Flags:
//
//	-conns N        concurrent connections (default 10000)
//	-duration D     how long traffic flows once every connection is dialled (default 60s)
//	-interval D     each connection sends one message per interval (default 1s)
//	-size N         bytes per message, 24 to 1 MiB (default 64)
//	-server MODE    where the echo server runs when -url is not given:
//	                inprocess (default) on its own event loop goroutine in
//	                this process, or child: the same server in a child
//	                process, which has its own descriptor limit and reports
//	                figures of its own
//	-url URL        soak this ws:// or wss:// echo server instead; only
//	                loopback hosts (127.0.0.1, ::1, localhost) are accepted
//	-pid PID        with -url: the server's process, whose RSS is reported
//	-dialconc N     connections dialled in parallel (default 64)
//	-dialtimeout D  limit on one dial, handshake included (default 10s)
//	-timeout D      limit on the whole run (default 2 × -duration + 2m)
//	-json           print one JSON object instead of the key=value line
//	-insecure       do not verify the server's TLS certificate (wss://)
//
// # The server
//
// By default wssoak runs the project's own echo server, built with wsserver
// as cmd/echoserver is (Qt's defaults: 30 pending connections, a 10 s
// handshake timeout), on 127.0.0.1 port 0 on a signals.Thread of its own.
// The server's figures are then the process's: the clients' goroutines and
// memory are included. With -server child, wssoak runs itself again as that
// server in a child process and asks it for its figures, so they are the
// server's alone, and each process needs descriptors for one side of the
// connections only.
//
// # The clients
//
// Each connection is a plain github.com/coder/websocket client on one
// goroutine, so that the client side stays light. Connections are dialled
// first, -dialconc at a time; a failed dial is counted and the others go
// on. Then, for -duration, each connection sends one message per -interval
// (their phases spread evenly over the interval) and waits for its echo
// before the next. Messages alternate text and binary. Message k of
// connection i starts with k as 16 hex digits and i as 8, followed by a
// pattern of the connection's own (letters and digits for text, any byte for
// binary) shifted by k. Each echo is checked: its type, its length, its
// sequence number and connection (order, cross-talk) and every byte. When
// the time is up, each connection closes with a normal close frame (1000)
// and waits for the server's.
//
// Latency is the time from just before a message's Write to the end of
// reading its echo; dial time covers TCP connect and the opening handshake.
// Percentiles come from a histogram with a relative resolution of 1/1024.
//
// At the start wssoak raises its RLIMIT_NOFILE to the hard limit, and says
// so on stderr if that is below what -conns needs (two descriptors per
// connection with the in-process server, one otherwise). -timeout bounds
// the whole run: when it passes, every connection is cut and what was
// missing counts as errors. Ctrl-C ends the traffic early; the run then
// closes as usual and reports.
//
// A live progress line, refreshed 4 times a second, goes to stderr when
// stderr is a terminal. Otherwise stderr only gets notices, the first few
// problems and a summary of the errors.
//
// # Output
//
// One line on stdout, key=value:
//
//	conns=10000 opened=10000 failed=0 sent=600000 echoed=600000 verified=600000 lost=0 corrupted=0 errors=0 error_kinds=none dial_p50_ms=6.5 dial_p99_ms=29.5 dial_max_ms=44.6 echo_p50_us=125.9 echo_p99_us=5335.0 echo_max_us=222417.3 server=child server_rss_base_mib=8.6 server_rss_peak_mib=352.2 server_heap_base_mib=0.6 server_heap_peak_mib=286.2 server_goroutines_base=1 server_goroutines_peak=10004 server_goroutines_after=1 client_goroutines_base=3 client_goroutines_peak=10005 client_goroutines_after=3 client_rss_peak_mib=199.7 rlimit_nofile=20000 dial_s=1.302 duration_s=60 interval_s=1 size=64 elapsed_s=60.000
//
//	conns, opened, failed   connections asked for, dialled, not dialled
//	sent, echoed, verified  messages written, echoes read, echoes correct
//	lost                    messages written and never echoed
//	corrupted               echoes that failed verification
//	errors                  the sum of every error kind below
//	error_kinds             kind:count,… or none. Kinds: dial_timeout,
//	                        dial_refused, dial_reset, dial_emfile, dial_http,
//	                        dial_other; write, read, server_closed, timeout
//	                        (a connection broken, or cut by -timeout);
//	                        bad_type, bad_length, out_of_order, cross_talk,
//	                        bad_content (corrupted echoes); lost; close (a
//	                        closing handshake that failed); server_accept_error,
//	                        server_error, server_socket_error (the server's
//	                        AcceptError, ServerError and sockets'
//	                        ErrorOccurred signals; own server only);
//	                        server_died (the child server stopped answering)
//	dial_p50_ms, dial_p99_ms, dial_max_ms   dial times
//	echo_p50_us, echo_p99_us, echo_max_us   echo latencies
//	server                  inprocess, child or url
//	server_rss_base_mib, server_rss_peak_mib     the server process's VmRSS
//	                        before it started and at its peak (sampled every
//	                        second, or ten times in a shorter run); with -url
//	                        only if -pid is given
//	server_heap_base_mib, server_heap_peak_mib   its Go heap in use
//	server_goroutines_base, server_goroutines_peak, server_goroutines_after
//	                        its goroutines before it started, at the peak,
//	                        and after every client and the server closed
//	client_goroutines_base, client_goroutines_peak, client_goroutines_after
//	                        the same for this process
//	client_rss_peak_mib     this process's peak VmRSS (the server's too
//	                        with inprocess)
//	rlimit_nofile           this process's descriptor limit after raising it
//	dial_s                  seconds to dial every connection
//	duration_s, interval_s, size   the settings
//	elapsed_s               seconds of traffic, from the first send to the last close
//
// Figures that cannot be known (the heap of a -url server, its RSS without
// -pid) are -1. With -json the same keys form one JSON object, with
// error_kinds as an object and the url added.
//
// # Exit status
//
// 0 if every connection was dialled, every message was echoed correctly,
// every connection closed cleanly, nothing went wrong on the server, and
// the goroutines of both processes returned to their baseline; 1 otherwise;
// 2 for bad flags.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/qtgo/qtgo/internal/loadtool"
)

func main() {
	if os.Getenv(childEnv) == "1" {
		os.Exit(serveChild(os.Stdin, os.Stdout, os.Stderr))
	}
	// Ctrl-C or SIGTERM ends the traffic early; a second one kills.
	stop := make(chan struct{})
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		signal.Stop(sigs)
		close(stop)
	}()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, stop))
}

const (
	hdrLen  = 24      // 16 hex digits of sequence number, 8 of connection number
	maxSize = 1 << 20 // largest -size
)

// Server modes.
const (
	modeInProcess = "inprocess"
	modeChild     = "child"
	modeURL       = "url"
)

// config holds the command line's values.
type config struct {
	conns       int
	duration    time.Duration
	interval    time.Duration
	size        int
	server      string
	url         string
	pid         int
	dialConc    int
	dialTimeout time.Duration
	timeout     time.Duration
	json        bool
	insecure    bool
}

// loopbackHosts are the only hosts -url may name: a soak opens thousands
// of connections and must not be pointed at somebody else's server.
var loopbackHosts = map[string]bool{"127.0.0.1": true, "::1": true, "localhost": true}

// parseArgs parses the command line. When it returns ok == false the
// program exits with code: 0 for -h, 2 for bad flags.
func parseArgs(args []string, stderr io.Writer) (cfg config, code int, ok bool) {
	fs := flag.NewFlagSet("wssoak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: wssoak [flags]\n"+
			"WebSocket soak: many connections with traffic for a bounded time, every echo verified;\n"+
			"reports errors, latencies, the server's memory and goroutines.\n\nFlags:")
		fs.PrintDefaults()
	}
	fs.IntVar(&cfg.conns, "conns", 10000, "concurrent connections")
	fs.DurationVar(&cfg.duration, "duration", 60*time.Second, "how long traffic flows")
	fs.DurationVar(&cfg.interval, "interval", time.Second, "each connection sends one message per interval")
	fs.IntVar(&cfg.size, "size", 64, "bytes per message (24 to 1 MiB)")
	fs.StringVar(&cfg.server, "server", modeInProcess, "echo server to run without -url: `inprocess` or child")
	fs.StringVar(&cfg.url, "url", "", "soak this loopback ws:// or wss:// echo server instead of running one")
	fs.IntVar(&cfg.pid, "pid", 0, "with -url: the server's process id, to report its RSS")
	fs.IntVar(&cfg.dialConc, "dialconc", 64, "connections dialled in parallel")
	fs.DurationVar(&cfg.dialTimeout, "dialtimeout", 10*time.Second, "limit on one dial")
	fs.DurationVar(&cfg.timeout, "timeout", 0, "limit on the whole run (0: 2 × -duration + 2m)")
	fs.BoolVar(&cfg.json, "json", false, "print one JSON object instead of a key=value line")
	fs.BoolVar(&cfg.insecure, "insecure", false, "skip TLS certificate verification (wss://)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, 0, false
		}
		return cfg, 2, false
	}
	bad := func(format string, a ...any) (config, int, bool) {
		fmt.Fprintf(stderr, "wssoak: "+format+"\n", a...)
		fmt.Fprintln(stderr, "Run wssoak -h for the flags.")
		return cfg, 2, false
	}
	if fs.NArg() > 0 {
		return bad("unexpected argument %q", fs.Arg(0))
	}
	serverSet := false
	fs.Visit(func(f *flag.Flag) { serverSet = serverSet || f.Name == "server" })
	if cfg.url != "" {
		if serverSet {
			return bad("-server and -url exclude each other")
		}
		u, err := url.Parse(cfg.url)
		if err != nil {
			return bad("-url: %v", err)
		}
		if u.Scheme != "ws" && u.Scheme != "wss" || u.Host == "" {
			return bad("-url must be ws://HOST[:PORT][/PATH] or wss://..., got %q", cfg.url)
		}
		if !loopbackHosts[u.Hostname()] {
			return bad("-url host must be 127.0.0.1, ::1 or localhost (a soak runs on loopback only), got %q", u.Hostname())
		}
		cfg.server = modeURL
	} else if cfg.server != modeInProcess && cfg.server != modeChild {
		return bad("-server must be %s or %s, got %q", modeInProcess, modeChild, cfg.server)
	}
	if cfg.timeout == 0 {
		cfg.timeout = 2*cfg.duration + 2*time.Minute
	}
	switch {
	case cfg.conns < 1:
		return bad("-conns must be at least 1")
	case cfg.duration <= 0:
		return bad("-duration must be positive")
	case cfg.interval <= 0:
		return bad("-interval must be positive")
	case cfg.size < hdrLen || cfg.size > maxSize:
		return bad("-size must be between %d and %d", hdrLen, maxSize)
	case cfg.pid < 0 || cfg.pid > 0 && cfg.server != modeURL:
		return bad("-pid must be a process id, and goes with -url")
	case cfg.dialConc < 1:
		return bad("-dialconc must be at least 1")
	case cfg.dialTimeout <= 0:
		return bad("-dialtimeout must be positive")
	case cfg.timeout <= cfg.duration:
		return bad("-timeout (%v) must be longer than -duration (%v)", cfg.timeout, cfg.duration)
	}
	return cfg, 0, true
}

// run is main: it returns the exit code. Closing stop ends the traffic
// early (Ctrl-C).
func run(args []string, stdout, stderr io.Writer, stop <-chan struct{}) int {
	cfg, code, ok := parseArgs(args, stderr)
	if !ok {
		return code
	}
	log := loadtool.NewLogger(stderr, "wssoak: ")
	limit := raiseNoFile(log)
	need := cfg.conns + 64
	if cfg.server == modeInProcess {
		need += cfg.conns // both ends of every connection
	}
	if limit < uint64(need) {
		hint := ""
		if cfg.server == modeInProcess {
			hint = "; -server child runs the server in a process of its own"
		}
		log.Printf("RLIMIT_NOFILE is %d (the hard limit), below the ~%d descriptors -conns %d needs here: expect failed dials%s",
			limit, need, cfg.conns, hint)
	}

	res, failed := soak(cfg, log, stop)
	res.RlimitNofile = limit
	if cfg.json {
		out, _ := json.Marshal(res)
		fmt.Fprintf(stdout, "%s\n", out)
	} else {
		fmt.Fprintln(stdout, res.line())
	}
	if failed {
		return 1
	}
	return 0
}

// raiseNoFile raises RLIMIT_NOFILE to its hard limit and returns the limit
// in force.
func raiseNoFile(log *loadtool.Logger) uint64 {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		log.Printf("getrlimit: %v", err)
		return 0
	}
	if rl.Cur < rl.Max {
		want := rl
		want.Cur = rl.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
			log.Printf("raising RLIMIT_NOFILE from %d to %d: %v", rl.Cur, rl.Max, err)
			return rl.Cur
		}
		rl = want
	}
	return rl.Cur
}
