package eventloop_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/qtgo/qtgo/eventloop"
)

// BenchmarkPostAndDispatch posts n events, then delivers them with one
// ProcessEvents; ns/event is the cost of one post plus its delivery.
func BenchmarkPostAndDispatch(b *testing.B) {
	for _, n := range []int{1, 64, 1024} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			l := eventloop.New()
			delivered := 0
			fn := func() { delivered++ }
			b.ReportAllocs()
			iters := 0
			for b.Loop() {
				for range n {
					l.Post(fn)
				}
				l.ProcessEvents(eventloop.AllEvents)
				iters++
			}
			if delivered != iters*n {
				b.Fatalf("got %d events delivered; want %d", delivered, iters*n)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(iters*n), "ns/event")
		})
	}
}

// BenchmarkTimerStartStop restarts and stops a timer, with other timers
// registered in the loop's heap.
func BenchmarkTimerStartStop(b *testing.B) {
	for _, others := range []int{0, 1000} {
		b.Run(fmt.Sprintf("others=%d", others), func(b *testing.B) {
			l := eventloop.New()
			for i := range others {
				tm := l.StartTimer(time.Hour+time.Duration(i), eventloop.PreciseTimer, func() {})
				b.Cleanup(tm.Stop)
			}
			tm := l.StartTimer(time.Hour, eventloop.PreciseTimer, func() {})
			b.ReportAllocs()
			for b.Loop() {
				tm.Start(time.Minute)
				tm.Stop()
			}
		})
	}
}
