package wsserver

import (
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// tcpPair returns a batchConn over a loopback TCP connection with a small
// send buffer, and the peer's end.
func tcpPair(t *testing.T) (*batchConn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	_ = c.(*net.TCPConn).SetWriteBuffer(16 << 10)
	peer := <-accepted
	if peer == nil {
		t.Fatal("accept failed")
	}
	_ = peer.(*net.TCPConn).SetReadBuffer(16 << 10)
	bc := newBatchConn(c)
	t.Cleanup(func() { bc.Close(); peer.Close() })
	return bc, peer
}

func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i%251)
	}
	return b
}

// readAll reads n bytes from peer on a goroutine.
func readN(peer net.Conn, n int) <-chan []byte {
	ch := make(chan []byte, 1)
	go func() {
		b := make([]byte, n)
		_ = peer.SetReadDeadline(time.Now().Add(10 * time.Second))
		k, _ := io.ReadFull(peer, b)
		ch <- b[:k]
	}()
	return ch
}

// A batch the kernel cannot take at once stays corked: a write from
// another goroutine (coder/websocket's pong) lands after it, never inside
// it, and flush sends the rest.
func TestBatchConnPartialFlushKeepsOrder(t *testing.T) {
	bc, peer := tcpPair(t)
	batch := pattern(4<<20, 1)
	if !bc.tryCork() {
		t.Fatal("tryCork = false on an idle connection")
	}
	if _, err := bc.Write(batch); err != nil {
		t.Fatal(err)
	}
	left, written, err := bc.tryFlush()
	if err != nil {
		t.Fatal(err)
	}
	if left == 0 || int(written)+left != len(batch) {
		t.Fatalf("tryFlush: left %d, written %d; want a partial write of %d bytes", left, written, len(batch))
	}
	if bc.tryCork() {
		t.Fatal("tryCork = true while a tail is pending")
	}
	pong := []byte("pong frame")
	wrote := make(chan error, 1)
	go func() { _, err := bc.Write(pong); wrote <- err }()

	got := readN(peer, len(batch)+len(pong))
	w2, err := bc.flush()
	if err != nil {
		t.Fatal(err)
	}
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}
	if w2 < int64(left) {
		t.Fatalf("flush wrote %d bytes; want at least the %d left", w2, left)
	}
	want := append(append([]byte(nil), batch...), pong...)
	if b := <-got; !bytes.Equal(b, want) {
		t.Fatalf("peer got %d bytes, not the batch followed by the pong", len(b))
	}
	if bc.corked || bc.buf != nil {
		t.Fatalf("after flush: corked %v, buffer %d bytes; want uncorked and released", bc.corked, len(bc.buf))
	}
}

// While the owner's flush waits for a peer that does not read, writes it
// did not start are held to about heldLimit bytes: they block instead of
// growing the buffer, and all of them arrive once the peer reads.
func TestBatchConnHeldWritesAreBounded(t *testing.T) {
	bc, peer := tcpPair(t)
	bc.cork()
	big := pattern(2<<20, 7)
	_, _ = bc.Write(big)
	flushed := make(chan error, 1)
	go func() { _, err := bc.flush(); flushed <- err }()
	for flushing := false; !flushing; time.Sleep(time.Millisecond) {
		bc.mu.Lock()
		flushing = !bc.gathering
		bc.mu.Unlock()
	}

	const chunks = 512
	chunk := pattern(1<<10, 3)
	done := make(chan error, 1)
	go func() {
		for range chunks {
			if _, err := bc.Write(chunk); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	time.Sleep(200 * time.Millisecond) // let the writer run into the limit
	bc.mu.Lock()
	held := len(bc.buf)
	bc.mu.Unlock()
	select {
	case err := <-done:
		t.Fatalf("all %d KiB were accepted while the peer read nothing (err %v); want the writer held", chunks, err)
	default:
	}
	if held > heldLimit+len(chunk) {
		t.Fatalf("%d bytes held; want at most %d", held, heldLimit+len(chunk))
	}
	got := readN(peer, len(big)+chunks*len(chunk))
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := <-flushed; err != nil {
		t.Fatal(err)
	}
	b := <-got
	if !bytes.Equal(b[:len(big)], big) {
		t.Fatal("the owner's batch did not arrive first and whole")
	}
	for i := range chunks {
		off := len(big) + i*len(chunk)
		if !bytes.Equal(b[off:off+len(chunk)], chunk) {
			t.Fatalf("chunk %d corrupted or missing", i)
		}
	}
}

// Closing the connection releases a write held for the flush with
// net.ErrClosed.
func TestBatchConnCloseReleasesHeldWrite(t *testing.T) {
	bc, _ := tcpPair(t)
	bc.cork()
	_, _ = bc.Write(pattern(heldLimit, 0))
	bc.mu.Lock()
	bc.gathering = false // the owner is flushing now
	bc.mu.Unlock()
	res := make(chan error, 1)
	go func() { _, err := bc.Write([]byte("pong")); res <- err }()
	select {
	case err := <-res:
		t.Fatalf("Write returned %v over the limit; want it held", err)
	case <-time.After(50 * time.Millisecond):
	}
	_ = bc.Close()
	select {
	case err := <-res:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("held Write = %v; want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not release the held Write")
	}
}
