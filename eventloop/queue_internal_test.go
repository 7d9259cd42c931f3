package eventloop

import "testing"

// A queue that a producer keeps non-empty must reuse its memory: with the
// consumer one event behind, the backing array must not keep growing.
func TestQueueReusesMemoryWhenNeverEmpty(t *testing.T) {
	var q queue
	q.insert(event{}, 0)
	maxCap := 0
	for i := range 100000 {
		q.insert(event{level: i}, 0)
		if got := q.removeAt(0); i > 0 && got.level != i-1 {
			t.Fatalf("popped level %d; want %d (FIFO broken)", got.level, i-1)
		}
		maxCap = max(maxCap, cap(q.items))
	}
	if q.len() != 1 {
		t.Fatalf("len = %d; want 1", q.len())
	}
	if maxCap > 64 {
		t.Fatalf("backing array grew to %d events for a queue that never held more than 2", maxCap)
	}
}
