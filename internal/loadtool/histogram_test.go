package loadtool

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// ns returns the durations 1 ns, 2 ns ... n ns.
func ns(n int) []time.Duration {
	ds := make([]time.Duration, n)
	for i := range ds {
		ds[i] = time.Duration(i + 1)
	}
	return ds
}

func TestHistogramQuantile(t *testing.T) {
	ms := []time.Duration{time.Millisecond, 5 * time.Millisecond, 5 * time.Millisecond}
	for _, tc := range []struct {
		name string
		in   []time.Duration
		q    float64
		want time.Duration
	}{
		{"empty", nil, 0.5, 0},
		{"one to 100 p50", ns(100), 0.5, 50},
		{"one to 100 p90", ns(100), 0.9, 90},
		{"one to 100 p99", ns(100), 0.99, 99},
		{"one to 100 p100", ns(100), 1, 100},
		{"q 0 is the smallest", ns(100), 0, 1},
		{"rank rounds up", []time.Duration{10, 20, 30}, 0.34, 20},
		{"rank 0.99 is 1", []time.Duration{10, 20, 30}, 0.33, 10},
		{"negative counts as 0", []time.Duration{-5, 7}, 0.5, 0},
		{"exact up to 2047 ns", []time.Duration{1024, 2047}, 1, 2047},
		// 2048-4095 ns: buckets 2 ns wide, [3000, 3002) has middle 3000.
		{"2 ns bucket", []time.Duration{3000, 3001}, 1, 3000},
		// 1 ms is in [999936, +512): middle 999936+255.
		{"1 ms bucket middle", ms, 0.33, 1000191},
		// 5 ms is in [4997120, +4096): middle 4997120+2047, below the maximum.
		{"5 ms bucket middle", ms, 1, 4999167},
		{"5 ms p50", ms, 0.5, 4999167},
		// The middle of [4997120, +4096) is above 4997500: the maximum wins.
		{"at most the maximum", []time.Duration{4997500}, 0.5, 4997500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var h Histogram
			h.Add(tc.in...)
			if got := h.Quantile(tc.q); got != tc.want {
				t.Errorf("Quantile(%v) = %d; want %d", tc.q, got, tc.want)
			}
			// One at a time gives the same.
			var h1 Histogram
			for _, d := range tc.in {
				h1.Add(d)
			}
			if got := h1.Quantile(tc.q); got != tc.want {
				t.Errorf("added one at a time: Quantile(%v) = %d; want %d", tc.q, got, tc.want)
			}
		})
	}
}

func TestHistogramMax(t *testing.T) {
	var h Histogram
	if h.Max() != 0 {
		t.Errorf("empty: Max() = %v", h.Max())
	}
	h.Add(3*time.Millisecond, 4997500, 2)
	h.Add()
	if h.Max() != 4997500 {
		t.Errorf("Max() = %d; want 4997500 (exact, not its bucket)", h.Max())
	}
}

func TestHistogramBuckets(t *testing.T) {
	for _, v := range []int64{0, 1, 1023, 1024, 1025, 2047, 2048, 123456, 1 << 40, math.MaxInt64} {
		lo, w := bucketRange(bucketOf(v))
		if v < lo || v-lo >= w {
			t.Errorf("%d in bucket [%d, +%d)", v, lo, w)
		}
		if v >= 1<<subBits && float64(w)/float64(lo) > 1.0/(1<<subBits) {
			t.Errorf("%d: bucket width %d too coarse", v, w)
		}
	}
	for i := range bucketOf(math.MaxInt64) {
		lo, w := bucketRange(i)
		if next, _ := bucketRange(i + 1); lo+w != next {
			t.Fatalf("bucket %d is [%d, +%d), the next starts at %d", i, lo, w, next)
		}
	}
}

// Quantiles of many random latencies are within the resolution of the
// exact ones.
func TestHistogramResolution(t *testing.T) {
	var h Histogram
	r := rand.New(rand.NewPCG(1, 2))
	ds := make([]time.Duration, 100001)
	for i := range ds {
		ds[i] = time.Duration(r.ExpFloat64() * 80e3)
	}
	h.Add(ds[:50000]...)
	h.Add(ds[50000:]...)
	slices.Sort(ds)
	for _, q := range []float64{0.5, 0.9, 0.99, 1} {
		exact := ds[int(math.Ceil(q*float64(len(ds))))-1]
		if got := h.Quantile(q); math.Abs(float64(got-exact)) > float64(exact)/1000+1 {
			t.Errorf("Quantile(%v) = %d; exact %d", q, got, exact)
		}
	}
	if h.Max() != ds[len(ds)-1] {
		t.Errorf("Max() = %d; want %d", h.Max(), ds[len(ds)-1])
	}
}
