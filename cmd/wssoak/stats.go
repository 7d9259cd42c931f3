package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// histogram counts durations (ns) in buckets that are exact below 2^subBits
// ns and 1/2^subBits of their value wide above (the same as wsbench's).
type histogram struct {
	mu     sync.Mutex
	counts []uint64
	n      uint64
	max    int64
}

const subBits = 10

func bucketOf(v int64) int {
	if v < 1<<subBits {
		return int(max(v, 0))
	}
	e := bits.Len64(uint64(v)) - 1
	sub := int(v>>(e-subBits)) & (1<<subBits - 1)
	return (e-subBits+1)<<subBits + sub
}

// bucketRange returns the smallest value in bucket i and the bucket's width.
func bucketRange(i int) (lo, width int64) {
	if i < 1<<subBits {
		return int64(i), 1
	}
	e := i>>subBits + subBits - 1
	sub := int64(i & (1<<subBits - 1))
	return 1<<e + sub<<(e-subBits), 1 << (e - subBits)
}

func (h *histogram) add(v time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.counts == nil {
		h.counts = make([]uint64, bucketOf(math.MaxInt64)+1)
	}
	h.counts[bucketOf(int64(v))]++
	h.max = max(h.max, int64(v))
	h.n++
}

// quantile returns the nearest-rank q quantile: the middle of its bucket,
// at most the maximum; 0 for an empty histogram.
func (h *histogram) quantile(q float64) time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, n := range h.counts {
		if seen += n; seen >= rank {
			lo, w := bucketRange(i)
			return time.Duration(min(lo+(w-1)/2, h.max))
		}
	}
	return time.Duration(h.max)
}

func (h *histogram) maximum() time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	return time.Duration(h.max)
}

// ms and us convert a duration to milliseconds and microseconds with one
// decimal.
func ms(d time.Duration) float64 { return math.Round(float64(d)/1e5) / 10 }
func us(d time.Duration) float64 { return math.Round(float64(d)/1e2) / 10 }

// serverStats are the figures of the process that runs the echo server,
// and what the server itself reported. Unknown figures are -1.
type serverStats struct {
	RSS            int64 `json:"rss"`  // VmRSS, bytes
	Heap           int64 `json:"heap"` // Go heap in use, bytes
	Goroutines     int   `json:"goroutines"`
	GoroutinesBase int   `json:"goroutines_base"`
	Sockets        int64 `json:"sockets"`       // server-side sockets alive
	AcceptErrors   int64 `json:"accept_errors"` // AcceptError emissions
	ServerErrors   int64 `json:"server_errors"` // ServerError emissions
	SocketErrors   int64 `json:"socket_errors"` // sockets' ErrorOccurred emissions
}

// ownStats returns this process's RSS, heap and goroutines.
func ownStats() serverStats {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return serverStats{RSS: vmRSS(0), Heap: int64(m.HeapInuse), Goroutines: runtime.NumGoroutine()}
}

// vmRSS reads VmRSS from /proc/<pid>/status (pid 0: this process), in
// bytes, or -1.
func vmRSS(pid int) int64 {
	p := "/proc/self/status"
	if pid > 0 {
		p = "/proc/" + strconv.Itoa(pid) + "/status"
	}
	f, err := os.Open(p)
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return -1
			}
			return kb << 10
		}
	}
	return -1
}

// waitGoroutines waits up to limit for the goroutine count to fall to base
// and returns the count then.
func waitGoroutines(base int, limit time.Duration) int {
	deadline := time.Now().Add(limit)
	for {
		n := runtime.NumGoroutine()
		if n <= base || time.Now().After(deadline) {
			return n
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// logger writes notices, problems and the progress line to stderr.
type logger struct {
	mu       sync.Mutex
	w        io.Writer
	tty      bool // stderr is a terminal: show the progress line
	status   bool // a progress line is on screen
	problems int
}

const (
	maxProblems = 10 // problems printed on stderr; the rest are only counted
	progressDt  = 250 * time.Millisecond
)

func newLogger(w io.Writer) *logger { return &logger{w: w, tty: isTerminal(w)} }

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func (l *logger) clearLocked() {
	if l.status {
		fmt.Fprint(l.w, "\r\x1b[K")
		l.status = false
	}
}

func (l *logger) clearStatus() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.clearLocked()
}

// printf prints one line.
func (l *logger) printf(format string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.clearLocked()
	fmt.Fprintf(l.w, "wssoak: "+format+"\n", a...)
}

// problem prints one line for the first maxProblems problems, then says
// that the rest are only counted.
func (l *logger) problem(format string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.problems++
	if l.problems > maxProblems+1 {
		return
	}
	l.clearLocked()
	if l.problems == maxProblems+1 {
		fmt.Fprintln(l.w, "wssoak: further problems are counted, not shown")
		return
	}
	fmt.Fprintf(l.w, "wssoak: "+format+"\n", a...)
}

// progress shows status() every progressDt on a terminal until the
// returned function is called.
func (l *logger) progress(status func() string) (stop func()) {
	if !l.tty {
		return func() {}
	}
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(progressDt)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				s := status()
				l.mu.Lock()
				fmt.Fprintf(l.w, "\rwssoak: %s\x1b[K", s)
				l.status = true
				l.mu.Unlock()
			}
		}
	}()
	return func() {
		close(quit)
		<-done
		l.clearStatus()
	}
}
