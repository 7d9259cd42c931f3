package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"

	"github.com/qtgo/qtgo/internal/loadtool"
)

// Error kinds (see the package documentation).
const (
	kDialTimeout   = "dial_timeout"
	kDialRefused   = "dial_refused"
	kDialReset     = "dial_reset"
	kDialEMFILE    = "dial_emfile"
	kDialHTTP      = "dial_http"
	kDialOther     = "dial_other"
	kWrite         = "write"
	kRead          = "read"
	kServerClosed  = "server_closed"
	kTimeout       = "timeout"
	kBadType       = "bad_type"
	kBadLength     = "bad_length"
	kOutOfOrder    = "out_of_order"
	kCrossTalk     = "cross_talk"
	kBadContent    = "bad_content"
	kLost          = "lost"
	kClose         = "close"
	kAcceptError   = "server_accept_error"
	kServerError   = "server_error"
	kSocketError   = "server_socket_error"
	kServerDied    = "server_died"
	rotations      = 61 // message k uses the connection's pattern shifted by k mod rotations
	readSlack      = 4096
	sampleInterval = time.Second // at most; a short run samples ten times
	hexDigits      = "0123456789abcdef"
	alphabet       = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

// soaker is one run.
type soaker struct {
	cfg config
	log *loadtool.Logger
	srv server
	url string // the URL dialled

	errMu sync.Mutex
	errs  map[string]int64

	dials  loadtool.Histogram
	echoes loadtool.Histogram

	opened, failed         atomic.Int64
	sent, echoed, verified atomic.Int64
	live                   atomic.Int64 // connections open and not broken

	stopSending chan struct{} // closed when -duration passes, on Ctrl-C or -timeout
	stopOnce    sync.Once
	timedOut    atomic.Bool
	tr          *loadtool.Tracker

	// peaks, sampled every second
	peakMu   sync.Mutex
	srvStats serverStats // the latest
	rssPeak  int64
	heapPeak int64
	srvGoMax int
	cliGoMax int
	cliRSS   int64
}

func (s *soaker) count(kind string, n int64) {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	s.errs[kind] += n
}

func (s *soaker) stop() { s.stopOnce.Do(func() { close(s.stopSending) }) }

// soak runs the whole soak and returns its result and whether it failed.
func soak(cfg config, log *loadtool.Logger, interrupt <-chan struct{}) (result, bool) {
	s := &soaker{cfg: cfg, log: log, errs: map[string]int64{}, stopSending: make(chan struct{}),
		tr: loadtool.NewTracker(errTimedOut)}
	res := result{Conns: cfg.conns, Server: cfg.server, Size: cfg.size,
		DurationS: cfg.duration.Seconds(), IntervalS: cfg.interval.Seconds()}

	cliBase := runtime.NumGoroutine()
	var base serverStats
	switch cfg.server {
	case modeInProcess:
		base = ownStats()
		base.GoroutinesBase = cliBase
		srv, err := startInProcess(cliBase)
		if err != nil {
			log.Printf("%v", err)
			return res, true
		}
		s.srv = srv
	case modeChild:
		srv, err := startChild(log.Writer())
		if err != nil {
			log.Printf("%v", err)
			return res, true
		}
		s.srv = srv
		base, _ = srv.Stats()
	default:
		s.srv = &externalServer{url: cfg.url, pid: cfg.pid}
		base, _ = s.srv.Stats()
	}
	s.url = s.srv.URL()
	res.URL = s.url
	s.rssPeak, s.heapPeak = base.RSS, base.Heap
	s.srvGoMax, s.cliGoMax = base.Goroutines, cliBase

	// The watchdog enforces -timeout: it cuts every TCP connection, which
	// makes every pending Dial, Read, Write and Close return.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wdDone := make(chan struct{})
	watchdog := time.AfterFunc(cfg.timeout, func() {
		defer close(wdDone)
		s.timedOut.Store(true)
		s.stop()
		cancel()
		s.tr.CloseAll()
	})
	sampleStop, sampleDone := make(chan struct{}), make(chan struct{})
	go s.sampler(min(sampleInterval, max(cfg.duration/10, 10*time.Millisecond)), sampleStop, sampleDone)

	transport := &http.Transport{DialContext: s.tr.DialContext, MaxIdleConnsPerHost: -1}
	if cfg.insecure {
		transport.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	}
	opts := &websocket.DialOptions{
		HTTPClient:      &http.Client{Transport: transport},
		CompressionMode: websocket.CompressionDisabled,
	}

	t0 := time.Now()
	conns := s.dialAll(ctx, opts)
	res.DialS = round3(time.Since(t0).Seconds())
	s.sample()
	t1 := time.Now()
	s.load(conns, interrupt)
	res.ElapsedS = round3(time.Since(t1).Seconds())

	close(sampleStop)
	<-sampleDone
	if !watchdog.Stop() {
		<-wdDone
	}
	s.tr.CloseAll()
	transport.CloseIdleConnections()
	log.ClearStatus()
	if s.timedOut.Load() {
		log.Printf("timed out after %v (-timeout)", cfg.timeout)
	}

	after, err := s.srv.Close()
	if err != nil {
		log.Printf("closing the server: %v", err)
		s.count(kServerDied, 1)
	}
	cliAfter := waitGoroutines(cliBase, goroutineGrace)

	// The server's error signals (own server only).
	s.peakMu.Lock()
	last := s.srvStats
	s.peakMu.Unlock()
	if err == nil {
		last = after
	}
	for kind, n := range map[string]int64{kAcceptError: last.AcceptErrors, kServerError: last.ServerErrors, kSocketError: last.SocketErrors} {
		if n > 0 {
			s.count(kind, n)
		}
	}

	res.Opened, res.Failed = s.opened.Load(), s.failed.Load()
	res.Sent, res.Echoed, res.Verified = s.sent.Load(), s.echoed.Load(), s.verified.Load()
	res.Lost = res.Sent - res.Echoed
	res.Corrupted = res.Echoed - res.Verified
	if res.Lost > 0 {
		s.count(kLost, res.Lost)
	}
	res.ErrorKinds = s.errs
	for _, n := range s.errs {
		res.Errors += n
	}
	res.DialP50, res.DialP99, res.DialMax = ms(s.dials.Quantile(0.5)), ms(s.dials.Quantile(0.99)), ms(s.dials.Max())
	res.EchoP50, res.EchoP99, res.EchoMax = us(s.echoes.Quantile(0.5)), us(s.echoes.Quantile(0.99)), us(s.echoes.Max())
	res.RSSBase, res.RSSPeak = mib(base.RSS), mib(s.rssPeak)
	res.HeapBase, res.HeapPeak = mib(base.Heap), mib(s.heapPeak)
	res.SrvGoBase, res.SrvGoPeak, res.SrvGoAfter = base.GoroutinesBase, s.srvGoMax, after.Goroutines
	res.CliGoBase, res.CliGoPeak, res.CliGoAfter = cliBase, s.cliGoMax, cliAfter
	res.CliRSSPeak = mib(s.cliRSS)
	if err != nil {
		res.SrvGoAfter = -1
	}

	failed := res.Errors > 0
	if res.Errors > 0 {
		log.Printf("%d errors: %s", res.Errors, res.kinds())
	}
	if res.SrvGoBase >= 0 && res.SrvGoAfter > res.SrvGoBase {
		log.Printf("server goroutines did not return to the baseline: %d before, %d after", res.SrvGoBase, res.SrvGoAfter)
		failed = true
	}
	if cliAfter > cliBase {
		log.Printf("client goroutines did not return to the baseline: %d before, %d after", cliBase, cliAfter)
		failed = true
	}
	return res, failed
}

// sampler samples the figures every interval until stop is closed. A
// short run samples often enough to see its peak: right after the dials
// the server may not have taken every connection yet.
func (s *soaker) sampler(interval time.Duration, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			s.sample()
		}
	}
}

// sample records the server's and this process's figures.
func (s *soaker) sample() {
	st, err := s.srv.Stats()
	cli, rss := runtime.NumGoroutine(), vmRSS(0)
	s.peakMu.Lock()
	defer s.peakMu.Unlock()
	s.cliGoMax = max(s.cliGoMax, cli)
	s.cliRSS = max(s.cliRSS, rss)
	if err != nil {
		return
	}
	s.srvStats = st
	s.rssPeak = max(s.rssPeak, st.RSS)
	s.heapPeak = max(s.heapPeak, st.Heap)
	s.srvGoMax = max(s.srvGoMax, st.Goroutines)
}

// conn is one client connection.
type conn struct {
	id   int
	ws   *websocket.Conn
	tape []byte // random bytes: message k's body comes from tape[k%rotations:]
}

// dialAll dials every connection, cfg.dialConc at a time, and returns those
// that opened.
func (s *soaker) dialAll(ctx context.Context, opts *websocket.DialOptions) []*conn {
	cfg := s.cfg
	conns := make([]*conn, cfg.conns)
	var next atomic.Int64
	stopProgress := s.log.Progress(func() string {
		return fmt.Sprintf("dialling: %d/%d open, %d failed", s.opened.Load(), cfg.conns, s.failed.Load())
	})
	var wg sync.WaitGroup
	for range min(cfg.dialConc, cfg.conns) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= cfg.conns || ctx.Err() != nil {
					return
				}
				dctx, cancel := context.WithTimeout(ctx, cfg.dialTimeout)
				start := time.Now()
				ws, resp, err := websocket.Dial(dctx, s.url, opts)
				d := time.Since(start)
				cancel()
				if err != nil {
					s.failed.Add(1)
					if ctx.Err() == nil {
						s.count(dialKind(err, resp), 1)
						s.log.Problem("dial conn %d: %v", i, err)
					} else {
						s.count(kTimeout, 1)
					}
					continue
				}
				ws.SetReadLimit(int64(cfg.size) + readSlack)
				s.dials.Add(d)
				conns[i] = &conn{id: i, ws: ws, tape: newTape(i, cfg.size-hdrLen+rotations)}
				s.opened.Add(1)
			}
		})
	}
	wg.Wait()
	stopProgress()
	if n := s.failed.Load(); n > 0 {
		s.log.Printf("%d of %d connections not dialled", n, cfg.conns)
	}
	open := conns[:0]
	for _, c := range conns {
		if c != nil {
			open = append(open, c)
		}
	}
	return open
}

// dialKind classifies a dial error.
func dialKind(err error, resp *http.Response) string {
	var ne net.Error
	switch {
	case resp != nil && resp.StatusCode != http.StatusSwitchingProtocols:
		return kDialHTTP
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return kDialEMFILE
	case errors.Is(err, syscall.ECONNREFUSED):
		return kDialRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return kDialReset
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return kDialTimeout
	}
	return kDialOther
}

// newTape returns n pseudo-random bytes that depend on the connection's
// number.
func newTape(id, n int) []byte {
	rng := rand.New(rand.NewPCG(uint64(id), 0x9e3779b97f4a7c15))
	t := make([]byte, n)
	for i := range t {
		t[i] = byte(rng.Uint32())
	}
	return t
}

// fill writes message seq of connection c into buf: the header, then the
// body, letters and digits for text and any byte for binary.
func (c *conn) fill(buf []byte, seq int64, typ websocket.MessageType) {
	putHex(buf[:16], uint64(seq))
	putHex(buf[16:hdrLen], uint64(c.id))
	body := c.tape[seq%rotations:]
	if typ == websocket.MessageText {
		for i := range buf[hdrLen:] {
			buf[hdrLen+i] = alphabet[int(body[i])%len(alphabet)]
		}
	} else {
		copy(buf[hdrLen:], body)
	}
}

// putHex writes v as len(b) lowercase hex digits.
func putHex(b []byte, v uint64) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = hexDigits[v&15]
		v >>= 4
	}
}

// typeOf returns the type of message seq: text and binary alternate.
func typeOf(seq int64) websocket.MessageType {
	if seq%2 == 0 {
		return websocket.MessageText
	}
	return websocket.MessageBinary
}

// load runs every connection for -duration (or until interrupt) and waits
// for them to close.
func (s *soaker) load(conns []*conn, interrupt <-chan struct{}) {
	cfg := s.cfg
	origin := time.Now()
	end := origin.Add(cfg.duration)
	timer := time.AfterFunc(cfg.duration, s.stop)
	defer timer.Stop()
	quit := make(chan struct{})
	defer close(quit)
	go func() {
		select {
		case <-interrupt:
			s.log.Printf("interrupted: stopping the traffic")
			s.stop()
		case <-quit:
		}
	}()
	stopProgress := s.log.Progress(func() string {
		s.peakMu.Lock()
		rss, gor := s.srvStats.RSS, s.srvStats.Goroutines
		s.peakMu.Unlock()
		s.errMu.Lock()
		var errs int64
		for _, n := range s.errs {
			errs += n
		}
		s.errMu.Unlock()
		return fmt.Sprintf("%.0fs/%.0fs live=%d sent=%d echoed=%d bad=%d errors=%d server: rss=%.0fMiB goroutines=%d",
			time.Since(origin).Seconds(), cfg.duration.Seconds(), s.live.Load(), s.sent.Load(), s.echoed.Load(),
			s.echoed.Load()-s.verified.Load(), errs, mib(rss), gor)
	})
	var wg sync.WaitGroup
	n := int64(len(conns))
	for i, c := range conns {
		phase := time.Duration(int64(cfg.interval) * int64(i) / max(n, 1))
		s.live.Add(1)
		wg.Go(func() { s.runConn(c, origin.Add(phase), end) })
	}
	s.sample() // every client goroutine is running: a peak
	wg.Wait()
	stopProgress()
}

// runConn sends a message every interval from first until end (or until
// told to stop), verifies each echo, then closes the connection.
func (s *soaker) runConn(c *conn, first, end time.Time) {
	defer s.live.Add(-1)
	cfg := s.cfg
	size := cfg.size
	buf := make([]byte, size)
	want := make([]byte, size)
	rbuf := make([]byte, size+1)
	ctx := context.Background()
	timer := time.NewTimer(time.Until(first))
	defer timer.Stop()
	next := first
	broken := false
loop:
	for seq := int64(0); next.Before(end); seq++ {
		select {
		case <-timer.C:
		case <-s.stopSending:
			break loop
		}
		typ := typeOf(seq)
		c.fill(buf, seq, typ)
		start := time.Now()
		if err := c.ws.Write(ctx, typ, buf); err != nil {
			s.connFailed(c, kWrite, fmt.Errorf("write seq %d: %w", seq, err))
			broken = true
			break
		}
		s.sent.Add(1)
		mt, n, err := c.readEcho(rbuf)
		if err != nil {
			s.connFailed(c, kRead, fmt.Errorf("read seq %d: %w", seq, err))
			broken = true
			break
		}
		s.echoes.Add(time.Since(start))
		s.echoed.Add(1)
		c.fill(want, seq, typ)
		if kind, problem := c.verify(mt, typ, rbuf, n, want, seq); kind != "" {
			s.count(kind, 1)
			s.log.Problem("conn %d seq %d: %s", c.id, seq, problem)
		} else {
			s.verified.Add(1)
		}
		next = next.Add(cfg.interval)
		timer.Reset(max(time.Until(next), 0))
	}
	if broken {
		_ = c.ws.CloseNow()
		return
	}
	if err := c.ws.Close(websocket.StatusNormalClosure, ""); err != nil {
		if s.timedOut.Load() {
			s.count(kTimeout, 1)
			return
		}
		s.count(kClose, 1)
		s.log.Problem("close conn %d: %v", c.id, err)
	}
}

// connFailed records the I/O error that broke a connection: kind, or
// server_closed if the server sent a close frame, or timeout if -timeout
// cut it.
func (s *soaker) connFailed(c *conn, kind string, err error) {
	switch {
	case s.timedOut.Load():
		s.count(kTimeout, 1)
		return
	case websocket.CloseStatus(err) != -1:
		kind = kServerClosed
	}
	s.count(kind, 1)
	s.log.Problem("conn %d: %v", c.id, err)
}

// readEcho reads one message into rbuf (len size+1) and returns its type
// and full length (which may exceed len(rbuf)).
func (c *conn) readEcho(rbuf []byte) (websocket.MessageType, int64, error) {
	mt, r, err := c.ws.Reader(context.Background())
	if err != nil {
		return mt, 0, err
	}
	n, err := io.ReadFull(r, rbuf)
	switch err {
	case io.EOF, io.ErrUnexpectedEOF: // the message ended within rbuf
		return mt, int64(n), nil
	case nil: // longer than expected: count the rest
		extra, err := io.Copy(io.Discard, r)
		return mt, int64(n) + extra, err
	}
	return mt, int64(n), err
}

// verify compares an echo with what was sent and returns the kind of
// problem and a description, or "" if the echo is right.
func (c *conn) verify(mt, typ websocket.MessageType, got []byte, n int64, want []byte, seq int64) (kind, problem string) {
	switch {
	case mt != typ:
		return kBadType, fmt.Sprintf("echo is a %v message, sent %v", mt, typ)
	case n != int64(len(want)):
		return kBadLength, fmt.Sprintf("echo has %d bytes, sent %d", n, len(want))
	}
	got = got[:n]
	if bytes.Equal(got, want) {
		return "", ""
	}
	switch {
	case !bytes.Equal(got[16:hdrLen], want[16:hdrLen]):
		return kCrossTalk, fmt.Sprintf("echo carries connection %q", got[16:hdrLen])
	case !bytes.Equal(got[:16], want[:16]):
		return kOutOfOrder, fmt.Sprintf("echo carries sequence number %q", got[:16])
	}
	for i := range got {
		if got[i] != want[i] {
			return kBadContent, fmt.Sprintf("content differs at byte %d", i)
		}
	}
	return kBadContent, "content differs"
}

// errTimedOut is what dials return once the -timeout watchdog has cut
// every connection.
var errTimedOut = errors.New("wssoak: -timeout passed")
