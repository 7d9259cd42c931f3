package loadtool

import (
	"math"
	"math/bits"
	"sync"
	"time"
)

// subBits sets the resolution: buckets are exact below 2^subBits ns and
// 1/2^subBits of their value wide above.
const subBits = 10

// Histogram counts durations in buckets that are exact below 1.024 µs
// (2^10 ns) and have a relative width of 1/1024 above. Negative durations
// count as 0. It is safe for concurrent use; its zero value is empty and
// ready to use.
type Histogram struct {
	mu     sync.Mutex
	counts []uint64
	n      uint64
	max    int64
}

// bucketOf returns the index of the bucket v (ns) falls in.
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

// Add counts each of ds. Adding many at once takes the lock once, which
// matters on a load generator's hot path.
func (h *Histogram) Add(ds ...time.Duration) {
	if len(ds) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.counts == nil {
		h.counts = make([]uint64, bucketOf(math.MaxInt64)+1)
	}
	for _, d := range ds {
		h.counts[bucketOf(int64(d))]++
		h.max = max(h.max, int64(d))
	}
	h.n += uint64(len(ds))
}

// Quantile returns the nearest-rank q quantile (0 < q <= 1): the middle of
// the bucket it falls in, at most the maximum; 0 for an empty histogram.
func (h *Histogram) Quantile(q float64) time.Duration {
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

// Max returns the largest duration added (exact, not bucketed), or 0.
func (h *Histogram) Max() time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	return time.Duration(h.max)
}
