package wsserver_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/qtgo/qtgo/signals/signaltest"
	"github.com/qtgo/qtgo/wsserver"
)

// The Autobahn|Testsuite's cases as this package's tests (the testsuite
// itself needs Python 2). Each case runs over loopback in both of
// Autobahn's modes:
//
//   - TestAutobahnServer is "fuzzingclient": the test is the raw client
//     (abFuzzer, masked frames) and the testee an echo server built on
//     WebSocketServer; categories 1-10, and 12-13 with SetPerMessageDeflate.
//   - TestAutobahnClient is "fuzzingserver": the test is the raw server
//     and the testee a WebSocket client that echoes every message it
//     receives, as Autobahn's test clients do; categories 1-10. The client
//     never offers permessage-deflate and has no way to ask for it, so
//     categories 12 and 13 have no client side.
//
// Run them with: go test -race -run Autobahn ./wsserver
// One case: go test -run 'AutobahnServer/^6.4.1$' ./wsserver

// autobahnKnownFailing lists the cases that fail against the current
// engine (coder/websocket underneath), keyed "server/<id>" or
// "client/<id>", each with what goes wrong. A listed case that fails is
// skipped, with its failures in the log. A listed case that passes fails
// the test, so that the list is kept honest, unless its entry is racy:
// the current engine passes it now and then, by timing alone, so a pass
// is only logged. THE LIST MUST SHRINK TO ZERO: it is the work list of the
// engine's rewrite, and autobahnIntermittent with it.
var autobahnKnownFailing = func() map[string]abKnown {
	m := map[string]abKnown{}
	both := func(id string, k abKnown) { m["server/"+id], m["client/"+id] = k, k }

	// NON-STRICT: the close frame, which the reader goroutine writes at
	// once, overtakes the echo of the valid message before the bad frame,
	// which waits for the loop. Autobahn wants the echo first (wire
	// order). Mostly NON-STRICT; passes now and then by timing, more
	// often when the frames come in separate writes (3.3, 3.4, 4.1.5,
	// 4.2.5).
	for _, id := range []string{"3.2", "3.3", "3.4", "4.1.3", "4.1.4", "4.1.5", "4.2.3", "4.2.4", "4.2.5", "5.15"} {
		both(id, racy("NON-STRICT: the 1002 close frame comes before the echo of the valid message sent before the bad frame"))
	}
	// Fail fast: text is validated at the end of the message, so 1007
	// comes only once the rest of the message has been sent, not at the
	// frame (6.4.1, 6.4.2) or the chop of a frame (6.4.3, 6.4.4) that
	// makes the text impossible.
	for _, id := range []string{"6.4.1", "6.4.2", "6.4.3", "6.4.4"} {
		both(id, fails("NON-STRICT: no 1007 within 1s of the bytes that make the text invalid; 1007 only at the end of the message"))
	}
	both("7.5.1", fails("a close frame whose reason is not UTF-8 is echoed unchanged (1000 and the bad reason) instead of answered with 1002 or 1007"))
	// A refused close payload (one byte, an invalid code, a code of 5000
	// or more) is answered with 1002 at once, but the server keeps TCP
	// open until coder/websocket's 5 s close timeout although the closing
	// handshake is complete (Autobahn drops TCP after 1 s: FAILED BY
	// CLIENT).
	for _, id := range []string{"7.3.2", "7.9.1", "7.9.2", "7.9.3", "7.9.4", "7.9.5", "7.9.6", "7.9.7", "7.9.8", "7.9.9", "7.13.1", "7.13.2"} {
		m["server/"+id] = fails("answers 1002, then keeps TCP open for 5 s (coder/websocket's close timeout) instead of closing it")
	}
	// permessage-deflate window bits.
	for i := 1; i <= 18; i++ {
		for _, sub := range []string{"13.3", "13.5"} {
			m[fmt.Sprintf("server/%s.%d", sub, i)] = fails("UNIMPLEMENTED: permessage-deflate is declined when the offer has server_max_window_bits=9")
		}
		for _, sub := range []string{"13.4", "13.6"} {
			m[fmt.Sprintf("server/%s.%d", sub, i)] = fails("the offer with server_max_window_bits=15 is accepted by an answer without server_max_window_bits (RFC 7692 §7.1.2.1)")
		}
	}
	return m
}()

// abKnown is an entry of autobahnKnownFailing.
type abKnown struct {
	why  string
	racy bool // the current engine passes it now and then
}

func fails(why string) abKnown { return abKnown{why: why} }
func racy(why string) abKnown  { return abKnown{why: why, racy: true} }

// autobahnIntermittent are failures that any case of a mode may show now
// and then with the current engine. A case whose only failures are these
// is skipped, with the failure in the log. Like autobahnKnownFailing, it
// must become empty.
var autobahnIntermittent = []struct{ mode, failure, why string }{
	{"server", "the server did not close the TCP connection",
		"now and then (about one protocol-error case in 200) the server fails the connection with its 1002 close frame, " +
			"the fuzzer answers at once, and the TCP connection stays open for 5 s or more (over 20 s seen) while the " +
			"server-side socket already reports UnconnectedState with CloseCode 1000 \"\" instead of 1002 and Qt's reason"},
}

func TestAutobahnServer(t *testing.T) {
	t.Parallel()
	abRunAll(t, "server", append(abCases(), abDeflateCases()...), abConnectServer)
}

func TestAutobahnClient(t *testing.T) {
	t.Parallel()
	abRunAll(t, "client", abCases(), abConnectClient)
}

// abWorkers is how many cases run at once. Many cases mostly wait (for a
// testee that must stay quiet, or for a bounded timeout in a known
// failure), so they run from a few goroutines, more than -parallel's
// GOMAXPROCS would allow (t.Run may be called from several goroutines).
const abWorkers = 4

func abRunAll(t *testing.T, mode string, cases []abCase, connect func(*testing.T, *abResult, abConfig) *abFuzzer) {
	work := make(chan abCase)
	var wg sync.WaitGroup
	for range abWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range work {
				t.Run(c.id, func(t *testing.T) { abRun(t, mode, c, connect) })
			}
		}()
	}
	for _, c := range cases {
		work <- c
	}
	close(work)
	wg.Wait()
}

// abRun runs one case against one testee and reports it against
// autobahnKnownFailing.
func abRun(t *testing.T, mode string, c abCase, connect func(*testing.T, *abResult, abConfig) *abFuzzer) {
	r := &abResult{}
	if f := connect(t, r, c.cfg); f != nil {
		c.run(f)
		f.finish(c.expect)
	}
	key := mode + "/" + c.id
	known, listed := autobahnKnownFailing[key]
	switch {
	case len(r.fails) > 0 && listed:
		t.Skipf("known failing (autobahnKnownFailing: %s):\n\t%s", known.why, strings.Join(r.fails, "\n\t"))
	case len(r.fails) > 0:
		if why := abIntermittent(mode, r.fails); why != "" {
			t.Skipf("known intermittent failure (autobahnIntermittent: %s):\n\t%s", why, strings.Join(r.fails, "\n\t"))
		}
		for _, m := range r.fails {
			t.Error(m)
		}
	case listed && known.racy:
		t.Logf("%s passed this time; the current engine passes it by timing only (autobahnKnownFailing: %s)", key, known.why)
	case listed:
		t.Errorf("%s passes now: remove it from autobahnKnownFailing (%q)", key, known.why)
	}
}

// abIntermittent returns why, if every failure is a known intermittent one
// of mode's.
func abIntermittent(mode string, fails []string) string {
	why := ""
	for _, f := range fails {
		found := false
		for _, k := range autobahnIntermittent {
			if k.mode == mode && strings.Contains(f, k.failure) {
				found, why = true, k.why
			}
		}
		if !found {
			return ""
		}
	}
	return why
}

// abConnectServer starts an echo server (the testee) and connects the
// fuzzer to it as a raw client, offering c.offer.
func abConnectServer(t *testing.T, r *abResult, c abConfig) *abFuzzer {
	srv := wsserver.NewWebSocketServer("Autobahn", wsserver.NonSecureMode, nil)
	t.Cleanup(srv.Delete)
	srv.SetPerMessageDeflate(c.offer != "")
	if !srv.Listen(wsserver.LocalHost, 0) {
		t.Fatalf("Listen: %s", srv.ErrorString())
	}
	var socks []*wsserver.WebSocket
	srv.NewConnection.Connect(srv, func() {
		for srv.HasPendingConnections() {
			ws := srv.NextPendingConnection()
			socks = append(socks, ws)
			if c.frameSize > 0 {
				ws.SetOutgoingFrameSize(uint64(c.frameSize))
			}
			ws.TextMessageReceived.Connect(ws, func(m string) { ws.SendTextMessage(m) })
			ws.BinaryMessageReceived.Connect(ws, func(b []byte) { ws.SendBinaryMessage(b) })
		}
	})
	t.Cleanup(func() {
		for _, ws := range socks {
			ws.Delete()
		}
	})
	return abDial(t, r, serverAddr(srv), c.offer)
}

// abDial connects the fuzzer to a server testee at addr as a raw client,
// offering offer (if not "").
func abDial(t *testing.T, r *abResult, addr, offer string) *abFuzzer {
	conn, err := net.DialTimeout("tcp", addr, rawWait)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	var extra []string
	if offer != "" {
		extra = append(extra, "Sec-WebSocket-Extensions: "+offer)
	}
	br, resp, err := rawHandshake(conn, addr, "/", extra...)
	if err == nil && resp.StatusCode != http.StatusSwitchingProtocols {
		err = &handshakeRefused{resp.Status}
	}
	if err != nil {
		_ = conn.Close()
		r.failf("opening handshake (offer %q): %v", offer, err)
		return nil
	}
	p := newRawPeer(t, conn, br, true, true)
	t.Cleanup(p.close)
	f := newAbFuzzer(t, r, p, true, "server")
	if offer != "" {
		pmd, err := negotiatePMD(resp.Header, offer)
		if err != nil {
			f.pmdFailed = true
			r.failf("permessage-deflate negotiation: %v", err)
		}
		f.pmd = pmd
	}
	return f
}

type handshakeRefused struct{ status string }

func (e *handshakeRefused) Error() string { return "answered " + e.status + "; want 101" }

// abConnectClient starts a raw server (the fuzzer) and connects an echoing
// client (the testee) to it.
func abConnectClient(t *testing.T, r *abResult, c abConfig) *abFuzzer {
	rs := newRawServer(t, nil)
	client := newClient(t)
	if c.frameSize > 0 {
		client.SetOutgoingFrameSize(uint64(c.frameSize))
	}
	client.TextMessageReceived.Connect(client, func(m string) { client.SendTextMessage(m) })
	client.BinaryMessageReceived.Connect(client, func(b []byte) { client.SendBinaryMessage(b) })
	peer := connectRaw(t, rs, client)
	f := newAbFuzzer(t, r, peer, false, "client")
	f.afterTCP = func() {
		if !signaltest.WaitFor(func() bool { return client.State() == wsserver.UnconnectedState }, abCloseWait) {
			r.failf("the client is still %v %v after the server closed TCP", client.State(), abCloseWait)
		}
	}
	return f
}

// TestAutobahnHarness checks the fuzzer itself: the case list is
// Autobahn's, its UTF-8 table agrees with the validity it claims, and the
// DEFLATE window check sees back-references.
func TestAutobahnHarness(t *testing.T) {
	t.Parallel()
	t.Run("case counts", func(t *testing.T) {
		// Autobahn's counts per category (its index of cases).
		want := map[string]int{"1": 16, "2": 11, "3": 7, "4": 10, "5": 20, "6": 145, "7": 37, "9": 54, "10": 1, "12": 90, "13": 126}
		got := map[string]int{}
		seen := map[string]bool{}
		for _, c := range append(abCases(), abDeflateCases()...) {
			if seen[c.id] {
				t.Errorf("case %s twice", c.id)
			}
			seen[c.id] = true
			cat, _, _ := strings.Cut(c.id, ".")
			got[cat]++
		}
		var cats []string
		for k := range want {
			cats = append(cats, k)
		}
		sort.Strings(cats)
		for _, k := range cats {
			if got[k] != want[k] {
				t.Errorf("category %s: %d cases; Autobahn has %d", k, got[k], want[k])
			}
		}
		for k := range autobahnKnownFailing {
			mode, id, _ := strings.Cut(k, "/")
			if !seen[id] || (mode != "server" && mode != "client") || (mode == "client" && (strings.HasPrefix(id, "12.") || strings.HasPrefix(id, "13."))) {
				t.Errorf("autobahnKnownFailing has %q, which is no case", k)
			}
		}
	})
	t.Run("utf8 table", func(t *testing.T) {
		n := 0
		for _, g := range abUTF8Groups() {
			for _, s := range g.seqs {
				n++
				if utf8.ValidString(s.b) != s.valid {
					t.Errorf("6.%d %s: %x marked valid=%v", g.sub, g.name, s.b, s.valid)
				}
			}
		}
		if n != 132 {
			t.Errorf("%d sequences in 6.5-6.23; Autobahn has 132", n)
		}
	})
	t.Run("deflate window check", func(t *testing.T) {
		d := abDeflateData()[4].data // incompressible, then a repeat far back
		msg := append(append([]byte{}, d[:20000]...), d[:1000]...)
		var huff, normal abDeflate
		normal.sendBits, huff.sendBits = 15, 9
		for _, c := range []struct {
			enc     *abDeflate
			min, to int
		}{{&normal, 19000, 32768}, {&huff, 0, 0}} {
			in := append(c.enc.compress(msg), 0, 0, 0xff, 0xff)
			dist, err := deflateMaxDistance(in)
			if err != nil || dist < c.min || dist > c.to {
				t.Errorf("window bits %d: max distance %d, %v; want %d to %d", c.enc.sendBits, dist, err, c.min, c.to)
			}
			dec := abDeflate{recvBits: 15}
			if out, err := dec.decompress(in[:len(in)-4]); err != nil || string(out) != string(msg) {
				t.Errorf("round trip: %v", err)
			}
			dec = abDeflate{recvBits: 9}
			_, err = dec.decompress(in[:len(in)-4])
			if (err != nil) != (c.min > 0) {
				t.Errorf("window bits %d: decompress with server_max_window_bits=9: %v", c.enc.sendBits, err)
			}
		}
	})
}

// TestAutobahnJudge checks that the fuzzer's verdicts can fail: case 3.2
// against fake servers scripted by hand, one well-behaved, the others
// wrong in one way each.
func TestAutobahnJudge(t *testing.T) {
	t.Parallel()
	var c32 abCase
	for _, c := range abCases() {
		if c.id == "3.2" {
			c32 = c
		}
	}
	// Each script gets the connection after the 101 and the frames the
	// fuzzer sends (3.2: a text message, the same with RSV2, a ping).
	type script func(c net.Conn, frames func() (wsFrame, error))
	echoThen := func(code uint16, first bool, closeTCP bool) script {
		return func(c net.Conn, frames func() (wsFrame, error)) {
			msg, err := frames()
			if err != nil {
				return
			}
			echo := encodeFrame(wsFrame{Fin: true, Opcode: opText, Payload: msg.Payload})
			if !first {
				_, _ = c.Write(echo)
			}
			_, _ = frames() // the bad frame
			_, _ = c.Write(encodeFrame(wsFrame{Fin: true, Opcode: opClose, Payload: closePayload(code, "")}))
			for {
				f, err := frames()
				if err != nil || f.Opcode == opClose {
					break
				}
			}
			if closeTCP {
				_ = c.Close()
			}
		}
	}
	cases := []struct {
		name   string
		script script
		want   string // a failure that must be reported; "" for none
	}{
		{"strict", echoThen(1002, false, true), ""},
		{"no echo", echoThen(1002, true, true), "NON-STRICT"},
		{"wrong code", echoThen(1000, false, true), "WRONG CODE"},
		{"TCP left open", echoThen(1002, false, false), "did not close the TCP connection"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			addr := abFakeServer(t, tc.script)
			r := &abResult{}
			f := abDial(t, r, addr, "")
			c32.run(f)
			f.finish(c32.expect)
			got := strings.Join(r.fails, "\n")
			switch {
			case tc.want == "" && got != "":
				t.Errorf("a strict server was failed:\n%s", got)
			case tc.want != "" && !strings.Contains(got, tc.want):
				t.Errorf("failures %q; want one with %q", got, tc.want)
			}
		})
	}
}

// abFakeServer accepts one connection on 127.0.0.1, answers its handshake
// with a 101, and hands it to script, which reads the client's frames.
func abFakeServer(t *testing.T, script func(c net.Conn, frames func() (wsFrame, error))) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		br := bufio.NewReader(c)
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		if _, err := io.WriteString(c, respond101(req)); err != nil {
			return
		}
		script(c, func() (wsFrame, error) { return readFrame(br) })
		// Keep the connection until the client goes (or the deadline).
		_, _ = io.Copy(io.Discard, br)
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-done
	})
	return ln.Addr().String()
}
