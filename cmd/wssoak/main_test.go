package main

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/goleak"

	"github.com/qtgo/qtgo/internal/cmdtest"
)

// TestMain runs the child server when -server child starts the test binary
// as one. The tests are not parallel: each run checks the process's
// goroutine count against its own baseline.
func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(serveChild(os.Stdin, os.Stdout, os.Stderr))
	}
	goleak.VerifyTestMain(m)
}

// runSoak runs the program with args and returns its exit code, stdout
// and stderr. It fails the test if run does not return within 30 s.
func runSoak(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut cmdtest.Buffer
	done := make(chan int, 1)
	go func() { done <- run(args, &out, &errOut, nil) }()
	select {
	case code = <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("run(%q) did not return within 30 s; stderr:\n%s", args, errOut.String())
	}
	return code, out.String(), errOut.String()
}

// lineRE is the documented text output.
var lineRE = regexp.MustCompile(`^conns=\d+ opened=\d+ failed=\d+ sent=\d+ echoed=\d+ verified=\d+ lost=\d+ corrupted=\d+ ` +
	`errors=\d+ error_kinds=(none|([a-z_]+:\d+,)*[a-z_]+:\d+) dial_p50_ms=[\d.]+ dial_p99_ms=[\d.]+ dial_max_ms=[\d.]+ ` +
	`echo_p50_us=[\d.]+ echo_p99_us=[\d.]+ echo_max_us=[\d.]+ server=(inprocess|child|url) ` +
	`server_rss_base_mib=-?[\d.]+ server_rss_peak_mib=-?[\d.]+ server_heap_base_mib=-?[\d.]+ server_heap_peak_mib=-?[\d.]+ ` +
	`server_goroutines_base=-?\d+ server_goroutines_peak=-?\d+ server_goroutines_after=-?\d+ ` +
	`client_goroutines_base=\d+ client_goroutines_peak=\d+ client_goroutines_after=\d+ client_rss_peak_mib=[\d.]+ ` +
	`rlimit_nofile=\d+ dial_s=[\d.]+ duration_s=[\d.]+ interval_s=[\d.]+ size=\d+ elapsed_s=[\d.]+\n$`)

// fields parses the key=value line (error_kinds and server are left out).
func fields(t *testing.T, out string) map[string]float64 {
	t.Helper()
	if !lineRE.MatchString(out) {
		t.Fatalf("output is not the documented line: %q", out)
	}
	m := map[string]float64{}
	for _, kv := range strings.Fields(out) {
		k, v, _ := strings.Cut(kv, "=")
		if k == "error_kinds" || k == "server" {
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			t.Fatalf("%s: %v", kv, err)
		}
		m[k] = f
	}
	return m
}

// checkClean checks a run that should have gone perfectly: conns
// connections, about msgs messages each, nothing lost or corrupted, every
// goroutine back.
func checkClean(t *testing.T, f map[string]float64, conns, msgs float64) {
	t.Helper()
	for _, k := range []string{"failed", "lost", "corrupted", "errors"} {
		if f[k] != 0 {
			t.Errorf("%s = %v; want 0", k, f[k])
		}
	}
	if f["opened"] != conns || f["sent"] != f["echoed"] || f["echoed"] != f["verified"] {
		t.Errorf("opened %v sent %v echoed %v verified %v; want %v opened and every message echoed and verified",
			f["opened"], f["sent"], f["echoed"], f["verified"], conns)
	}
	if f["sent"] < conns*msgs*0.7 || f["sent"] > conns*(msgs+1) {
		t.Errorf("sent = %v; want about %v (%v connections × %v)", f["sent"], conns*msgs, conns, msgs)
	}
	if !(0 < f["echo_p50_us"] && f["echo_p50_us"] <= f["echo_p99_us"] && f["echo_p99_us"] <= f["echo_max_us"]) {
		t.Errorf("echo latencies not ordered: %v %v %v", f["echo_p50_us"], f["echo_p99_us"], f["echo_max_us"])
	}
	if !(0 < f["dial_max_ms"] && f["dial_p50_ms"] <= f["dial_p99_ms"] && f["dial_p99_ms"] <= f["dial_max_ms"]) {
		t.Errorf("dial times not ordered: %v %v %v", f["dial_p50_ms"], f["dial_p99_ms"], f["dial_max_ms"])
	}
	if f["client_goroutines_after"] > f["client_goroutines_base"] || f["client_goroutines_peak"] < f["client_goroutines_base"]+conns {
		t.Errorf("client goroutines base %v peak %v after %v; want a peak of one per connection and back to the base",
			f["client_goroutines_base"], f["client_goroutines_peak"], f["client_goroutines_after"])
	}
}

// checkServer checks the figures of a server that wssoak runs.
func checkServer(t *testing.T, f map[string]float64, conns float64) {
	t.Helper()
	if f["server_goroutines_base"] <= 0 || f["server_goroutines_after"] > f["server_goroutines_base"] ||
		f["server_goroutines_peak"] < f["server_goroutines_base"]+conns {
		t.Errorf("server goroutines base %v peak %v after %v; want a peak of at least one per socket and back to the base",
			f["server_goroutines_base"], f["server_goroutines_peak"], f["server_goroutines_after"])
	}
	if !(0 < f["server_rss_base_mib"] && f["server_rss_base_mib"] <= f["server_rss_peak_mib"]) ||
		!(0 < f["server_heap_base_mib"] && f["server_heap_base_mib"] <= f["server_heap_peak_mib"]) {
		t.Errorf("server RSS %v → %v MiB, heap %v → %v MiB; want positive, peak ≥ base",
			f["server_rss_base_mib"], f["server_rss_peak_mib"], f["server_heap_base_mib"], f["server_heap_peak_mib"])
	}
}

// The default: the project's echo server in this process.
func TestSoakInProcess(t *testing.T) {
	code, out, stderr := runSoak(t, "-conns", "50", "-duration", "1500ms", "-interval", "100ms")
	if code != 0 {
		t.Fatalf("exit status %d; stdout %q, stderr:\n%s", code, out, stderr)
	}
	f := fields(t, out)
	checkClean(t, f, 50, 15)
	checkServer(t, f, 50)
	if !strings.Contains(out, " server=inprocess ") || !strings.Contains(out, " error_kinds=none ") {
		t.Errorf("output %q; want server=inprocess and error_kinds=none", out)
	}
	if stderr != "" {
		t.Errorf("stderr %q; want nothing", stderr)
	}
}

// -server child: the same server in a child process (this test binary,
// see TestMain), with -json output.
func TestSoakChild(t *testing.T) {
	code, out, stderr := runSoak(t, "-conns", "50", "-duration", "1s", "-interval", "100ms", "-server", "child", "-size", "200", "-json")
	if code != 0 {
		t.Fatalf("exit status %d; stdout %q, stderr:\n%s", code, out, stderr)
	}
	var r result
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	// The same checks as the text output's, through the JSON keys.
	var m map[string]any
	_ = json.Unmarshal([]byte(out), &m)
	f := map[string]float64{}
	for k, v := range m {
		if x, ok := v.(float64); ok {
			f[k] = x
		}
	}
	checkClean(t, f, 50, 10)
	checkServer(t, f, 50)
	if r.Server != "child" || r.Size != 200 || len(r.ErrorKinds) != 0 || !strings.HasPrefix(r.URL, "ws://127.0.0.1:") {
		t.Errorf("server %q size %d error_kinds %v url %q", r.Server, r.Size, r.ErrorKinds, r.URL)
	}
	// The child's figures are its own: it runs no client goroutines.
	if r.SrvGoBase >= r.CliGoBase+50 {
		t.Errorf("child goroutine base %d; want the child's own", r.SrvGoBase)
	}
}

// alteringServer is an echo server on plain coder/websocket whose echoes
// go wrong on purpose: on each connection, message 1 comes back with a
// byte changed, message 2 as the other type, message 3 one byte longer,
// and at message 4 the connection is dropped without an echo.
func alteringServer(t *testing.T) string {
	t.Helper()
	var wg sync.WaitGroup
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wg.Add(1)
		defer wg.Done()
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx := context.Background()
		for i := 0; ; i++ {
			typ, p, err := c.Read(ctx)
			if err != nil {
				return
			}
			switch i {
			case 1:
				p[len(p)-1] ^= 1
			case 2:
				typ = websocket.MessageBinary + websocket.MessageText - typ
			case 3:
				p = append(p, 'x')
			case 4:
				return
			}
			if err := c.Write(ctx, typ, p); err != nil {
				return
			}
		}
	})
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	t.Cleanup(func() { srv.Close(); wg.Wait() })
	return "ws://" + srv.Listener.Addr().String() + "/"
}

// Wrong echoes and a dropped connection are counted by kind, and the exit
// status is 1.
func TestSoakDetectsBadEchoes(t *testing.T) {
	url := alteringServer(t)
	code, out, stderr := runSoak(t, "-url", url, "-conns", "3", "-duration", "1s", "-interval", "50ms")
	if code != 1 {
		t.Errorf("exit status %d; want 1", code)
	}
	f := fields(t, out)
	if f["opened"] != 3 || f["corrupted"] != 9 || f["lost"] != 3 || f["sent"] != 15 || f["verified"] != 3 {
		t.Errorf("opened %v sent %v verified %v corrupted %v lost %v; want 3, 15, 3, 9, 3",
			f["opened"], f["sent"], f["verified"], f["corrupted"], f["lost"])
	}
	for _, kind := range []string{"bad_content:3", "bad_type:3", "bad_length:3", "lost:3"} {
		if !strings.Contains(out, kind) {
			t.Errorf("error_kinds has no %s: %q", kind, out)
		}
	}
	if !regexp.MustCompile(`(read|server_closed):3`).MatchString(out) {
		t.Errorf("error_kinds has no broken connections: %q", out)
	}
	if f["client_goroutines_after"] > f["client_goroutines_base"] {
		t.Errorf("client goroutines %v after, %v before", f["client_goroutines_after"], f["client_goroutines_base"])
	}
	if !strings.Contains(stderr, "content differs") || !strings.Contains(stderr, "errors:") {
		t.Errorf("stderr names no problem:\n%s", stderr)
	}
}

// Bad flags exit with status 2 and say why; -url only takes loopback hosts.
func TestSoakFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-url", "ws://192.0.2.1:80/"}, "loopback only"},
		{[]string{"-url", "ws://example.com/"}, "loopback only"},
		{[]string{"-url", "http://127.0.0.1/"}, "must be ws://"},
		{[]string{"-url", "ws://[::1]:1/", "-server", "child"}, "exclude each other"},
		{[]string{"-server", "remote"}, "-server must be"},
		{[]string{"-size", "10"}, "-size must be"},
		{[]string{"-pid", "1"}, "goes with -url"},
		{[]string{"-conns", "0"}, "-conns must be"},
		{[]string{"-duration", "1m", "-timeout", "30s"}, "must be longer"},
		{[]string{"extra"}, "unexpected argument"},
	} {
		code, out, stderr := runSoak(t, c.args...)
		if code != 2 || out != "" || !strings.Contains(stderr, c.want) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 2, nothing, %q", c.args, code, out, stderr, c.want)
		}
	}
	if code, _, stderr := runSoak(t, "-h"); code != 0 || !strings.Contains(stderr, "-conns") {
		t.Errorf("-h: exit %d, stderr %q", code, stderr)
	}
}
