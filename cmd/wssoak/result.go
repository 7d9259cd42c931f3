package main

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
)

// result is what wssoak prints.
type result struct {
	Conns      int              `json:"conns"`
	Opened     int64            `json:"opened"`
	Failed     int64            `json:"failed"`
	Sent       int64            `json:"sent"`
	Echoed     int64            `json:"echoed"`
	Verified   int64            `json:"verified"`
	Lost       int64            `json:"lost"`
	Corrupted  int64            `json:"corrupted"`
	Errors     int64            `json:"errors"`
	ErrorKinds map[string]int64 `json:"error_kinds"`

	DialP50  float64 `json:"dial_p50_ms"`
	DialP99  float64 `json:"dial_p99_ms"`
	DialMax  float64 `json:"dial_max_ms"`
	EchoP50  float64 `json:"echo_p50_us"`
	EchoP99  float64 `json:"echo_p99_us"`
	EchoMax  float64 `json:"echo_max_us"`
	Server   string  `json:"server"`
	RSSBase  float64 `json:"server_rss_base_mib"`
	RSSPeak  float64 `json:"server_rss_peak_mib"`
	HeapBase float64 `json:"server_heap_base_mib"`
	HeapPeak float64 `json:"server_heap_peak_mib"`

	SrvGoBase  int `json:"server_goroutines_base"`
	SrvGoPeak  int `json:"server_goroutines_peak"`
	SrvGoAfter int `json:"server_goroutines_after"`
	CliGoBase  int `json:"client_goroutines_base"`
	CliGoPeak  int `json:"client_goroutines_peak"`
	CliGoAfter int `json:"client_goroutines_after"`

	CliRSSPeak float64 `json:"client_rss_peak_mib"`

	RlimitNofile uint64  `json:"rlimit_nofile"`
	DialS        float64 `json:"dial_s"`
	DurationS    float64 `json:"duration_s"`
	IntervalS    float64 `json:"interval_s"`
	Size         int     `json:"size"`
	ElapsedS     float64 `json:"elapsed_s"`
	URL          string  `json:"url"`
}

// kinds formats the error kinds as kind:count,… in name order, or none.
func (r *result) kinds() string {
	if len(r.ErrorKinds) == 0 {
		return "none"
	}
	var b strings.Builder
	for i, k := range slices.Sorted(maps.Keys(r.ErrorKinds)) {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s:%d", k, r.ErrorKinds[k])
	}
	return b.String()
}

func (r *result) line() string {
	return fmt.Sprintf("conns=%d opened=%d failed=%d sent=%d echoed=%d verified=%d lost=%d corrupted=%d "+
		"errors=%d error_kinds=%s dial_p50_ms=%.1f dial_p99_ms=%.1f dial_max_ms=%.1f "+
		"echo_p50_us=%.1f echo_p99_us=%.1f echo_max_us=%.1f server=%s "+
		"server_rss_base_mib=%.1f server_rss_peak_mib=%.1f server_heap_base_mib=%.1f server_heap_peak_mib=%.1f "+
		"server_goroutines_base=%d server_goroutines_peak=%d server_goroutines_after=%d "+
		"client_goroutines_base=%d client_goroutines_peak=%d client_goroutines_after=%d client_rss_peak_mib=%.1f "+
		"rlimit_nofile=%d dial_s=%.3f duration_s=%g interval_s=%g size=%d elapsed_s=%.3f",
		r.Conns, r.Opened, r.Failed, r.Sent, r.Echoed, r.Verified, r.Lost, r.Corrupted,
		r.Errors, r.kinds(), r.DialP50, r.DialP99, r.DialMax,
		r.EchoP50, r.EchoP99, r.EchoMax, r.Server,
		r.RSSBase, r.RSSPeak, r.HeapBase, r.HeapPeak,
		r.SrvGoBase, r.SrvGoPeak, r.SrvGoAfter,
		r.CliGoBase, r.CliGoPeak, r.CliGoAfter, r.CliRSSPeak,
		r.RlimitNofile, r.DialS, r.DurationS, r.IntervalS, r.Size, r.ElapsedS)
}

// mib converts bytes to MiB with one decimal; unknown (negative) stays -1.
func mib(b int64) float64 {
	if b < 0 {
		return -1
	}
	return math.Round(float64(b)/(1<<20)*10) / 10
}

// round3 rounds seconds to milliseconds.
func round3(s float64) float64 { return math.Round(s*1000) / 1000 }
