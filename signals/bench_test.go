package signals_test

import (
	"testing"

	"github.com/qtgo/qtgo/eventloop"
	"github.com/qtgo/qtgo/signals"
)

var ssSink int

func BenchmarkEmitDirect0Slots(b *testing.B) {
	s := NewCounter(nil)
	b.ReportAllocs()
	for b.Loop() {
		s.ValueChanged.Emit(1)
	}
}

func BenchmarkEmitDirect1Slot(b *testing.B) {
	s, r := NewCounter(nil), NewCounter(nil) // both on this goroutine's loop
	s.ValueChanged.Connect(r, func(v int) { ssSink += v })
	b.ReportAllocs()
	for b.Loop() {
		s.ValueChanged.Emit(1)
	}
}

func BenchmarkEmitDirect10Slots(b *testing.B) {
	s := NewCounter(nil)
	for range 10 {
		r := NewCounter(nil)
		s.ValueChanged.Connect(r, func(v int) { ssSink += v })
	}
	b.ReportAllocs()
	for b.Loop() {
		s.ValueChanged.Emit(1)
	}
}

// BenchmarkEmitQueuedSameLoop measures one queued emission plus its
// delivery: the loop is drained every 1000 emissions.
func BenchmarkEmitQueuedSameLoop(b *testing.B) {
	loop := eventloop.Current()
	s, r := NewCounter(nil), NewCounter(nil)
	delivered := 0
	s.ValueChanged.Connect(r, func(int) { delivered++ }, signals.QueuedConnection)
	b.ReportAllocs()
	pending := 0
	for b.Loop() {
		s.ValueChanged.Emit(1)
		if pending++; pending == 1000 {
			loop.ProcessEvents(eventloop.AllEvents)
			pending = 0
		}
	}
	loop.ProcessEvents(eventloop.AllEvents)
	if delivered != b.N {
		b.Fatalf("delivered %d; want %d", delivered, b.N)
	}
}

// BenchmarkEmitQueuedCrossLoop measures throughput to a receiver on a
// Thread: b.N emissions from the benchmark goroutine, timed until the last
// one has been delivered.
func BenchmarkEmitQueuedCrossLoop(b *testing.B) {
	th := signals.NewThread(nil)
	th.Start()
	defer func() {
		th.Quit()
		th.Wait()
	}()
	s, r := NewCounter(nil), NewCounter(nil)
	r.MoveToThread(th)
	n := b.N
	delivered := 0
	done := make(chan struct{})
	s.ValueChanged.Connect(r, func(int) {
		if delivered++; delivered == n {
			close(done)
		}
	})
	b.ReportAllocs()
	b.ResetTimer()
	for range n {
		s.ValueChanged.Emit(1)
	}
	<-done
	b.StopTimer()
}

func BenchmarkBlockingQueuedRoundTrip(b *testing.B) {
	th := signals.NewThread(nil)
	th.Start()
	defer func() {
		th.Quit()
		th.Wait()
	}()
	s, r := NewCounter(nil), NewCounter(nil)
	r.MoveToThread(th)
	s.ValueChanged.Connect(r, func(int) {}, signals.BlockingQueuedConnection)
	b.ReportAllocs()
	for b.Loop() {
		s.ValueChanged.Emit(1)
	}
}

func BenchmarkConnectDisconnect(b *testing.B) {
	s, r := NewCounter(nil), NewCounter(nil)
	slot := func(v int) { ssSink += v }
	b.ReportAllocs()
	for b.Loop() {
		c := s.ValueChanged.Connect(r, slot)
		c.Disconnect()
	}
}
