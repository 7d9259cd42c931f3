package loadtool

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"
)

func TestTracker(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	defer func() {
		ln.Close()
		for c := range accepted {
			c.Close()
		}
	}()

	errCut := errors.New("cut")
	tr := NewTracker(errCut)
	ctx := context.Background()
	a, err := tr.DialContext(ctx, "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b, err := tr.DialContext(ctx, "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	a.Close()
	tr.mu.Lock()
	open := len(tr.conns)
	tr.mu.Unlock()
	if open != 1 {
		t.Errorf("%d connections tracked after closing one of two; want 1", open)
	}

	// CloseAll unblocks a pending Read and refuses new dials.
	readErr := make(chan error, 1)
	go func() {
		_, err := b.Read(make([]byte, 1))
		readErr <- err
	}()
	tr.CloseAll()
	select {
	case err := <-readErr:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("Read after CloseAll: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("CloseAll did not unblock a Read")
	}
	b.Close()
	if _, err := tr.DialContext(ctx, "tcp", ln.Addr().String()); err != errCut {
		t.Errorf("DialContext after CloseAll: %v; want %v", err, errCut)
	}
}
