package loadtool

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

const (
	// MaxProblems is how many problems a Logger prints; the rest are only
	// counted.
	MaxProblems = 10
	// ProgressInterval is how often the progress line is redrawn.
	ProgressInterval = 250 * time.Millisecond
)

// Logger writes a load tool's notices, problems and live progress line to
// its stderr, each line starting with the tool's prefix. The progress line
// is shown only on a terminal and is wiped before any other line is
// printed. A Logger is safe for concurrent use.
type Logger struct {
	mu       sync.Mutex
	w        io.Writer
	prefix   string
	tty      bool // w is a terminal: show the progress line
	status   bool // a progress line is on screen
	problems int
}

// NewLogger returns a Logger that writes to w (stderr) and starts each line
// with prefix, e.g. "wsbench: ".
func NewLogger(w io.Writer, prefix string) *Logger {
	return &Logger{w: w, prefix: prefix, tty: isTerminal(w)}
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Writer returns the writer the Logger writes to.
func (l *Logger) Writer() io.Writer { return l.w }

// clearLocked wipes the progress line if one is on screen. l.mu is held.
func (l *Logger) clearLocked() {
	if l.status {
		fmt.Fprint(l.w, "\r\x1b[K")
		l.status = false
	}
}

// lineLocked writes the prefix, the formatted text and a newline in one
// Write. l.mu is held.
func (l *Logger) lineLocked(format string, a ...any) {
	io.WriteString(l.w, l.prefix+fmt.Sprintf(format, a...)+"\n")
}

// ClearStatus wipes the progress line if one is on screen.
func (l *Logger) ClearStatus() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.clearLocked()
}

// Printf prints one line, always.
func (l *Logger) Printf(format string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.clearLocked()
	l.lineLocked(format, a...)
}

// Problem prints one line for each of the first MaxProblems problems, then
// one line saying that the rest are only counted, then nothing.
func (l *Logger) Problem(format string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.problems++
	if l.problems > MaxProblems+1 {
		return
	}
	l.clearLocked()
	if l.problems == MaxProblems+1 {
		l.lineLocked("further problems are counted, not shown")
		return
	}
	l.lineLocked(format, a...)
}

// Progress shows status() every ProgressInterval on a terminal until the
// returned function is called; that function wipes the line. On anything
// else it does nothing.
func (l *Logger) Progress(status func() string) (stop func()) {
	if !l.tty {
		return func() {}
	}
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(ProgressInterval)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				s := status()
				l.mu.Lock()
				io.WriteString(l.w, "\r"+l.prefix+s+"\x1b[K")
				l.status = true
				l.mu.Unlock()
			}
		}
	}()
	return func() {
		close(quit)
		<-done
		l.ClearStatus()
	}
}
