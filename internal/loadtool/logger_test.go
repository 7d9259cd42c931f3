package loadtool

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qtgo/qtgo/internal/cmdtest"
)

// The first MaxProblems problems are printed, then one line says the rest
// are counted, then nothing; Printf lines always appear.
func TestLoggerProblemCap(t *testing.T) {
	var buf bytes.Buffer
	l := NewLogger(&buf, "wsbench: ")
	for i := 1; i <= MaxProblems+5; i++ {
		l.Problem("conn %d: %v", i, "broken")
	}
	l.Printf("%d errors", 15)
	var want strings.Builder
	for i := 1; i <= MaxProblems; i++ {
		fmt.Fprintf(&want, "wsbench: conn %d: broken\n", i)
	}
	want.WriteString("wsbench: further problems are counted, not shown\nwsbench: 15 errors\n")
	if buf.String() != want.String() {
		t.Errorf("output\n%q\nwant\n%q", buf.String(), want.String())
	}
	if MaxProblems != 10 {
		t.Errorf("MaxProblems = %d; the tools' documentation says 10", MaxProblems)
	}
}

// The prefix is text, not part of the format.
func TestLoggerPrefix(t *testing.T) {
	var buf bytes.Buffer
	l := NewLogger(&buf, "100%: ")
	l.Printf("x=%d", 1)
	if got := buf.String(); got != "100%: x=1\n" {
		t.Errorf("output %q", got)
	}
	if l.Writer() != &buf {
		t.Error("Writer() is not the writer given")
	}
}

// On a terminal the progress line is redrawn in place and wiped at the end,
// and problems are printed on a line of their own.
func TestProgressLine(t *testing.T) {
	var buf cmdtest.Buffer
	l := &Logger{w: &buf, prefix: "wssoak: ", tty: true}
	var n atomic.Int64
	stop := l.Progress(func() string { return "status " + strconv.FormatInt(n.Add(1), 10) })
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(buf.String(), "status 2") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	l.Problem("bad %d", 7)
	stop()
	out := buf.String()
	if !strings.HasPrefix(out, "\rwssoak: status 1\x1b[K\rwssoak: status 2\x1b[K") {
		t.Errorf("progress output %q", out)
	}
	if !strings.Contains(out, "\x1b[K\r\x1b[Kwssoak: bad 7\n") || (!strings.HasSuffix(out, "\r\x1b[K") && !strings.HasSuffix(out, "bad 7\n")) {
		t.Errorf("problem or final wipe wrong: %q", out)
	}

	// Not a terminal: nothing.
	buf = cmdtest.Buffer{}
	l = NewLogger(&buf, "wssoak: ")
	l.Progress(func() string { return "status" })()
	if buf.String() != "" {
		t.Errorf("progress on a non-terminal: %q", buf.String())
	}
}

func TestIsTerminal(t *testing.T) {
	if isTerminal(&bytes.Buffer{}) {
		t.Error("a buffer is a terminal")
	}
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Error("a regular file is a terminal")
	}
}
