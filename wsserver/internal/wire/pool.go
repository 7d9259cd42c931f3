package wire

import "sync"

// A bufferPool recycles byte buffers, boxed so that pooling does not
// allocate. A few buffers of up to keepSize bytes stay in a free list that
// survives garbage collections: a server echoing large messages collects
// every few dozen of them, and a sync.Pool alone would be emptied each time
// and its buffers grown again. Larger ones, up to maxSize, go to a
// sync.Pool, which the collector empties; beyond that they are dropped.
type bufferPool struct {
	free chan *[]byte
	pool sync.Pool
}

const (
	poolFree     = 8         // buffers kept across collections
	poolKeepSize = 256 << 10 // the largest of those
	poolMaxSize  = 4 << 20   // the largest buffer pooled at all
)

func newBufferPool() *bufferPool {
	return &bufferPool{free: make(chan *[]byte, poolFree), pool: sync.Pool{New: func() any { return new([]byte) }}}
}

// get returns a box holding an empty buffer (possibly with capacity).
func (p *bufferPool) get() *[]byte {
	select {
	case bp := <-p.free:
		return bp
	default:
		return p.pool.Get().(*[]byte)
	}
}

// put recycles bp's buffer; the caller must not use either again.
func (p *bufferPool) put(bp *[]byte) {
	if bp == nil || cap(*bp) > poolMaxSize {
		return
	}
	*bp = (*bp)[:0]
	if cap(*bp) <= poolKeepSize && cap(*bp) > 0 {
		select {
		case p.free <- bp:
			return
		default:
		}
	}
	p.pool.Put(bp)
}
