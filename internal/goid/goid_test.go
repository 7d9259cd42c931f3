package goid

import (
	"bytes"
	"runtime"
	"strconv"
	"sync"
	"testing"
)

// fromStack parses the id the runtime prints in a goroutine's stack header.
func fromStack(t *testing.T) int64 {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	buf = bytes.TrimPrefix(buf, []byte("goroutine "))
	id, err := strconv.ParseInt(string(buf[:bytes.IndexByte(buf, ' ')]), 10, 64)
	if err != nil {
		t.Fatalf("cannot parse stack header: %v", err)
	}
	return id
}

func TestGetMatchesRuntime(t *testing.T) {
	if got, want := Get(), fromStack(t); got != want {
		t.Fatalf("Get() = %d; runtime says %d", got, want)
	}
	var wg sync.WaitGroup
	ids := make([]int64, 8)
	for i := range ids {
		wg.Go(func() {
			if got, want := Get(), fromStack(t); got != want {
				t.Errorf("goroutine: Get() = %d; runtime says %d", got, want)
			}
			ids[i] = Get()
		})
	}
	wg.Wait()
	seen := map[int64]bool{Get(): true}
	for _, id := range ids {
		if seen[id] {
			t.Fatalf("goroutine id %d seen twice", id)
		}
		seen[id] = true
	}
}

func BenchmarkGet(b *testing.B) {
	for b.Loop() {
		_ = Get()
	}
}
