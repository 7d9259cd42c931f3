package wsserver_test

// Fuzz targets that drive real sockets (issue #6): the URL given to Open,
// and the frame and message size settings against a loopback pair. The
// seed corpora are in testdata/fuzz/<FuzzName>; `make fuzz` runs them.

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qtgo/qtgo/signals/signaltest"
	"github.com/qtgo/qtgo/wsserver"
)

// openVerdict is what Open must do with raw (ws §2.5 steps 1, 3 and 4): the
// error and its string for a URL it refuses, or "" for one it dials. It
// follows Open's parsing (http.NewRequest, which drops an empty port).
func openVerdict(raw string) (wsserver.SocketError, string, *url.URL) {
	u, err := url.Parse(raw)
	if err != nil || strings.Contains(raw, "\r\n") || strings.TrimSuffix(u.Host, ":") == "" {
		return wsserver.ConnectionRefusedError, "Invalid URL.", nil
	}
	if strings.Contains(strings.ToUpper(openResource(u)), "%0D%0A") {
		return wsserver.ConnectionRefusedError, "Invalid resource name.", u
	}
	if u.Scheme != "ws" && u.Scheme != "wss" {
		return wsserver.UnsupportedSocketOperationError, "Unsupported WebSocket scheme: " + u.Scheme, u
	}
	return wsserver.UnknownSocketError, "", u
}

// openResource is Qt's resource name of a client URL: the encoded path
// ("/" if empty), then "?" and the query if there is one, in QUrl's
// FullyEncoded form (space, "<>\^`{|} and non-ASCII percent-encoded).
func openResource(u *url.URL) string {
	r := u.EscapedPath()
	if r == "" {
		r = "/"
	}
	if u.RawQuery != "" {
		r += "?"
		for _, c := range []byte(u.RawQuery) {
			if c <= ' ' || c >= 0x7f || bytes.IndexByte([]byte("\"<>\\^`{|}"), c) >= 0 {
				r += fmt.Sprintf("%%%02X", c)
			} else {
				r += string(rune(c))
			}
		}
	}
	return r
}

// uriRecorder is a loopback server that reads each request with net/http's
// parser, records its target and answers 101; it needs no event loop, so
// one serves a whole fuzz run.
type uriRecorder struct {
	ln    net.Listener
	uris  chan string // a request target, or "!" and the parse error
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func newURIRecorder(tb testing.TB) *uriRecorder {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	r := &uriRecorder{ln: ln, uris: make(chan string, 16), conns: map[net.Conn]struct{}{}}
	r.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			r.mu.Lock()
			r.conns[c] = struct{}{}
			r.mu.Unlock()
			r.wg.Go(func() { r.serve(c) })
		}
	})
	tb.Cleanup(func() {
		_ = ln.Close()
		r.mu.Lock()
		for c := range r.conns {
			_ = c.Close()
		}
		r.mu.Unlock()
		r.wg.Wait()
	})
	return r
}

func (r *uriRecorder) serve(c net.Conn) {
	defer func() {
		_ = c.Close()
		r.mu.Lock()
		delete(r.conns, c)
		r.mu.Unlock()
	}()
	_ = c.SetDeadline(time.Now().Add(wait))
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil {
		r.uris <- "!" + err.Error()
		return
	}
	r.uris <- req.RequestURI
	_, _ = io.WriteString(c, respond101(req))
	_, _ = io.Copy(io.Discard, br) // until the client drops the connection
}

// FuzzOpenURL gives Open any string. First, with a proxy type Open does not
// support, so that a URL that passes every check ends in "Operation on
// socket is not supported" and nothing is dialled: Open must emit exactly
// one ErrorOccurred, synchronously, with the error and string Qt gives for
// the URL (openVerdict), and never change state. Then a URL Open accepts is
// opened for real, with its host replaced by a loopback server's: the
// client must connect, and the request target on the wire and
// ResourceName must both be Qt's resource name for the URL.
func FuzzOpenURL(f *testing.F) {
	rec := newURIRecorder(f)
	f.Fuzz(func(t *testing.T, raw string) {
		ws := newClient(t)
		ws.SetProxy(wsserver.NetworkProxy{Type: wsserver.HttpProxy})
		errs := signaltest.NewSpy(&ws.ErrorOccurred)
		states := signaltest.NewSpy(&ws.StateChanged)
		ws.Open(raw)
		wantErr, wantMsg, u := openVerdict(raw)
		if wantMsg == "" {
			wantErr, wantMsg = wsserver.UnsupportedSocketOperationError, "Operation on socket is not supported"
		}
		if errs.Count() != 1 || errs.At(0) != wantErr || ws.ErrorString() != wantMsg {
			t.Fatalf("Open(%q): %d ErrorOccurred (first %v), ErrorString %q; want one %v, %q",
				raw, errs.Count(), firstOf(errs), ws.ErrorString(), wantErr, wantMsg)
		}
		if states.Count() != 0 || ws.State() != wsserver.UnconnectedState {
			t.Fatalf("Open(%q): %d StateChanged, state %v; want none, UnconnectedState", raw, states.Count(), ws.State())
		}
		if strings.HasPrefix(wantMsg, "Unsupported WebSocket scheme") != (ws.RequestUrl() != nil) {
			t.Fatalf("Open(%q): RequestUrl() = %v after %q (Qt stores the URL before the scheme check only)", raw, ws.RequestUrl(), wantMsg)
		}
		if wantErr != wsserver.UnsupportedSocketOperationError || strings.HasPrefix(wantMsg, "Unsupported") {
			return
		}

		// Accepted: dial the loopback server instead of the URL's host.
		want := openResource(u)
		live := *u
		live.Scheme, live.Host = "ws", rec.ln.Addr().String()
		for len(rec.uris) > 0 {
			<-rec.uris
		}
		c := newClient(t)
		c.SetProxy(wsserver.NetworkProxy{Type: wsserver.NoProxy})
		log := recordSignals(t, c)
		c.Open(live.String())
		if !signaltest.WaitFor(func() bool { return log.count(evConnected)+log.count(evDisconnected) > 0 }, wait) {
			t.Fatalf("Open(%q) as %q: neither connected nor disconnected: %q", raw, live.String(), log.events())
		}
		defer c.Abort()
		if log.count(evConnected) != 1 {
			t.Fatalf("Open(%q) as %q: %q (%s); want connected", raw, live.String(), log.events(), c.ErrorString())
		}
		var got string
		select {
		case got = <-rec.uris:
		default:
			t.Fatalf("Open(%q): connected without a recorded request", raw)
		}
		if u.RawQuery == "" { // net/http keeps an empty "?"; Qt sends none
			got = strings.TrimSuffix(got, "?")
		}
		if got != want || c.ResourceName() != want {
			t.Fatalf("Open(%q): request target %q, ResourceName %q; want %q", raw, got, c.ResourceName(), want)
		}
	})
}

func firstOf(s *signaltest.Spy[wsserver.SocketError]) any {
	if s.Count() == 0 {
		return nil
	}
	return s.At(0)
}

// Fuzzed message sizes are at most this, and at most sizeFrames frames of
// the fuzzed OutgoingFrameSize, to keep each run short.
const (
	maxFuzzMessage = 256 << 10
	sizeFrames     = 2048
)

// FuzzMessageSizeLimits sets MaxAllowedIncomingFrameSize and
// MaxAllowedIncomingMessageSize on the receiving end of a loopback pair
// and OutgoingFrameSize on the sending end to fuzzed values, and sends one
// message of a fuzzed size, text or binary, either way. The setters ignore
// values over their maxima (and an outgoing size of 0), as in Qt. The
// message goes out in frames of OutgoingFrameSize; the receiver checks
// each frame as Qt does (ws §2.8): a frame over the frame limit fails with
// 1009 "Maximum framesize exceeded.", else one that takes the message over
// the message limit with 1009 "Received message is too big."; the frames
// before it are delivered as frame signals. A message whose frames all
// pass arrives intact, in one message signal, and leaves the pair
// connected. A refused one closes the receiver (no ErrorOccurred) and the
// sender with 1009. Never a panic or a hang.
func FuzzMessageSizeLimits(f *testing.F) {
	f.Fuzz(func(t *testing.T, maxFrame, maxMessage, outFrame uint64, size uint32, binary, toServer bool) {
		srv := newServer(t)
		client, server := connectPair(t, srv)
		sender, receiver := client, server
		if !toServer {
			sender, receiver = server, client
		}
		receiver.SetMaxAllowedIncomingFrameSize(maxFrame)
		receiver.SetMaxAllowedIncomingMessageSize(maxMessage)
		sender.SetOutgoingFrameSize(outFrame)
		effective := func(v, limit, def uint64) uint64 {
			if v > limit {
				return def
			}
			return v
		}
		frameLimit := effective(maxFrame, wsserver.MaxIncomingFrameSize(), wsserver.DefaultMaxAllowedIncomingFrameSize)
		messageLimit := effective(maxMessage, wsserver.MaxIncomingMessageSize(), wsserver.DefaultMaxAllowedIncomingMessageSize)
		out := effective(outFrame, wsserver.MaxOutgoingFrameSize(), wsserver.DefaultOutgoingFrameSize)
		if outFrame == 0 {
			out = wsserver.DefaultOutgoingFrameSize
		}
		if receiver.MaxAllowedIncomingFrameSize() != frameLimit || receiver.MaxAllowedIncomingMessageSize() != messageLimit ||
			sender.OutgoingFrameSize() != out {
			t.Fatalf("limits %d, %d, frame size %d after setting %d, %d, %d; want %d, %d, %d",
				receiver.MaxAllowedIncomingFrameSize(), receiver.MaxAllowedIncomingMessageSize(), sender.OutgoingFrameSize(),
				maxFrame, maxMessage, outFrame, frameLimit, messageLimit, out)
		}
		n := uint64(size) % (maxFuzzMessage + 1)
		n = min(n, out*sizeFrames)
		payload := make([]byte, n)
		for i := range payload {
			payload[i] = 'a' + byte(i%26)
		}

		rlog, slog := recordSignals(t, receiver), recordSignals(t, sender)
		var sent int64
		if binary {
			sent = sender.SendBinaryMessage(payload)
		} else {
			sent = sender.SendTextMessage(string(payload))
		}
		if sent != int64(n) {
			t.Fatalf("sending %d bytes returned %d", n, sent)
		}
		defer sender.Abort()
		defer receiver.Abort()

		// Qt's verdict, frame by frame.
		var frames []string // the frame signals before a refusal
		reason := ""
		for off := uint64(0); reason == "" && (off < n || off == 0 && n == 0); off += out {
			fs := min(out, n-off)
			switch {
			case fs > 0 && fs > frameLimit:
				reason = "Maximum framesize exceeded."
			case off+fs > messageLimit:
				reason = "Received message is too big."
			case off+fs < n:
				if binary {
					frames = append(frames, binaryFrame(string(payload[off:off+fs]), false))
				} else {
					frames = append(frames, textFrame(string(payload[off:off+fs]), false))
				}
			}
			if n == 0 {
				break
			}
		}
		if reason == "" {
			ev := "TextMessageReceived"
			if binary {
				ev = "BinaryMessageReceived"
			}
			if !signaltest.WaitFor(func() bool { return rlog.count(ev+"("+short(string(payload))+")") > 0 }, wait) {
				t.Fatalf("%d bytes within the limits (%d, %d) not delivered: receiver %q, sender %q",
					n, frameLimit, messageLimit, rlog.events(), slog.events())
			}
			rlog.mu.Lock()
			got := append([][]byte(nil), rlog.binary...)
			if !binary {
				got = got[:0]
				for _, s := range rlog.texts {
					got = append(got, []byte(s))
				}
			}
			rlog.mu.Unlock()
			if len(got) != 1 || !bytes.Equal(got[0], payload) {
				t.Fatalf("%d messages delivered; want one of %d bytes, intact", len(got), n)
			}
			if receiver.State() != wsserver.ConnectedState || sender.State() != wsserver.ConnectedState {
				t.Fatalf("after a message within the limits: receiver %v, sender %v", receiver.State(), sender.State())
			}
			return
		}

		rlog.waitFor(evDisconnected)
		slog.waitFor(evDisconnected)
		if receiver.CloseCode() != wsserver.CloseCodeTooMuchData || receiver.CloseReason() != reason {
			t.Errorf("%d bytes in frames of %d over the limits (%d, %d): receiver closed with %v %q; want 1009 %q",
				n, out, frameLimit, messageLimit, receiver.CloseCode(), receiver.CloseReason(), reason)
		}
		rlog.expect("receiver", append(frames, closeSeq...)...)
		if sender.CloseCode() != wsserver.CloseCodeTooMuchData {
			t.Errorf("%d bytes over the limits (%d, %d): sender closed with %v (error %v %q); want 1009; sender %q",
				n, frameLimit, messageLimit, sender.CloseCode(), sender.Error(), sender.ErrorString(), slog.events())
		}
	})
}
