package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/goleak"

	"github.com/qtgo/qtgo/internal/cmdtest"
	"github.com/qtgo/qtgo/internal/testcert"
	"github.com/qtgo/qtgo/wsserver"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(int) {
		if buildDir != "" {
			os.RemoveAll(buildDir)
		}
	}))
}

// runClient runs the program with args and returns its exit code and
// output; it fails the test if run does not return within 10 s.
func runClient(t *testing.T, args ...string) (int, string) {
	t.Helper()
	out := &cmdtest.Buffer{}
	quit := make(chan struct{})
	done := make(chan int, 1)
	go func() { done <- run(args, out, quit) }()
	select {
	case code := <-done:
		return code, out.String()
	case <-time.After(10 * time.Second):
		close(quit)
		<-done
		t.Fatalf("run(%q) did not return within 10 s; output:\n%s", args, out)
		return -1, ""
	}
}

const (
	portInvalid = "Port invalid, must be a number between 1 and 65535\n"
	echoLines   = "WebSocket connected\nMessage received: \"Hello, world!\"\n"
)

func TestParseArgs(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "wss://localhost:1234"}, // Qt's defaults
		{[]string{"-n", "example.org"}, "wss://example.org:1234"},
		{[]string{"--hostname", "127.0.0.1"}, "wss://127.0.0.1:1234"},
		{[]string{"-n", "::1"}, "wss://[::1]:1234"},
		{[]string{"-p", "1"}, "wss://localhost:1"},
		{[]string{"--port", "65535"}, "wss://localhost:65535"},
		{[]string{"--port=443", "-n", "h"}, "wss://h:443"},
	} {
		var errs bytes.Buffer
		got, code, ok := parseArgs(tc.args, &errs)
		if !ok || code != 0 || got.url != tc.want {
			t.Errorf("parseArgs(%q) = %q, %d, %v; want %q, 0, true (stderr %q)", tc.args, got.url, code, ok, tc.want, errs.String())
		}
	}
}

// TestInvalidPort: Qt prints the warning, then the help, and exits 1.
func TestInvalidPort(t *testing.T) {
	for _, port := range []string{"0", "65536", "-1", "abc", "", "12x", "99999999999999999999"} {
		code, out := runClient(t, "-p", port)
		if code != 1 {
			t.Errorf("-p %q: exit code %d; want 1", port, code)
		}
		if !strings.HasPrefix(out, portInvalid) {
			t.Errorf("-p %q: output %q; want it to start with %q", port, out, portInvalid)
		}
		if !strings.Contains(out, "QtWebSockets example: sslechoclient") {
			t.Errorf("-p %q: no help after the warning: %q", port, out)
		}
	}
	if code, out := runClient(t, "--port", "70000"); code != 1 || !strings.HasPrefix(out, portInvalid) {
		t.Errorf("--port 70000: %d %q", code, out)
	}
}

func TestHelp(t *testing.T) {
	code, out := runClient(t, "-h")
	if code != 0 {
		t.Errorf("-h: exit code %d; want 0", code)
	}
	for _, want := range []string{"Usage: sslechoclient [options]", "QtWebSockets example: sslechoclient", "-n", "-hostname", "-p", "-port",
		"Hostname of the server", "Port of the server", "default \"localhost\"", "default \"1234\""} {
		if !strings.Contains(out, want) {
			t.Errorf("help has no %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "-debug") {
		t.Errorf("help lists a debug flag; Qt's sslechoclient has none:\n%s", out)
	}
	// No debug flag, as in Qt.
	for _, args := range [][]string{{"-d"}, {"--debug"}, {"--nope"}} {
		if code, out := runClient(t, args...); code != 1 || !strings.Contains(out, "flag provided but not defined") {
			t.Errorf("%q: exit code %d, output %q; want 1 and an unknown flag", args, code, out)
		}
	}
}

func TestQDebugList(t *testing.T) {
	for _, tc := range []struct {
		errs []wsserver.SslError
		want string
	}{
		{nil, "QList()"},
		{[]wsserver.SslError{wsserver.NewSslError(wsserver.SelfSignedCertificate)}, `QList("The certificate is self-signed, and untrusted")`},
		{[]wsserver.SslError{wsserver.NewSslError(wsserver.HostNameMismatch), wsserver.NewSslError(wsserver.CertificateExpired)},
			`QList("The host name did not match any of the valid hosts for this certificate", "The certificate has expired")`},
	} {
		if got := qDebugList(tc.errs); got != tc.want {
			t.Errorf("qDebugList(%v) = %q; want %q", tc.errs, got, tc.want)
		}
	}
}

// freePort returns a loopback port that nothing listens on.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// TestRefusedExitsOne: the Go extra. Qt's example runs on after a refused
// connection; this one exits 1 at once, printing nothing, as Qt prints
// nothing.
func TestRefusedExitsOne(t *testing.T) {
	start := time.Now()
	code, out := runClient(t, "-n", "127.0.0.1", "-p", strconv.Itoa(freePort(t)))
	if code != 1 || out != "" {
		t.Errorf("exit code %d, output %q; want 1 and none", code, out)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v to give up", d)
	}
}

// TestInvalidURL: a host name that makes no URL fails in Open at once,
// without Disconnected; the Go extra prints the error and exits 1.
func TestInvalidURL(t *testing.T) {
	code, out := runClient(t, "-n", "bad host", "-p", "1234")
	if code != 1 || out != "Invalid URL.\n" {
		t.Errorf("exit code %d, output %q; want 1 and \"Invalid URL.\\n\"", code, out)
	}
}

// tlsServer is an httptest TLS server whose handler echoes WebSocket text
// messages (the Go-library stand-in for an echo server); echo false reads
// one message and closes instead of echoing.
type tlsServer struct {
	*httptest.Server
	port     string
	accepted atomic.Int32
	received chan string
}

func startTLSServer(t *testing.T, cert tls.Certificate, echo bool) *tlsServer {
	t.Helper()
	s := &tlsServer{received: make(chan string, 16)}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		s.accepted.Add(1)
		defer c.CloseNow()
		ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
		defer cancel()
		for {
			typ, msg, err := c.Read(ctx)
			if err != nil {
				return
			}
			s.received <- string(msg)
			if !echo {
				_ = c.Close(websocket.StatusGoingAway, "no echo today")
				return
			}
			if err := c.Write(ctx, typ, msg); err != nil {
				return
			}
		}
	}))
	s.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	s.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
	s.StartTLS()
	t.Cleanup(s.Close)
	_, s.port, _ = net.SplitHostPort(s.Listener.Addr().String())
	return s
}

// untrustedCert makes a certificate like the embedded one (self-signed,
// the same subject and names) with another key: the client must refuse it.
func untrustedCert(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject: pkix.Name{Country: []string{"NO"}, Province: []string{"Oslo"}, Locality: []string{"Oslo"},
			Organization: []string{"The Qt Project"}, OrganizationalUnit: []string{"WebSockets"}, CommonName: "localhost"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestUntrustedServer: a server with another certificate gets "SSL
// errors:" with the list, no connection, and exit code 1 (Qt's quit, then
// the Go extra's exit on the failed connection's Disconnected).
func TestUntrustedServer(t *testing.T) {
	s := startTLSServer(t, untrustedCert(t), true)
	for _, host := range []string{"localhost", "127.0.0.1"} {
		code, out := runClient(t, "-n", host, "-p", s.port)
		if code != 1 {
			t.Errorf("%s: exit code %d; want 1", host, code)
		}
		// Qt's SelfSignedCertificate: the server's certificate signs itself.
		want := `SSL errors: QList("The certificate is self-signed, and untrusted")` + "\n"
		if out != want {
			t.Errorf("%s: output %q; want %q", host, out, want)
		}
	}
	if n := s.accepted.Load(); n != 0 {
		t.Errorf("the untrusted server upgraded %d connections; want 0", n)
	}
}

// TestTrustedGoServer: the client against a non-Qt server that presents
// the embedded certificate: one round trip, Qt's lines, exit code 0.
func TestTrustedGoServer(t *testing.T) {
	s := startTLSServer(t, testcert.Certificate(), true)
	code, out := runClient(t, "-p", s.port) // the default host name, localhost
	if code != 0 || out != echoLines {
		t.Errorf("exit code %d, output %q; want 0 and %q", code, out, echoLines)
	}
	select {
	case msg := <-s.received:
		if msg != "Hello, world!" {
			t.Errorf("the server received %q", msg)
		}
	case <-time.After(5 * time.Second):
		t.Error("the server received nothing")
	}
}

// TestNoEchoRunsOn: like Qt's, the client has no handler for a
// disconnection after it has connected: without an echo it runs until it
// is stopped (here by the test; in a shell by Ctrl-C).
func TestNoEchoRunsOn(t *testing.T) {
	s := startTLSServer(t, testcert.Certificate(), false)
	out := &cmdtest.Buffer{}
	quit := make(chan struct{})
	done := make(chan int, 1)
	go func() { done <- run([]string{"-n", "127.0.0.1", "-p", s.port}, out, quit) }()
	select {
	case <-s.received:
	case code := <-done:
		t.Fatalf("run returned %d before sending; output %q", code, out)
	case <-time.After(5 * time.Second):
		close(quit)
		<-done
		t.Fatal("the server received nothing")
	}
	select {
	case code := <-done:
		t.Fatalf("run returned %d after the server closed; want it to run on (output %q)", code, out)
	case <-time.After(300 * time.Millisecond):
	}
	close(quit)
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit code after quit %d; want 0", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not return within 5 s of quit")
	}
	if got := out.String(); got != "WebSocket connected\n" {
		t.Errorf("output %q; want %q", got, "WebSocket connected\n")
	}
}

// sslEchoServer is the real sslechoserver program, built and started in a
// child process with -p 0.
type sslEchoServer struct {
	cmd   *exec.Cmd
	port  int
	mu    sync.Mutex
	lines []string
	done  chan error
}

func (e *sslEchoServer) output() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.lines...)
}

// goTool is the go command that runs the test: go test puts its GOROOT/bin
// first in the test's PATH.
func goTool() string { return "go" }

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// buildSslEchoServer builds cmd/sslechoserver once per test binary.
func buildSslEchoServer(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "sslechoclient-test-")
		if buildErr != nil {
			return
		}
		cmd := exec.Command(goTool(), "build", "-o", filepath.Join(buildDir, "sslechoserver"), "github.com/qtgo/qtgo/cmd/sslechoserver")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build sslechoserver: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(buildDir, "sslechoserver")
}

func startSslEchoServer(t *testing.T) *sslEchoServer {
	t.Helper()
	e := &sslEchoServer{cmd: exec.Command(buildSslEchoServer(t), "-p", "0"), done: make(chan error, 1)}
	stderr, err := e.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := e.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	first := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			e.mu.Lock()
			e.lines = append(e.lines, sc.Text())
			if len(e.lines) == 1 {
				first <- sc.Text()
			}
			e.mu.Unlock()
		}
		e.done <- e.cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = e.cmd.Process.Kill()
		<-e.done
	})
	select {
	case line := <-first:
		if _, err := fmt.Sscanf(line, "SSL Echo Server listening on port %d", &e.port); err != nil || e.port == 0 {
			t.Fatalf("sslechoserver's first line %q", line)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("sslechoserver printed nothing within 10 s")
	}
	return e
}

// stop interrupts the sslechoserver as Ctrl-C does and checks it exits 0.
func (e *sslEchoServer) stop(t *testing.T) {
	t.Helper()
	if err := e.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-e.done:
		e.done <- err // for Cleanup
		if err != nil {
			t.Errorf("sslechoserver after SIGINT: %v; want exit status 0", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("sslechoserver did not exit within 10 s of SIGINT")
	}
}

// waitCount waits up to 5 s for the sslechoserver to have printed n lines
// equal to line.
func (e *sslEchoServer) waitCount(t *testing.T, line string, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := 0
		for _, l := range e.output() {
			if l == line {
				got++
			}
		}
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("sslechoserver printed %d %q lines; want %d; got %q", got, line, n, e.output())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestEndToEnd runs sslechoclient against the sslechoserver program, by
// both names the certificate carries: one round trip each, Qt's lines,
// exit code 0, and the server sees each client come and go.
func TestEndToEnd(t *testing.T) {
	e := startSslEchoServer(t)
	port := strconv.Itoa(e.port)
	for i, args := range [][]string{{"-p", port}, {"--hostname", "127.0.0.1", "--port", port}} {
		code, out := runClient(t, args...)
		if code != 0 || out != echoLines {
			t.Errorf("%q: exit code %d, output %q; want 0 and %q", args, code, out, echoLines)
		}
		e.waitCount(t, "Client disconnected", i+1)
	}
	e.stop(t)
	want := []string{
		"SSL Echo Server listening on port " + port,
		`Client connected: "127.0.0.1" ""`, "Client disconnected",
		`Client connected: "127.0.0.1" ""`, "Client disconnected",
	}
	got := e.output()
	// localhost may resolve to ::1 first: the server listens on Any.
	if len(got) == len(want) && got[1] == `Client connected: "::1" ""` {
		want[1] = got[1]
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("sslechoserver printed:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestHostNameMismatch: the embedded certificate names localhost and
// 127.0.0.1 only, so connecting to it as 127.0.0.2 (loopback on Linux)
// must fail with SSL errors, as Qt's HostNameMismatch does.
func TestHostNameMismatch(t *testing.T) {
	e := startSslEchoServer(t)
	port := strconv.Itoa(e.port)
	if c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.2", port), time.Second); err != nil {
		t.Skipf("127.0.0.2 is not a loopback address here: %v", err)
	} else {
		c.Close()
	}
	code, out := runClient(t, "-n", "127.0.0.2", "-p", port)
	want := `SSL errors: QList("The host name did not match any of the valid hosts for this certificate")` + "\n"
	if code != 1 || out != want {
		t.Errorf("exit code %d, output %q; want 1 and %q", code, out, want)
	}
}
