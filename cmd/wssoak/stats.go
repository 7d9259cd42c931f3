package main

import (
	"bufio"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

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
