package qtdiff

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qtgo/qtgo/internal/testcert"
)

var verbose = flag.Bool("qtdiff.v", false, "print both transcripts of every scenario")

// A scenario is one situation played against the Qt program and against
// its Go twin; the runner diffs what each printed.
type scenario struct {
	name string // "server/..." or "client/..."
	// The subject: the arguments of the server program (server scenarios)
	// or of the client program (client scenarios). {port} is the peer's
	// port, {cert}, {key} and {ca} the test certificate's files.
	server, client []string
	// The peer: raw (the runner's own bytes) or qtPeer (the arguments of
	// the other Qt program, which is then the peer of both subjects).
	raw    func(p *peer)
	qtPeer []string
	tls    bool // the raw peer speaks TLS (server subjects in SecureMode, wss client subjects)
	// qtHas are lines Qt's transcript must contain: they pin what the
	// scenario is about, so that a broken scenario cannot pass as identical.
	qtHas []string
	// goDiff is the scenario's documented difference, from expectedDiffs
	// (expected_test.go): Go's exact transcript and why it differs.
	goDiff *goDiff
}

// A goDiff is an expected difference.
type goDiff struct {
	why   string
	lines []string
}

// An impl is one side: Qt's programs or the Go twins.
type impl struct {
	name           string
	server, client string // the executables
}

// env is what the scenarios run with, built once.
type env struct {
	qt, goImpl   impl
	cert, key    string // the PEM files
	serverTLS    *tls.Config
	clientTLS    *tls.Config
	placeholders map[string]string
}

// TestQtDiff plays every scenario against Qt and Go and diffs the lines.
// Run one with go test -run 'TestQtDiff/server/rsv1$' (-qtdiff.v prints
// both transcripts).
func TestQtDiff(t *testing.T) {
	e := setup(t)
	var identical, expected, unexpected, known []string
	scenarios := append(serverScenarios(), clientScenarios()...)
	names := map[string]bool{}
	for _, sc := range scenarios {
		if names[sc.name] {
			t.Fatalf("two scenarios are called %s", sc.name)
		}
		names[sc.name] = true
	}
	for name := range knownFailures {
		if !names[name] {
			t.Errorf("known_failures.go lists %s, which is no scenario", name)
		}
		if expectedDiffs[name] != nil {
			t.Errorf("%s is both a known failure and an expected difference", name)
		}
	}
	for name := range expectedDiffs {
		if !names[name] {
			t.Errorf("expected_test.go lists %s, which is no scenario", name)
		}
	}
	for _, sc := range scenarios {
		sc.goDiff = expectedDiffs[sc.name]
		t.Run(sc.name, func(t *testing.T) {
			qtT := e.play(t, sc, e.qt)
			for _, want := range sc.qtHas {
				if !slices.Contains(qtT, want) {
					t.Fatalf("the scenario is broken: Qt's transcript lacks %q:\n%s", want, strings.Join(qtT, "\n"))
				}
			}
			goT := e.play(t, sc, e.goImpl)
			if *verbose {
				t.Logf("Qt:\n%s\nGo:\n%s", strings.Join(qtT, "\n"), strings.Join(goT, "\n"))
			}
			verdict, detail := judge(sc, qtT, goT)
			dump(sc.name, verdict, qtT, goT)
			reason, isKnown := knownFailures[sc.name]
			switch {
			case verdict == "identical":
				identical = append(identical, sc.name)
			case verdict == "expected":
				expected = append(expected, sc.name)
			case isKnown:
				known = append(known, sc.name)
				t.Logf("known failure (%s): %s", reason, detail)
				return
			default:
				unexpected = append(unexpected, sc.name)
				t.Errorf("%s", detail)
				return
			}
			if isKnown {
				t.Errorf("%s now passes (%s): remove it from known_failures.go", sc.name, verdict)
			}
		})
	}
	summary := fmt.Sprintf("qtdiff: identical %d / expected-difference %d / unexpected %d (known %d, new %d)",
		len(identical), len(expected), len(known)+len(unexpected), len(known), len(unexpected))
	t.Log(summary)
	fmt.Fprintln(os.Stderr, summary)
	if len(known) > 0 {
		fmt.Fprintln(os.Stderr, "qtdiff: known failures (known_failures.go):", strings.Join(known, " "))
	}
	if len(unexpected) > 0 {
		fmt.Fprintln(os.Stderr, "qtdiff: NEW unexpected differences:", strings.Join(unexpected, " "))
	}
}

// dump appends a scenario's transcripts to $QTDIFF_DUMP (JSON lines), for
// writing expected differences.
func dump(name, verdict string, qtT, goT []string) {
	path := os.Getenv("QTDIFF_DUMP")
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	b, _ := json.Marshal(map[string]any{"name": name, "verdict": verdict, "qt": qtT, "go": goT})
	_, _ = f.Write(append(b, '\n'))
}

// judge compares the two transcripts.
func judge(sc scenario, qtT, goT []string) (verdict, detail string) {
	if slices.Equal(qtT, goT) {
		if sc.goDiff != nil {
			return "stale", fmt.Sprintf("Go now prints what Qt prints, but the scenario declares an expected difference (%s): remove it (and the deviation in docs/porting.md if it is gone)", sc.goDiff.why)
		}
		return "identical", ""
	}
	if sc.goDiff != nil && slices.Equal(sc.goDiff.lines, goT) {
		return "expected", ""
	}
	var b strings.Builder
	if sc.goDiff != nil {
		fmt.Fprintf(&b, "Go differs from Qt and from the declared difference (%s)\n", sc.goDiff.why)
		b.WriteString(diff("declared Go", "Go", sc.goDiff.lines, goT))
	} else {
		b.WriteString("Go differs from Qt\n")
	}
	b.WriteString(diff("Qt", "Go", qtT, goT))
	b.WriteString("Go's transcript, as a Go literal:\n")
	for _, l := range goT {
		fmt.Fprintf(&b, "\t%s,\n", strconv.Quote(l))
	}
	return "unexpected", b.String()
}

// diff is a small line diff (longest common subsequence).
func diff(aName, bName string, a, b []string) string {
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", aName, bName)
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			out.WriteString("  " + a[i] + "\n")
			i++
			j++
		case j < m && (i == n || lcs[i][j+1] >= lcs[i+1][j]):
			out.WriteString("+ " + b[j] + "\n")
			j++
		default:
			out.WriteString("- " + a[i] + "\n")
			i++
		}
	}
	return out.String()
}

// setup builds the Qt programs and the Go twins, or skips (fails when
// CI=true) if Qt's development files or cmake are missing.
func setup(t *testing.T) *env {
	t.Helper()
	if missing := missingTools(); missing != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s (CI=true): .ci/run must apt-get install qt6-base-dev qt6-websockets-dev cmake g++ make pkg-config", missing)
		}
		t.Skipf("%s: install Debian's qt6-base-dev qt6-websockets-dev cmake g++ make pkg-config to run the Qt differential tests", missing)
	}
	started := time.Now()
	qtDir, err := buildQt()
	if err != nil {
		t.Fatalf("building the Qt programs: %v", err)
	}
	goDir := t.TempDir()
	cmd := exec.Command("go", "build", "-o", goDir+string(os.PathSeparator), "./twin/server", "./twin/client")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the Go twins: %v\n%s", err, out)
	}
	t.Logf("Qt programs and Go twins built in %v", time.Since(started).Round(time.Millisecond))

	pemDir := t.TempDir()
	certFile, keyFile, err := pemFiles(pemDir, testcert.CertPEM(), testcert.KeyPEM())
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(testcert.CertPEM())
	return &env{
		qt:        impl{name: "Qt", server: filepath.Join(qtDir, "server"), client: filepath.Join(qtDir, "client")},
		goImpl:    impl{name: "Go", server: filepath.Join(goDir, "server"), client: filepath.Join(goDir, "client")},
		cert:      certFile,
		key:       keyFile,
		serverTLS: &tls.Config{Certificates: []tls.Certificate{testcert.Certificate()}},
		clientTLS: &tls.Config{RootCAs: pool, ServerName: "localhost"},
		placeholders: map[string]string{
			"{cert}": certFile, "{key}": keyFile, "{ca}": certFile,
		},
	}
}

// missingTools names what the Qt build needs and this machine lacks.
func missingTools() string {
	for _, tool := range []string{"cmake", "c++", "make", "pkg-config"} {
		if _, err := exec.LookPath(tool); err != nil {
			return tool + " is missing"
		}
	}
	if err := exec.Command("pkg-config", "--exists", "Qt6WebSockets", "Qt6Network").Run(); err != nil {
		return "Qt 6 WebSockets' development files are missing (pkg-config Qt6WebSockets)"
	}
	return ""
}

// buildQt configures and builds qt/ into a cache directory kept between
// runs (QTDIFF_BUILD_DIR overrides it), and returns where the programs are.
func buildQt() (string, error) {
	src, err := filepath.Abs("qt")
	if err != nil {
		return "", err
	}
	dir := os.Getenv("QTDIFF_BUILD_DIR")
	if dir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = os.TempDir()
		}
		sum := sha256.Sum256([]byte(src))
		dir = filepath.Join(cache, "qtgo-qtdiff", hex.EncodeToString(sum[:6]))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	steps := [][]string{
		{"cmake", "-S", src, "-B", dir, "-DCMAKE_BUILD_TYPE=Release"},
		{"cmake", "--build", dir, "-j2"},
	}
	for _, s := range steps {
		cmd := exec.Command(s[0], s[1:]...)
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("%s: %v\n%s", strings.Join(s, " "), err, out)
		}
	}
	return dir, nil
}

// Bounds of one scenario's run.
const (
	peerTimeout    = 10 * time.Second // each read or write of a raw peer
	peerBound      = 40 * time.Second // a raw peer or peer program, in all
	subjectBound   = 30 * time.Second // the subject, once its peer is done
	waitEOFAction  = "wait eof 30000"
	startupTimeout = 10 * time.Second
)

// play runs sc with im's program as the subject and returns the
// transcript: the subject's lines, "--", the peer's lines.
func (e *env) play(t *testing.T, sc scenario, im impl) []string {
	t.Helper()
	if sc.server != nil {
		return e.playServer(t, sc, im)
	}
	return e.playClient(t, sc, im)
}

func (e *env) expand(args []string, port int) []string {
	out := make([]string, len(args))
	for i, a := range args {
		a = strings.ReplaceAll(a, "{port}", strconv.Itoa(port))
		for k, v := range e.placeholders {
			a = strings.ReplaceAll(a, k, v)
		}
		out[i] = a
	}
	return out
}

// playServer: the subject is im's server, the peer a raw client or Qt's
// client program.
func (e *env) playServer(t *testing.T, sc scenario, im impl) []string {
	t.Helper()
	args := append(e.expand(sc.server, 0), waitEOFAction)
	subject, err := startProgram(im.name+" server", im.server, args)
	if err != nil {
		t.Fatal(err)
	}
	port, err := subject.waitPort(startupTimeout)
	if err != nil {
		subject.closeStdin()
		subject.wait(time.Second)
		t.Fatal(err)
	}
	var peerLines []string
	if sc.raw != nil {
		p := &peer{port: port, subject: subject, timeout: peerTimeout}
		if sc.tls {
			p.tlsConf = e.clientTLS.Clone()
		}
		peerLines = runRaw(sc, p)
	} else {
		peerLines = e.runPeerProgram(t, e.qt.client, e.expand(sc.qtPeer, port))
	}
	subject.closeStdin()
	exited := subject.wait(subjectBound)
	lines := subject.output()
	if !exited {
		lines = append(lines, "runner: the subject did not exit")
	}
	return transcript(lines, peerLines, []int{port}, "")
}

// playClient: the subject is im's client, the peer a raw server or Qt's
// server program.
func (e *env) playClient(t *testing.T, sc scenario, im impl) []string {
	t.Helper()
	if sc.raw != nil {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := &peer{ln: ln, timeout: peerTimeout}
		if sc.tls {
			p.tlsConf = e.serverTLS.Clone()
		}
		port := ln.Addr().(*net.TCPAddr).Port
		subject, err := startProgram(im.name+" client", im.client, append(e.expand(sc.client, port), waitEOFAction))
		if err != nil {
			t.Fatal(err)
		}
		peerLines := runRaw(sc, p)
		subject.closeStdin()
		exited := subject.wait(subjectBound)
		lines := subject.output()
		if !exited {
			lines = append(lines, "runner: the subject did not exit")
		}
		p.mu.Lock()
		key := p.key
		p.mu.Unlock()
		return transcript(lines, peerLines, append([]int{port}, p.remotePorts()...), key)
	}
	peerProg, err := startProgram("Qt server (peer)", e.qt.server, append(e.expand(sc.qtPeer, 0), waitEOFAction))
	if err != nil {
		t.Fatal(err)
	}
	port, err := peerProg.waitPort(startupTimeout)
	if err != nil {
		peerProg.closeStdin()
		peerProg.wait(time.Second)
		t.Fatal(err)
	}
	subject, err := startProgram(im.name+" client", im.client, e.expand(sc.client, port))
	if err != nil {
		t.Fatal(err)
	}
	exited := subject.wait(peerBound)
	peerProg.closeStdin()
	peerExited := peerProg.wait(subjectBound)
	lines := subject.output()
	if !exited {
		lines = append(lines, "runner: the subject did not exit")
	}
	peerLines := peerProg.output()
	if !peerExited {
		peerLines = append(peerLines, "runner: the peer did not exit")
	}
	return transcript(lines, peerLines, []int{port}, "")
}

// runPeerProgram runs a Qt program as the peer until it exits by itself.
func (e *env) runPeerProgram(t *testing.T, path string, args []string) []string {
	t.Helper()
	prog, err := startProgram("Qt peer", path, args)
	if err != nil {
		t.Fatal(err)
	}
	exited := prog.wait(peerBound)
	lines := prog.output()
	if !exited {
		lines = append(lines, "runner: the peer did not exit")
	}
	return lines
}

// runRaw runs the scenario's raw peer, bounded by peerBound.
func runRaw(sc scenario, p *peer) []string {
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc.raw(p)
	}()
	select {
	case <-done:
	case <-time.After(peerBound):
		p.log("runner: the raw peer did not finish")
		p.closeAll()
		<-done
	}
	p.closeAll()
	return p.output()
}

// transcript joins the subject's and the peer's lines, without the
// runner's "#" lines, with the run's ports and keys replaced by
// placeholders.
func transcript(subject, peerLines []string, ports []int, key string) []string {
	var out []string
	for _, l := range subject {
		if !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	out = append(out, "--")
	for _, l := range peerLines {
		// A Qt peer's report of the subject's close_notify and of the end
		// of its stream depend on when those arrive relative to the close
		// frame, not on what the subject did: they are left out.
		if strings.HasPrefix(l, "#") || strings.HasSuffix(l, ` alertReceived level=0 type=0 "close notify"`) ||
			strings.HasSuffix(l, ` errorOccurred RemoteHostClosedError "Unknown error"`) && strings.HasPrefix(l, "socket") {
			continue
		}
		out = append(out, l)
	}
	for i, l := range out {
		for _, p := range ports {
			l = strings.ReplaceAll(l, ":"+strconv.Itoa(p), ":<port>")
		}
		if key != "" {
			l = strings.ReplaceAll(l, key, "<key>")
			l = strings.ReplaceAll(l, acceptFor(key), "<accept>")
		}
		out[i] = l
	}
	return out
}
