package wsserver_test

import (
	"bytes"
	"encoding/binary"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qtgo/qtgo/signals/signaltest"
	"github.com/qtgo/qtgo/wsserver"
)

// Load: back-pressure, the outgoing limit, many sockets at once.

// waitStalled polls progress until it stops changing for a few polls or
// reaches done, and closes the returned channel (bounded by limit). It
// measures, it does not synchronise: a stalled peer is only visible as the
// absence of progress.
func waitStalled(progress func() int64, done int64, limit time.Duration, stop <-chan struct{}) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		deadline := time.After(limit)
		last, same := int64(-1), 0
		for {
			select {
			case <-tick.C:
			case <-deadline:
				return
			case <-stop:
				return
			}
			p := progress()
			if p == done {
				return
			}
			if p == last {
				if same++; same == 5 {
					return
				}
			} else {
				last, same = p, 0
			}
		}
	}()
	return ch
}

func heapAlloc() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestLoadBackPressure floods a server-side socket with 2000 messages of
// 8 KiB (16 MiB) from a raw client while the socket's slot is blocked on
// the first one. The socket must not read the flood into memory (it reads
// a few messages ahead, then TCP flow control stops the peer): the Go heap
// grows by far less than the flood. Once the slot returns, every message
// arrives exactly once, in order.
//
// Not parallel: it measures the heap.
func TestLoadBackPressure(t *testing.T) {
	const n, size = 2000, 8 << 10
	srv := newServer(t)
	peer := dialRawClient(t, serverAddr(srv), "/")
	server := nextConn(t, srv)

	var written atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	t.Cleanup(func() { close(stop); peer.drop(); wg.Wait() })

	var got []uint32
	var stallHeap, base uint64
	var atStall int64
	bad := 0
	server.BinaryMessageReceived.Connect(server, func(b []byte) {
		if len(b) != size {
			bad++
			return
		}
		got = append(got, binary.BigEndian.Uint32(b))
		if len(got) == 1 {
			// Blocked until the peer cannot write any more (or is done).
			<-waitStalled(written.Load, n, 10*time.Second, stop)
			atStall = written.Load()
			stallHeap = heapAlloc()
		}
	})

	base = heapAlloc()
	wg.Add(1)
	go func() {
		defer wg.Done()
		payload := bytes.Repeat([]byte{0xA5}, size)
		for i := range n {
			binary.BigEndian.PutUint32(payload, uint32(i))
			// Masked with the zero key: valid, and no XOR to pay for.
			f := encodeFrame(wsFrame{Fin: true, Opcode: opBinary, Masked: true, Payload: payload})
			if err := peer.writeRaw(f); err != nil {
				return
			}
			written.Add(1)
		}
	}()

	if !signaltest.WaitFor(func() bool { return len(got) == n || bad > 0 }, 30*time.Second) {
		t.Fatalf("received %d of %d messages", len(got), n)
	}
	if bad > 0 {
		t.Fatalf("%d messages of the wrong size", bad)
	}
	for i, v := range got {
		if v != uint32(i) {
			t.Fatalf("message %d carries index %d; want each exactly once, in order", i, v)
		}
	}
	growth := int64(stallHeap) - int64(base)
	t.Logf("while the slot was blocked: the peer had written %d of %d messages; heap grew by %d KiB (flood %d KiB)",
		atStall, n, growth/1024, n*size/1024)
	if growth > 4<<20 {
		t.Errorf("heap grew by %d KiB while the slot was blocked; want well under the %d KiB flood (back-pressure)",
			growth/1024, n*size/1024)
	}
	signaltest.Wait(0)
	if len(got) != n {
		t.Errorf("%d messages after the last one; want %d", len(got), n)
	}
}

// TestLoadFloodInOrder: a Go client queues 3000 messages (about 12 MiB) at
// once while the server-side socket's slot blocks on the first; after it
// returns, all arrive exactly once, in order, and the client's queue
// drains.
func TestLoadFloodInOrder(t *testing.T) {
	t.Parallel()
	const n = 3000
	srv := newServer(t)
	client, server := connectPair(t, srv)
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })

	var got []string
	var queuedAtStall int64
	filler := string(bytes.Repeat([]byte("x"), 4<<10))
	server.TextMessageReceived.Connect(server, func(m string) {
		got = append(got, m)
		if len(got) == 1 {
			<-waitStalled(client.BytesToWrite, 0, 10*time.Second, stop)
			queuedAtStall = client.BytesToWrite()
		}
	})
	for i := range n {
		msg := strconv.Itoa(i) + ":" + filler
		if r := client.SendTextMessage(msg); r != int64(len(msg)) {
			t.Fatalf("SendTextMessage %d = %d", i, r)
		}
	}
	if !signaltest.WaitFor(func() bool { return len(got) == n }, 30*time.Second) {
		t.Fatalf("received %d of %d", len(got), n)
	}
	for i, m := range got {
		if want := strconv.Itoa(i) + ":" + filler; m != want {
			t.Fatalf("message %d = %.12q…; want index %d (each exactly once, in order)", i, m, i)
		}
	}
	// The server reads a few messages ahead and the kernel buffers a few
	// MiB: the rest must still wait on the client's side.
	if queuedAtStall == 0 {
		t.Errorf("the client wrote all %d messages while the server's slot was blocked; want back-pressure", n)
	}
	t.Logf("client bytes still queued while the server's slot was blocked: %d", queuedAtStall)
	signaltest.TryCompare(t, client.BytesToWrite, 0)
}

// TestLoadOutgoingLimit: a server-side socket whose peer never reads
// queues what it sends; past SetMaxBytesToWrite it reports
// SocketResourceError and aborts itself (a Go extra: Qt's buffer has no
// limit). Other sockets of the same server go on working.
func TestLoadOutgoingLimit(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	dialRawClientResp(t, serverAddr(srv), "/", false) // never reads
	stuck := nextConn(t, srv)
	client, other := connectPair(t, srv)
	log := recordSignals(t, stuck)
	const limit = 1 << 20
	stuck.SetMaxBytesToWrite(limit)

	chunk := randomBytes(64 << 10)
	refused := false
	for i := 0; i < 400 && !refused && log.count(errEv(wsserver.SocketResourceError)) == 0; i++ {
		for range 8 { // 512 KiB, under the limit
			if stuck.SendBinaryMessage(chunk) == 0 {
				refused = true
				break
			}
		}
		// Wait a little for the writer to drain; a peer that does not
		// read stops it once the kernel buffers are full.
		signaltest.WaitFor(func() bool {
			return stuck.BytesToWrite() < limit/2 || log.count(errEv(wsserver.SocketResourceError)) > 0
		}, 50*time.Millisecond)
	}
	log.waitFor(evReadFinished)
	log.expect("overflow", errEv(wsserver.SocketResourceError), evAboutToClose, evUnconnected, evDisconnected, evReadFinished)
	if !refused {
		t.Errorf("no send returned 0 at the limit")
	}
	if stuck.Error() != wsserver.SocketResourceError ||
		stuck.ErrorString() != "Outgoing queue limit exceeded: the peer does not read fast enough (see SetMaxBytesToWrite)." {
		t.Errorf("Error = %v %q", stuck.Error(), stuck.ErrorString())
	}
	if stuck.BytesToWrite() != 0 || stuck.SendTextMessage("x") != 0 {
		t.Errorf("BytesToWrite %d after the abort; want 0 and no more sending", stuck.BytesToWrite())
	}

	// The other connection is unaffected.
	clog := recordSignals(t, client)
	other.SendTextMessage("still here")
	clog.waitFor(`TextMessageReceived("still here")`)

	// n <= 0: no limit (Qt's behaviour).
	other.SetMaxBytesToWrite(0)
	big := randomBytes(4 << 20)
	for range 4 {
		if other.SendBinaryMessage(big) != 4<<20 {
			t.Fatalf("SendBinaryMessage refused without a limit")
		}
	}
	clog.waitCount("BinaryMessageReceived(<4194304 bytes>)", 4)
	if other.State() != wsserver.ConnectedState {
		t.Errorf("state %v; want connected", other.State())
	}
}

// TestLoadManyClients: 40 clients on one server, each exchanging 25
// messages with an echoing server side, all at once.
func TestLoadManyClients(t *testing.T) {
	t.Parallel()
	const clients, msgs = 40, 25
	srv := newServer(t)
	srv.SetMaxPendingConnections(clients)
	srv.NewConnection.Connect(srv, func() {
		for srv.HasPendingConnections() {
			ws := srv.NextPendingConnection()
			t.Cleanup(ws.Delete)
			ws.TextMessageReceived.Connect(ws, func(m string) { ws.SendTextMessage(m) })
		}
	})
	logs := make([]*sigLog, clients)
	for i := range clients {
		c := newClient(t)
		logs[i] = recordSignals(t, c)
		c.Connected.Connect(c, func() {
			for j := range msgs {
				c.SendTextMessage(strconv.Itoa(i) + "/" + strconv.Itoa(j))
			}
		})
		c.Open(srv.ServerUrl().String())
	}
	done := func() bool {
		for _, l := range logs {
			l.mu.Lock()
			n := len(l.texts)
			l.mu.Unlock()
			if n < msgs {
				return false
			}
		}
		return true
	}
	if !signaltest.WaitFor(done, 20*time.Second) {
		t.Fatal("not every echo arrived")
	}
	for i, l := range logs {
		l.mu.Lock()
		for j, m := range l.texts {
			if want := strconv.Itoa(i) + "/" + strconv.Itoa(j); m != want {
				t.Errorf("client %d message %d = %q; want %q", i, j, m, want)
				break
			}
		}
		l.mu.Unlock()
	}
}
