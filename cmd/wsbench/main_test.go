package main

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/goleak"

	"github.com/qtgo/qtgo/internal/cmdtest"
	"github.com/qtgo/qtgo/signals"
	"github.com/qtgo/qtgo/wsserver"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// runBench runs the program with args and returns its exit code, stdout
// and stderr. It fails the test if run does not return within 30 s.
func runBench(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut cmdtest.Buffer
	done := make(chan int, 1)
	go func() { done <- run(args, &out, &errOut) }()
	select {
	case code = <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("run(%q) did not return within 30 s; stderr:\n%s", args, errOut.String())
	}
	return code, out.String(), errOut.String()
}

// lineRE is the documented text output.
var lineRE = regexp.MustCompile(`^msgs_per_s=\d+ p50_us=[\d.]+ p90_us=[\d.]+ p99_us=[\d.]+ max_us=[\d.]+ ` +
	`errors=\d+ received=\d+ conns=\d+ msgs=\d+ size=\d+ window=\d+ binary=(true|false) elapsed_s=[\d.]+( duration_s=[\d.]+)?\n$`)

// fields parses the key=value line.
func fields(t *testing.T, out string) map[string]float64 {
	t.Helper()
	if !lineRE.MatchString(out) {
		t.Fatalf("output is not the documented line: %q", out)
	}
	m := map[string]float64{}
	for _, kv := range strings.Fields(out) {
		k, v, _ := strings.Cut(kv, "=")
		switch v {
		case "true":
			m[k] = 1
		case "false":
			m[k] = 0
		default:
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", kv, err)
			}
			m[k] = f
		}
	}
	return m
}

// checkLatencies checks 0 < p50 <= p90 <= p99 <= max.
func checkLatencies(t *testing.T, f map[string]float64) {
	t.Helper()
	if !(0 < f["p50_us"] && f["p50_us"] <= f["p90_us"] && f["p90_us"] <= f["p99_us"] && f["p99_us"] <= f["max_us"]) {
		t.Errorf("latencies not ordered: p50 %v p90 %v p99 %v max %v", f["p50_us"], f["p90_us"], f["p99_us"], f["max_us"])
	}
}

// startEcho runs an echo server made with wsserver on its own
// signals.Thread and returns its ws:// URL. The thread quits at cleanup.
func startEcho(t *testing.T) string {
	t.Helper()
	urls := make(chan string, 1)
	var th *signals.Thread
	th = signals.CreateThread(func() {
		srv := wsserver.NewWebSocketServer("Echo", wsserver.NonSecureMode, nil)
		defer srv.Delete()
		if !srv.Listen(wsserver.LocalHost, 0) {
			urls <- "listen: " + srv.ErrorString()
			return
		}
		srv.NewConnection.Connect(srv, func() {
			ws := srv.NextPendingConnection()
			ws.TextMessageReceived.Connect(ws, func(m string) { ws.SendTextMessage(m) })
			ws.BinaryMessageReceived.Connect(ws, func(b []byte) { ws.SendBinaryMessage(b) })
			ws.Disconnected.Connect(ws, ws.DeleteLater)
		})
		urls <- srv.ServerUrl().String()
		th.Exec()
	})
	th.Start()
	t.Cleanup(func() {
		th.Quit()
		if !th.WaitTimeout(10 * time.Second) {
			t.Error("echo server thread did not finish within 10 s")
		}
	})
	select {
	case u := <-urls:
		if !strings.HasPrefix(u, "ws://127.0.0.1:") {
			t.Fatalf("echo server: %s", u)
		}
		return u
	case <-time.After(10 * time.Second):
		t.Fatal("echo server not listening within 10 s")
	}
	return ""
}

// message is one WebSocket message.
type message struct {
	typ websocket.MessageType
	p   []byte
}

// coderServer is a small echo server on plain coder/websocket over
// httptest, whose echoes alter can change: alter gets the index of each
// message on its connection and returns what to send back.
type coderServer struct {
	url string
	wg  sync.WaitGroup

	mu     sync.Mutex
	closes []websocket.StatusCode // the close status each connection got
}

func startCoder(t *testing.T, useTLS bool, alter func(i int, m message) []message) *coderServer {
	return startCoderLimit(t, useTLS, 0, alter)
}

// startCoderLimit is startCoder that answers 503 to the handshakes after
// the first limit ones (no limit if 0).
func startCoderLimit(t *testing.T, useTLS bool, limit int, alter func(i int, m message) []message) *coderServer {
	t.Helper()
	s := &coderServer{}
	var handshakes atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.wg.Add(1)
		defer s.wg.Done()
		if n := handshakes.Add(1); limit > 0 && n > int64(limit) {
			http.Error(w, "full", http.StatusServiceUnavailable)
			return
		}
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(1 << 20)
		ctx := context.Background()
		for i := 0; ; i++ {
			typ, p, err := c.Read(ctx)
			if err != nil {
				s.mu.Lock()
				s.closes = append(s.closes, websocket.CloseStatus(err))
				s.mu.Unlock()
				return
			}
			out := []message{{typ, p}}
			if alter != nil {
				out = alter(i, message{typ, p})
			}
			for _, m := range out {
				if err := c.Write(ctx, m.typ, m.p); err != nil {
					return
				}
			}
		}
	})
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused test certificate
	if useTLS {
		srv.StartTLS()
		s.url = "wss://" + srv.Listener.Addr().String() + "/"
	} else {
		srv.Start()
		s.url = "ws://" + srv.Listener.Addr().String() + "/"
	}
	t.Cleanup(func() {
		srv.Close()
		done := make(chan struct{})
		go func() { s.wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("echo handlers did not return within 10 s")
		}
	})
	return s
}

// closeStatuses waits for n connections to have closed and returns how.
func (s *coderServer) closeStatuses(t *testing.T, n int) []websocket.StatusCode {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.mu.Lock()
		got := slices.Clone(s.closes)
		s.mu.Unlock()
		if len(got) >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestTextVerifiesEveryEcho(t *testing.T) {
	t.Parallel()
	u := startEcho(t)
	code, out, errOut := runBench(t, "-url", u, "-conns", "3", "-msgs", "300")
	if code != 0 {
		t.Fatalf("exit %d; stdout %q; stderr:\n%s", code, out, errOut)
	}
	f := fields(t, out)
	if f["received"] != 900 || f["errors"] != 0 {
		t.Errorf("received=%v errors=%v; want 900, 0", f["received"], f["errors"])
	}
	if f["conns"] != 3 || f["msgs"] != 300 || f["size"] != 32 || f["window"] != 1 || f["binary"] != 0 {
		t.Errorf("settings echoed wrong: %q", out)
	}
	if f["msgs_per_s"] <= 0 || f["elapsed_s"] <= 0 {
		t.Errorf("no throughput: %q", out)
	}
	checkLatencies(t, f)
	if errOut != "" {
		t.Errorf("stderr not quiet: %q", errOut)
	}
}

func TestBinaryWindow(t *testing.T) {
	t.Parallel()
	u := startEcho(t)
	code, out, errOut := runBench(t, "-url", u, "-conns", "2", "-msgs", "400", "-window", "16", "-binary", "-size", "1000")
	if code != 0 {
		t.Fatalf("exit %d; stdout %q; stderr:\n%s", code, out, errOut)
	}
	f := fields(t, out)
	if f["received"] != 800 || f["errors"] != 0 || f["binary"] != 1 || f["window"] != 16 || f["size"] != 1000 {
		t.Errorf("got %q", out)
	}
	checkLatencies(t, f)

	// A window larger than -msgs: everything in flight at once.
	code, out, errOut = runBench(t, "-url", u, "-conns", "2", "-msgs", "5", "-window", "1000000", "-size", "16")
	if code != 0 {
		t.Fatalf("exit %d; stdout %q; stderr:\n%s", code, out, errOut)
	}
	if f := fields(t, out); f["received"] != 10 || f["errors"] != 0 {
		t.Errorf("got %q", out)
	}
}

// Messages bigger than the reader's buffer are checked in pieces.
func TestLargeMessages(t *testing.T) {
	t.Parallel()
	u := startEcho(t)
	for _, mode := range []string{"-binary", "-binary=false"} {
		code, out, errOut := runBench(t, "-url", u, "-conns", "2", "-msgs", "10", "-window", "3", "-size", "100000", mode)
		if code != 0 {
			t.Fatalf("%s: exit %d; stdout %q; stderr:\n%s", mode, code, out, errOut)
		}
		if f := fields(t, out); f["received"] != 20 || f["errors"] != 0 {
			t.Errorf("%s: got %q", mode, out)
		}
	}
}

func TestJSON(t *testing.T) {
	t.Parallel()
	u := startEcho(t)
	code, out, errOut := runBench(t, "-url", u, "-conns", "2", "-msgs", "100", "-window", "4", "-json")
	if code != 0 {
		t.Fatalf("exit %d; stdout %q; stderr:\n%s", code, out, errOut)
	}
	if strings.Count(out, "\n") != 1 {
		t.Errorf("want one line, got %q", out)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("stdout is not JSON: %v: %q", err, out)
	}
	want := map[string]any{"errors": 0.0, "received": 200.0, "conns": 2.0, "msgs": 100.0, "size": 32.0,
		"window": 4.0, "binary": false, "url": u}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v; want %v", k, m[k], v)
		}
	}
	for _, k := range []string{"msgs_per_s", "p50_us", "p90_us", "p99_us", "max_us", "elapsed_s"} {
		if v, ok := m[k].(float64); !ok || v <= 0 {
			t.Errorf("%s = %v; want a positive number", k, m[k])
		}
	}
	if _, ok := m["duration_s"]; ok {
		t.Error("duration_s present without -duration")
	}
}

func TestDuration(t *testing.T) {
	t.Parallel()
	u := startEcho(t)
	start := time.Now()
	code, out, errOut := runBench(t, "-url", u, "-conns", "2", "-duration", "300ms", "-window", "4", "-msgs", "1")
	took := time.Since(start)
	if code != 0 {
		t.Fatalf("exit %d; stdout %q; stderr:\n%s", code, out, errOut)
	}
	f := fields(t, out)
	// -msgs is ignored: far more than 2 messages are echoed.
	if f["errors"] != 0 || f["received"] <= 2 || f["msgs"] != 0 || f["duration_s"] != 0.3 {
		t.Errorf("got %q", out)
	}
	if f["elapsed_s"] < 0.3 || took > 10*time.Second {
		t.Errorf("elapsed_s=%v (took %v); want >= 0.3 s and bounded", f["elapsed_s"], took)
	}
	checkLatencies(t, f)
}

// Against plain coder/websocket, over TLS: -insecure accepts the test
// certificate, and every connection is closed with a normal close frame.
func TestTLSAndNormalClose(t *testing.T) {
	t.Parallel()
	s := startCoder(t, true, nil)
	code, out, errOut := runBench(t, "-url", s.url, "-insecure", "-conns", "3", "-msgs", "50", "-window", "2")
	if code != 0 {
		t.Fatalf("exit %d; stdout %q; stderr:\n%s", code, out, errOut)
	}
	if f := fields(t, out); f["received"] != 150 || f["errors"] != 0 {
		t.Errorf("got %q", out)
	}
	got := s.closeStatuses(t, 3)
	if len(got) != 3 {
		t.Fatalf("close statuses %v; want 3", got)
	}
	for _, c := range got {
		if c != websocket.StatusNormalClosure {
			t.Errorf("server got close status %v; want %v", c, websocket.StatusNormalClosure)
		}
	}

	// Without -insecure the certificate is not trusted: no run, exit 1.
	code, out, errOut = runBench(t, "-url", s.url, "-conns", "3", "-msgs", "50")
	if code != 1 {
		t.Fatalf("without -insecure: exit %d; stdout %q; stderr:\n%s", code, out, errOut)
	}
	if f := fields(t, out); f["received"] != 0 || f["errors"] == 0 {
		t.Errorf("without -insecure: got %q", out)
	}
	if !strings.Contains(errOut, "certificate") {
		t.Errorf("stderr does not say why: %q", errOut)
	}
}

func TestBadEchoes(t *testing.T) {
	t.Parallel()
	flip := func(at int, mask byte) func(int, message) []message {
		return func(i int, m message) []message {
			if i == 5 {
				m.p[at] ^= mask // ASCII stays ASCII
			}
			return []message{m}
		}
	}
	var held message
	swap := func(i int, m message) []message {
		switch i {
		case 3:
			held = m // one connection only (-conns 1)
			return nil
		case 4:
			return []message{m, held}
		}
		return []message{m}
	}
	tests := []struct {
		name  string
		alter func(int, message) []message
		args  []string
		bad   float64 // errors
		say   string  // on stderr
	}{
		{"body", flip(20, 1), []string{"-conns", "3"}, 3, "seq 5: content differs at byte 20"},
		{"seq", flip(15, 0x40), []string{"-conns", "3"}, 3, "seq 5: sequence number differs at byte 15"},
		{"order", swap, []string{"-conns", "1", "-window", "4"}, 2, "seq 3: out of order: got the echo of seq 4"},
		{"short", func(i int, m message) []message {
			if i == 7 {
				m.p = m.p[:len(m.p)-1]
			}
			return []message{m}
		}, []string{"-conns", "2"}, 2, "seq 7: echo has 31 bytes, sent 32"},
		{"long", func(i int, m message) []message {
			if i == 7 {
				m.p = append(m.p, 'x')
			}
			return []message{m}
		}, []string{"-conns", "2", "-binary"}, 2, "seq 7: echo has 33 bytes, sent 32"},
		{"type", func(i int, m message) []message {
			if i == 9 {
				m.typ = websocket.MessageBinary
			}
			return []message{m}
		}, []string{"-conns", "2"}, 2, "seq 9: echo is a MessageBinary message, sent MessageText"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := startCoder(t, false, tt.alter)
			args := append([]string{"-url", s.url, "-msgs", "20"}, tt.args...)
			code, out, errOut := runBench(t, args...)
			if code != 1 {
				t.Fatalf("exit %d; want 1; stdout %q; stderr:\n%s", code, out, errOut)
			}
			f := fields(t, out)
			if want := 20 * f["conns"]; f["errors"] != tt.bad || f["received"] != want {
				t.Errorf("errors=%v received=%v; want %v, %v", f["errors"], f["received"], tt.bad, want)
			}
			if !strings.Contains(errOut, tt.say) {
				t.Errorf("stderr has no %q:\n%s", tt.say, errOut)
			}
		})
	}
}

// A server that drops an echo: wsbench waits for it until -timeout, then
// stops with the missing messages counted as errors.
func TestTimeoutBounds(t *testing.T) {
	t.Parallel()
	s := startCoder(t, false, func(i int, m message) []message {
		if i == 2 {
			return nil
		}
		return []message{m}
	})
	start := time.Now()
	code, out, errOut := runBench(t, "-url", s.url, "-conns", "2", "-msgs", "10", "-timeout", "1s")
	took := time.Since(start)
	if code != 1 {
		t.Fatalf("exit %d; want 1; stdout %q; stderr:\n%s", code, out, errOut)
	}
	if took < time.Second || took > 10*time.Second {
		t.Errorf("took %v; want about -timeout (1 s)", took)
	}
	// Each connection got its echoes 0 and 1, then waited for 2: 8 lost each.
	if f := fields(t, out); f["received"] != 4 || f["errors"] != 16 {
		t.Errorf("got %q; want received=4 errors=16", out)
	}
	if !strings.Contains(errOut, "timed out after 1s") {
		t.Errorf("stderr does not say it timed out:\n%s", errOut)
	}
}

func TestTimeoutInDurationMode(t *testing.T) {
	t.Parallel()
	s := startCoder(t, false, func(i int, m message) []message {
		if i == 2 {
			return nil
		}
		return []message{m}
	})
	code, out, errOut := runBench(t, "-url", s.url, "-duration", "200ms", "-timeout", "1s")
	if code != 1 {
		t.Fatalf("exit %d; want 1; stdout %q; stderr:\n%s", code, out, errOut)
	}
	// Echoes 0 and 1 come back; 2 never does, and the writer waits for it.
	if f := fields(t, out); f["received"] != 2 || f["errors"] != 1 {
		t.Errorf("got %q; want received=2 errors=1", out)
	}
	if !strings.Contains(errOut, "timed out after 1s") {
		t.Errorf("stderr does not say it timed out:\n%s", errOut)
	}
}

func TestUnreachable(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: connection refused
	start := time.Now()
	code, out, errOut := runBench(t, "-url", "ws://"+addr+"/", "-conns", "5")
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %v; want a quick failure", took)
	}
	if code != 1 {
		t.Fatalf("exit %d; want 1; stdout %q; stderr:\n%s", code, out, errOut)
	}
	if f := fields(t, out); f["received"] != 0 || f["errors"] != 5 || f["msgs_per_s"] != 0 {
		t.Errorf("got %q", out)
	}
	if !strings.Contains(errOut, "refused") {
		t.Errorf("stderr does not say why: %q", errOut)
	}
}

// A server that is not a WebSocket server fails the dial, and the
// connections already open are closed.
func TestNotWebSocket(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	code, out, errOut := runBench(t, "-url", "ws://"+srv.Listener.Addr().String()+"/", "-conns", "4")
	if code != 1 {
		t.Fatalf("exit %d; want 1; stdout %q; stderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "404") {
		t.Errorf("stderr does not say why: %q", errOut)
	}
}

// When a dial fails nothing is sent, and the connections already open are
// closed normally.
func TestDialFailureClosesTheOthers(t *testing.T) {
	t.Parallel()
	s := startCoderLimit(t, false, 2, nil)
	code, out, errOut := runBench(t, "-url", s.url, "-conns", "5", "-dialconc", "1")
	if code != 1 {
		t.Fatalf("exit %d; want 1; stdout %q; stderr:\n%s", code, out, errOut)
	}
	if f := fields(t, out); f["received"] != 0 || f["errors"] != 3 {
		t.Errorf("got %q; want received=0 errors=3", out)
	}
	if !strings.Contains(errOut, "dial conn 2") || !strings.Contains(errOut, "503") ||
		!strings.Contains(errOut, "3 of 5 connections not dialled; nothing sent") {
		t.Errorf("stderr does not say what failed:\n%s", errOut)
	}
	got := s.closeStatuses(t, 2)
	if !slices.Equal(got, []websocket.StatusCode{websocket.StatusNormalClosure, websocket.StatusNormalClosure}) {
		t.Errorf("server saw closes %v; want two normal ones", got)
	}
}

func TestBadFlags(t *testing.T) {
	t.Parallel()
	u := "ws://127.0.0.1:1/"
	for _, args := range [][]string{
		{},
		{"-url", "http://127.0.0.1:1/"},
		{"-url", "ws://"},
		{"-url", "127.0.0.1:1"},
		{"-url", "ws://a b/"},
		{"-url", u, "-conns", "0"},
		{"-url", u, "-msgs", "0"},
		{"-url", u, "-size", "15"},
		{"-url", u, "-size", "2000000000"},
		{"-url", u, "-window", "0"},
		{"-url", u, "-window", "2000000"},
		{"-url", u, "-duration", "-1s"},
		{"-url", u, "-timeout", "0"},
		{"-url", u, "-duration", "2s", "-timeout", "1s"},
		{"-url", u, "-dialconc", "0"},
		{"-url", u, "-conns", "x"},
		{"-url", u, "-nosuchflag"},
		{"-url", u, "extra"},
	} {
		code, out, errOut := runBench(t, args...)
		if code != 2 || out != "" || errOut == "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 2, nothing, a message", args, code, out, errOut)
		}
	}
	code, _, errOut := runBench(t, "-h")
	if code != 0 || !strings.Contains(errOut, "-window") {
		t.Errorf("-h: exit %d, stderr %q", code, errOut)
	}
}

func TestPayload(t *testing.T) {
	b := &bench{cfg: config{size: 40, window: 1, msgs: 10}}
	c0, c1 := newConn(b, 0, nil), newConn(b, 1, nil)
	buf := make([]byte, 40)
	var hdr [seqLen]byte
	for seq := int64(0); seq < 200; seq++ {
		c0.fill(buf, seq)
		if got, ok := parseSeq(buf); !ok || got != uint64(seq) {
			t.Fatalf("seq %d reads back as %d, %v", seq, got, ok)
		}
		putSeq(hdr[:], uint64(seq))
		off := int(seq % rotations)
		if d := c0.mismatch(buf, 0, &hdr, off); d != -1 {
			t.Fatalf("seq %d: own message differs at %d", seq, d)
		}
		// In pieces, as a large echo arrives.
		for _, cut := range []int{1, 15, 16, 17, 39} {
			if c0.mismatch(buf[:cut], 0, &hdr, off) != -1 || c0.mismatch(buf[cut:], cut, &hdr, off) != -1 {
				t.Fatalf("seq %d: split at %d differs", seq, cut)
			}
		}
		if d := c1.mismatch(buf, 0, &hdr, off); d < seqLen {
			t.Fatalf("seq %d: another connection's message passes (diff at %d)", seq, d)
		}
		c0.fill(buf, seq+1)
		if d := c0.mismatch(buf, 0, &hdr, off); d < 0 || d >= seqLen {
			t.Fatalf("seq %d: the next message is not told apart by its sequence number (%d)", seq, d)
		}
	}
	for _, ch := range c0.tape {
		if !strings.ContainsRune(alphabet, rune(ch)) {
			t.Fatalf("pattern byte %q is not printable", ch)
		}
	}
	if _, ok := parseSeq([]byte("000000000000000G")); ok {
		t.Error("parseSeq accepts a non-hex digit")
	}
}
