package wire

import (
	"runtime"
	"testing"
)

// Buffers up to poolKeepSize survive a garbage collection in the free
// list; larger ones may not, and ones over poolMaxSize are never pooled.
func TestBufferPool(t *testing.T) {
	p := newBufferPool()
	small := make([]byte, 10, 64<<10)
	bp := &small
	p.put(bp)
	runtime.GC()
	runtime.GC()
	got := p.get()
	if got != bp || cap(*got) != 64<<10 || len(*got) != 0 {
		t.Fatalf("get after GC = %p (cap %d, len %d); want the kept box %p, emptied", got, cap(*got), len(*got), bp)
	}

	huge := make([]byte, 0, poolMaxSize+1)
	p.put(&huge)
	if n := len(p.free); n != 0 {
		t.Fatalf("a %d-byte buffer went to the free list (%d there)", cap(huge), n)
	}
	for range poolFree + 2 {
		b := make([]byte, 0, 1024)
		p.put(&b)
	}
	if n := len(p.free); n != poolFree {
		t.Fatalf("free list holds %d; want it full at %d, the rest in the sync.Pool", n, poolFree)
	}
	p.put(nil) // no panic
}
