// Command wsbench is a WebSocket echo load generator: point it at any ws://
// or wss:// server that sends every message back, and it reports the
// throughput, the latency distribution and every echo that was wrong.
//
//	wsbench -url ws://127.0.0.1:1234/ [-conns 1] [-msgs 1000] [-size 32]
//	        [-window 1] [-binary] [-duration 0] [-json] [-timeout 60s]
//	        [-insecure] [-dialconc 32]
//
// Flags:
//
//	-url URL       server to load, ws:// or wss:// (required)
//	-conns N       connections (default 1)
//	-msgs N        messages per connection (default 1000; ignored with -duration)
//	-size N        payload bytes per message, 16 to 2^30 (default 32)
//	-window N      messages in flight per connection, 1 to 2^20 (default 1)
//	-binary        send binary messages (default: text)
//	-duration D    send for D instead of -msgs messages, then wait for the echoes
//	-json          print one JSON object instead of the key=value line
//	-timeout D     limit on the whole run, dials and closes included (default 60s)
//	-insecure      do not verify the server's TLS certificate (wss://)
//	-dialconc N    connections dialled in parallel (default 32)
//
// # How it measures
//
// wsbench dials every connection first, -dialconc at a time, and only then
// starts the clock. If any dial fails, nothing is sent. Each connection then
// has one writer goroutine and one reader goroutine, with at most -window
// messages in flight (written and not yet echoed). The client is plain
// github.com/coder/websocket with compression off, one Write per message, no
// context per call (the -timeout watchdog cuts the TCP connections instead)
// and no allocation per message, so that the generator costs as little as
// possible per message.
//
// Message k of a connection starts with k as 16 lowercase hex digits. The
// rest is a window into a pattern of its own (letters, digits, '-' and '_',
// made from the connection's number), shifted by k mod 61. The reader checks every
// echo as it arrives, in the order sent: its type (text or binary), its
// length, and its content byte for byte, the sequence number included.
// Echoes that are out of order, truncated, too long, from another
// connection or altered count as errors. With -size 16 there is no room for
// the pattern, and only the sequence number is checked. Latency is the time from just before a message's Write
// to the end of reading its echo.
//
// With -duration the writers stop starting new messages when it has
// passed. The run ends when the last echo has been read, and the clock stops
// then. -timeout bounds everything: when it passes, every connection is cut,
// and the messages still missing count as errors. At the end, each
// connection that still works is closed with a normal close frame (1000),
// and wsbench waits for the server's reply.
//
// A live progress line, refreshed 4 times a second, goes to stderr when
// stderr is a terminal. Otherwise stderr only gets the first few problems
// and a summary of the errors.
//
// Servers that limit pending connections (QWebSocketServer's
// maxPendingConnections, 30 by default, in Qt and in this project's
// wsserver) may drop handshakes that arrive together; such a dial fails
// with EOF. Lower -dialconc below the limit.
//
// # Output
//
// One line on stdout, so that scripts can grep key=value:
//
//	msgs_per_s=158383 p50_us=4433.9 p90_us=8876.0 p99_us=14520.3 max_us=23116.8 errors=0 received=200000 conns=100 msgs=2000 size=32 window=8 binary=false elapsed_s=1.263
//
//	msgs_per_s   echoes received per second of elapsed_s
//	p50_us ...   latency percentiles (nearest rank) and maximum, in µs, of all echoes
//	errors       connections not dialled, echoes that failed verification,
//	             messages never echoed (connection broken or -timeout), and
//	             connections whose closing handshake failed
//	received     echoes received (verified or not)
//	conns, msgs, size, window, binary   the settings (msgs=0 with -duration)
//	elapsed_s    seconds from the start of sending to the last echo
//
// With -duration, duration_s=<seconds> follows elapsed_s. With -json the
// same keys, plus "url", form one JSON object. Percentiles come from a
// histogram that is exact below 1.024 µs and has a relative resolution of
// 1/1024 above.
//
// # Exit status
//
// 0 if every message was echoed correctly and every connection closed
// cleanly, 1 if there was any error, 2 for bad flags.
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/qtgo/qtgo/internal/loadtool"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

const (
	seqLen     = 16      // hex digits of the sequence number at the start of a message
	rotations  = 61      // message k uses the connection's pattern shifted by k mod rotations
	maxSize    = 1 << 30 // largest -size
	maxWindow  = 1 << 20 // largest -window
	readSlack  = 4096    // read limit is -size + readSlack, so a longer echo is seen as such
	maxReadBuf = 32 << 10
	closeConc  = 256
	alphabet   = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	hexDigits  = "0123456789abcdef"
)

// config holds the command line's values.
type config struct {
	url      string
	conns    int
	msgs     int64
	size     int
	window   int
	binary   bool
	duration time.Duration
	json     bool
	timeout  time.Duration
	insecure bool
	dialConc int
}

// parseArgs parses the command line. When it returns ok == false the
// program exits with code: 0 for -h, 2 for bad flags.
func parseArgs(args []string, stderr io.Writer) (cfg config, code int, ok bool) {
	fs := flag.NewFlagSet("wsbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: wsbench -url ws://HOST:PORT/PATH [flags]\n"+
			"WebSocket echo load generator: sends messages, verifies every echo, reports msgs/s and latency.\n\nFlags:")
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.url, "url", "", "server `URL`, ws:// or wss:// (required)")
	fs.IntVar(&cfg.conns, "conns", 1, "number of connections")
	fs.Int64Var(&cfg.msgs, "msgs", 1000, "messages per connection (ignored with -duration)")
	fs.IntVar(&cfg.size, "size", 32, "payload bytes per message (>= 16)")
	fs.IntVar(&cfg.window, "window", 1, "messages in flight per connection")
	fs.BoolVar(&cfg.binary, "binary", false, "send binary messages (default: text)")
	fs.DurationVar(&cfg.duration, "duration", 0, "if > 0, send for this long instead of -msgs messages")
	fs.BoolVar(&cfg.json, "json", false, "print one JSON object instead of a key=value line")
	fs.DurationVar(&cfg.timeout, "timeout", 60*time.Second, "limit on the whole run (dials and closes included)")
	fs.BoolVar(&cfg.insecure, "insecure", false, "skip TLS certificate verification (wss://)")
	fs.IntVar(&cfg.dialConc, "dialconc", 32, "connections dialled in parallel")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, 0, false
		}
		return cfg, 2, false
	}
	bad := func(format string, a ...any) (config, int, bool) {
		fmt.Fprintf(stderr, "wsbench: "+format+"\n", a...)
		fmt.Fprintln(stderr, "Run wsbench -h for the flags.")
		return cfg, 2, false
	}
	if fs.NArg() > 0 {
		return bad("unexpected argument %q", fs.Arg(0))
	}
	if cfg.url == "" {
		return bad("-url is required")
	}
	u, err := url.Parse(cfg.url)
	if err != nil {
		return bad("-url: %v", err)
	}
	if u.Scheme != "ws" && u.Scheme != "wss" || u.Host == "" {
		return bad("-url must be ws://HOST[:PORT][/PATH] or wss://..., got %q", cfg.url)
	}
	switch {
	case cfg.conns < 1:
		return bad("-conns must be at least 1")
	case cfg.duration == 0 && cfg.msgs < 1:
		return bad("-msgs must be at least 1")
	case cfg.size < seqLen || cfg.size > maxSize:
		return bad("-size must be between %d and %d", seqLen, maxSize)
	case cfg.window < 1 || cfg.window > maxWindow:
		return bad("-window must be between 1 and %d", maxWindow)
	case cfg.duration < 0:
		return bad("-duration must not be negative")
	case cfg.timeout <= 0:
		return bad("-timeout must be positive")
	case cfg.duration >= cfg.timeout:
		return bad("-duration (%v) must be shorter than -timeout (%v)", cfg.duration, cfg.timeout)
	case cfg.dialConc < 1:
		return bad("-dialconc must be at least 1")
	}
	return cfg, 0, true
}

// run is main: it returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	cfg, code, ok := parseArgs(args, stderr)
	if !ok {
		return code
	}
	b := newBench(cfg, stderr)
	res := b.run()
	if cfg.json {
		out, _ := json.Marshal(res)
		fmt.Fprintf(stdout, "%s\n", out)
	} else {
		fmt.Fprintln(stdout, res.line())
	}
	if res.Errors > 0 {
		return 1
	}
	return 0
}

// result is what wsbench prints.
type result struct {
	MsgsPerS  float64 `json:"msgs_per_s"`
	P50       float64 `json:"p50_us"`
	P90       float64 `json:"p90_us"`
	P99       float64 `json:"p99_us"`
	Max       float64 `json:"max_us"`
	Errors    int64   `json:"errors"`
	Received  int64   `json:"received"`
	Conns     int     `json:"conns"`
	Msgs      int64   `json:"msgs"`
	Size      int     `json:"size"`
	Window    int     `json:"window"`
	Binary    bool    `json:"binary"`
	ElapsedS  float64 `json:"elapsed_s"`
	DurationS float64 `json:"duration_s,omitempty"`
	URL       string  `json:"url"`
}

func (r *result) line() string {
	s := fmt.Sprintf("msgs_per_s=%.0f p50_us=%.1f p90_us=%.1f p99_us=%.1f max_us=%.1f errors=%d received=%d "+
		"conns=%d msgs=%d size=%d window=%d binary=%v elapsed_s=%.3f",
		r.MsgsPerS, r.P50, r.P90, r.P99, r.Max, r.Errors, r.Received,
		r.Conns, r.Msgs, r.Size, r.Window, r.Binary, r.ElapsedS)
	if r.DurationS > 0 {
		s += fmt.Sprintf(" duration_s=%g", r.DurationS)
	}
	return s
}

// bench is one run.
type bench struct {
	cfg   config
	typ   websocket.MessageType
	log   *loadtool.Logger
	conns []*conn

	origin   time.Time   // the clock's start; times are ns since then
	stopped  atomic.Bool // -duration has passed: writers send one last message
	timedOut atomic.Bool // -timeout has passed: every connection is being cut
	hist     loadtool.Histogram
	elapsed  time.Duration

	notDialed int64
	closeErrs atomic.Int64
}

func newBench(cfg config, stderr io.Writer) *bench {
	b := &bench{cfg: cfg, typ: websocket.MessageText, log: loadtool.NewLogger(stderr, "wsbench: ")}
	if cfg.binary {
		b.typ = websocket.MessageBinary
	}
	b.conns = make([]*conn, cfg.conns)
	return b
}

// now returns the ns since the clock started (monotonic).
func (b *bench) now() int64 { return int64(time.Since(b.origin)) }

func (b *bench) run() result {
	cfg := b.cfg
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// The watchdog enforces -timeout: it cuts every TCP connection, which
	// makes every pending Dial, Read, Write and Close return. Per-message I/O
	// then needs no context (coder/websocket costs more per call with one).
	tr := loadtool.NewTracker(errTimedOut)
	wdDone := make(chan struct{})
	watchdog := time.AfterFunc(cfg.timeout, func() {
		defer close(wdDone)
		b.timedOut.Store(true)
		cancel()
		tr.CloseAll()
	})

	transport := &http.Transport{
		DialContext:         tr.DialContext,
		MaxIdleConnsPerHost: -1,
	}
	if cfg.insecure {
		transport.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	}
	opts := &websocket.DialOptions{
		HTTPClient:      &http.Client{Transport: transport},
		CompressionMode: websocket.CompressionDisabled,
	}

	if b.dialAll(ctx, opts) {
		b.load()
	}
	b.closeAll()

	if !watchdog.Stop() {
		<-wdDone
	}
	tr.CloseAll()
	transport.CloseIdleConnections()
	b.log.ClearStatus()
	if b.timedOut.Load() {
		b.log.Printf("timed out after %v (-timeout)", cfg.timeout)
	}
	return b.result()
}

// dialAll dials every connection, cfg.dialConc at a time. It stops at the
// first failure and reports whether all connections are open.
func (b *bench) dialAll(ctx context.Context, opts *websocket.DialOptions) bool {
	cfg := b.cfg
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var next, dialed atomic.Int64
	stopProgress := b.log.Progress(func() string {
		return fmt.Sprintf("dialling: %d/%d connected", dialed.Load(), cfg.conns)
	})
	var wg sync.WaitGroup
	for range min(cfg.dialConc, cfg.conns) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= cfg.conns || ctx.Err() != nil {
					return
				}
				ws, _, err := websocket.Dial(ctx, cfg.url, opts)
				if err != nil {
					if ctx.Err() == nil { // not cut short by another failure or -timeout
						b.log.Problem("dial conn %d: %v", i, err)
					}
					cancel() // no partial runs: stop the other dials
					return
				}
				ws.SetReadLimit(int64(cfg.size) + readSlack)
				b.conns[i] = newConn(b, i, ws)
				dialed.Add(1)
			}
		}()
	}
	wg.Wait()
	stopProgress()
	b.notDialed = int64(cfg.conns) - dialed.Load()
	if b.notDialed > 0 {
		b.log.Printf("%d of %d connections not dialled; nothing sent", b.notDialed, cfg.conns)
		return false
	}
	return true
}

// load runs every connection's writer and reader and waits for them.
func (b *bench) load() {
	b.origin = time.Now()
	if b.cfg.duration > 0 {
		stop := time.AfterFunc(b.cfg.duration, func() { b.stopped.Store(true) })
		defer stop.Stop()
	}
	var wg sync.WaitGroup
	for _, c := range b.conns {
		wg.Add(2)
		go func() {
			defer wg.Done()
			c.writeLoop()
		}()
		go func() {
			defer wg.Done()
			c.readLoop()
		}()
	}
	var last, lastT int64
	stopProgress := b.log.Progress(func() string {
		var n, bad, failed int64
		for _, c := range b.conns {
			n += c.recvd.Load()
			bad += c.bad.Load()
			if c.failed.Load() {
				failed++
			}
		}
		t := b.now()
		rate := float64(n-last) / (float64(t-lastT) / 1e9)
		last, lastT = n, t
		return fmt.Sprintf("%.1fs received=%d (%.0f msgs/s) bad=%d broken_conns=%d",
			float64(t)/1e9, n, rate, bad, failed)
	})
	wg.Wait()
	b.elapsed = time.Since(b.origin)
	stopProgress()
}

// closeAll closes every open connection with a normal close frame and
// waits for the server's reply.
func (b *bench) closeAll() {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(closeConc, len(b.conns)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(b.conns) {
					return
				}
				c := b.conns[i]
				if c == nil || c.failed.Load() {
					continue
				}
				if err := c.ws.Close(websocket.StatusNormalClosure, ""); err != nil {
					b.closeErrs.Add(1)
					b.log.Problem("close conn %d: %v", c.id, err)
				}
			}
		}()
	}
	wg.Wait()
}

func (b *bench) result() result {
	cfg := b.cfg
	r := result{
		Conns: cfg.conns, Msgs: cfg.msgs, Size: cfg.size, Window: cfg.window, Binary: cfg.binary,
		URL: cfg.url, ElapsedS: math.Round(b.elapsed.Seconds()*1000) / 1000,
	}
	if cfg.duration > 0 {
		r.Msgs = 0
		r.DurationS = cfg.duration.Seconds()
	}
	var bad, lost int64
	for _, c := range b.conns {
		if c == nil {
			continue
		}
		n := c.recvd.Load()
		r.Received += n
		bad += c.bad.Load()
		if c.failErr != nil {
			want := cfg.msgs
			if cfg.duration > 0 {
				want = c.sent
			}
			lost += max(want-n, 1)
		}
	}
	closeErrs := b.closeErrs.Load()
	r.Errors = b.notDialed + bad + lost + closeErrs
	if r.Errors > 0 {
		b.log.Printf("%d errors: %d echoes failed verification, %d messages not echoed, "+
			"%d connections not dialled, %d closing handshakes failed", r.Errors, bad, lost, b.notDialed, closeErrs)
	}
	if b.elapsed > 0 {
		r.MsgsPerS = math.Round(float64(r.Received) / b.elapsed.Seconds())
	}
	us := func(d time.Duration) float64 { return math.Round(float64(d)/100) / 10 }
	r.P50 = us(b.hist.Quantile(0.50))
	r.P90 = us(b.hist.Quantile(0.90))
	r.P99 = us(b.hist.Quantile(0.99))
	r.Max = us(b.hist.Max())
	return r
}

// conn is one connection's state, shared by its writer and its reader.
type conn struct {
	b    *bench
	id   int
	ws   *websocket.Conn
	tape []byte // the connection's pattern: message k's body is tape[k%rotations:][:size-seqLen]

	credit chan struct{}  // one token per message in flight
	sentAt []atomic.Int64 // send time of message k at k % window
	final  atomic.Int64   // messages the writer sends in all, -1 while unknown (-duration)
	abort  chan struct{}  // closed on failure: the writer stops

	recvd  atomic.Int64 // echoes read
	bad    atomic.Int64 // echoes that failed verification
	failed atomic.Bool
	sent   int64 // written (or being written) by the writer; read after it ended

	failOnce sync.Once
	failErr  error // the first I/O error; read after both goroutines ended
}

func newConn(b *bench, id int, ws *websocket.Conn) *conn {
	window := int64(b.cfg.window)
	if b.cfg.duration == 0 {
		window = min(window, b.cfg.msgs) // no more can be in flight
	}
	c := &conn{
		b: b, id: id, ws: ws,
		tape:   newTape(id, b.cfg.size-seqLen),
		credit: make(chan struct{}, window),
		sentAt: make([]atomic.Int64, window),
		abort:  make(chan struct{}),
	}
	c.final.Store(b.cfg.msgs)
	if b.cfg.duration > 0 {
		c.final.Store(-1)
	}
	return c
}

// newTape returns n+rotations-1 pseudo-random letters, digits, '-' and '_'
// that depend on the connection's number.
func newTape(id, n int) []byte {
	rng := rand.New(rand.NewPCG(uint64(id), 0x9e3779b97f4a7c15))
	t := make([]byte, n+rotations-1)
	for i := 0; i < len(t); {
		v := rng.Uint64()
		for j := 0; j < 10 && i < len(t); j++ {
			t[i] = alphabet[v&63]
			v >>= 6
			i++
		}
	}
	return t
}

// fail records the connection's first I/O error and cuts it, which stops
// both of its goroutines.
func (c *conn) fail(err error) {
	c.failOnce.Do(func() {
		c.failErr = err
		c.failed.Store(true)
		close(c.abort)
		_ = c.ws.CloseNow()
		if !c.b.timedOut.Load() {
			c.b.log.Problem("conn %d: %v", c.id, err)
		}
	})
}

// putSeq writes seq as seqLen lowercase hex digits.
func putSeq(b []byte, seq uint64) {
	for i := seqLen - 1; i >= 0; i-- {
		b[i] = hexDigits[seq&15]
		seq >>= 4
	}
}

// parseSeq reads what putSeq wrote.
func parseSeq(b []byte) (uint64, bool) {
	var v uint64
	for _, ch := range b[:seqLen] {
		switch {
		case '0' <= ch && ch <= '9':
			v = v<<4 | uint64(ch-'0')
		case 'a' <= ch && ch <= 'f':
			v = v<<4 | uint64(ch-'a'+10)
		default:
			return 0, false
		}
	}
	return v, true
}

// fill writes message seq into buf.
func (c *conn) fill(buf []byte, seq int64) {
	putSeq(buf, uint64(seq))
	copy(buf[seqLen:], c.tape[seq%rotations:])
}

// writeLoop sends the messages, at most -window ahead of the reader.
func (c *conn) writeLoop() {
	b := c.b
	buf := make([]byte, b.cfg.size)
	win := int64(len(c.sentAt))
	ctx := context.Background()
	msgs, timed := b.cfg.msgs, b.cfg.duration > 0
	for seq := int64(0); ; seq++ {
		select {
		case c.credit <- struct{}{}:
		case <-c.abort:
			return
		}
		// With -duration the writer always sends the message it has a credit
		// for, so that a reader waiting for its echo gets it; it marks the
		// last one before writing it, so the reader knows when to stop.
		var last bool
		if timed {
			if last = b.stopped.Load(); last {
				c.final.Store(seq + 1)
			}
		} else {
			last = seq+1 == msgs
		}
		c.fill(buf, seq)
		c.sent = seq + 1
		c.sentAt[seq%win].Store(b.now())
		if err := c.ws.Write(ctx, b.typ, buf); err != nil {
			c.fail(fmt.Errorf("write seq %d: %w", seq, err))
			return
		}
		if last {
			return
		}
	}
}

// readLoop reads and verifies the echoes in order and records latencies.
func (c *conn) readLoop() {
	b := c.b
	buf := make([]byte, min(b.cfg.size+1, maxReadBuf))
	win := int64(len(c.sentAt))
	lats := make([]time.Duration, 0, 256)
	defer func() { b.hist.Add(lats...) }()
	ctx := context.Background()
	for seq := int64(0); ; seq++ {
		if f := c.final.Load(); f >= 0 && seq >= f {
			return
		}
		mt, r, err := c.ws.Reader(ctx)
		if err != nil {
			c.fail(fmt.Errorf("read seq %d: %w", seq, err))
			return
		}
		problem, err := c.readEcho(mt, r, buf, seq)
		if err != nil {
			c.fail(fmt.Errorf("read seq %d: %w", seq, err))
			return
		}
		lat := time.Duration(b.now() - c.sentAt[seq%win].Load())
		<-c.credit
		if problem != "" {
			c.bad.Add(1)
			b.log.Problem("conn %d seq %d: %s", c.id, seq, problem)
		}
		lats = append(lats, lat)
		if len(lats) == cap(lats) {
			b.hist.Add(lats...)
			lats = lats[:0]
		}
		c.recvd.Store(seq + 1)
	}
}

// readEcho reads one echo from r and compares it with message seq as it
// arrives. It returns what is wrong with it ("" if nothing), or the error
// that made reading it fail.
func (c *conn) readEcho(mt websocket.MessageType, r io.Reader, buf []byte, seq int64) (problem string, err error) {
	size := c.b.cfg.size
	var hdr [seqLen]byte
	putSeq(hdr[:], uint64(seq))
	off := int(seq % rotations)
	n := 0
	for {
		m, err := r.Read(buf)
		if m > 0 {
			if problem == "" && n < size {
				p := buf[:min(m, size-n)]
				if d := c.mismatch(p, n, &hdr, off); d >= 0 {
					problem = describeMismatch(p, n, d)
				}
			}
			n += m
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
	}
	switch {
	case mt != c.b.typ:
		return fmt.Sprintf("echo is a %v message, sent %v", mt, c.b.typ), nil
	case n != size:
		return fmt.Sprintf("echo has %d bytes, sent %d", n, size), nil
	}
	return problem, nil
}

// describeMismatch says what is wrong when p, bytes pos... of an echo,
// first differs from what was sent at p[d].
func describeMismatch(p []byte, pos, d int) string {
	at := pos + d
	if at >= seqLen {
		return fmt.Sprintf("content differs at byte %d", at)
	}
	if pos == 0 && len(p) >= seqLen {
		if got, ok := parseSeq(p); ok {
			return fmt.Sprintf("out of order: got the echo of seq %d", got)
		}
	}
	return fmt.Sprintf("sequence number differs at byte %d", at)
}

// mismatch compares p, bytes pos... of an echo of the message whose header
// is hdr and whose body starts at tape[off], with what was sent. It returns
// the index in p of the first difference, or -1. pos+len(p) <= size.
func (c *conn) mismatch(p []byte, pos int, hdr *[seqLen]byte, off int) int {
	i := 0
	if pos < seqLen {
		want := hdr[pos:]
		i = min(len(want), len(p))
		if d := firstDiff(p[:i], want[:i]); d >= 0 {
			return d
		}
	}
	if i < len(p) {
		start := off + pos + i - seqLen
		if d := firstDiff(p[i:], c.tape[start:start+len(p)-i]); d >= 0 {
			return i + d
		}
	}
	return -1
}

// firstDiff returns the first index where a and b (same length) differ, or -1.
func firstDiff(a, b []byte) int {
	if bytes.Equal(a, b) {
		return -1
	}
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return len(a)
}

// errTimedOut is what dials return once the -timeout watchdog has cut
// every connection.
var errTimedOut = errors.New("wsbench: -timeout passed")
