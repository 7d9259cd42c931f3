package wsserver_test

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/goleak"

	"github.com/qtgo/qtgo/signals"
	"github.com/qtgo/qtgo/signals/signaltest"
	"github.com/qtgo/qtgo/wsserver"
)

// Load and lifecycle (issue #6): a burst of dials against the pending
// limit, server Close and application quit with 1,000 live connections,
// Delete and DeleteLater of sockets and servers from everywhere. These
// tests are not parallel: each checks that no goroutine is left once it
// has cleaned up (goleak), which needs the package to itself.

// leakWait bounds how long goroutines that are winding down (closing
// handshakes run in the background) may take before noLeaks reports them.
const leakWait = 10 * time.Second

// noLeaks makes t check, after every other cleanup of t, that each
// goroutine started since this call has ended. t must not run in parallel
// with other tests: their goroutines would be reported too.
func noLeaks(t *testing.T) {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() {
		deadline := time.Now().Add(leakWait)
		for {
			err := goleak.Find(ignore)
			if err == nil {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("goroutines left behind: %v", err)
				return
			}
			signaltest.Wait(20 * time.Millisecond) // deferred deletes, queued closes
		}
	})
}

// needFDs skips t when the process may not open n descriptors.
func needFDs(t *testing.T, n int) {
	t.Helper()
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		t.Skipf("cannot read the descriptor limit: %v", err)
	}
	if rl.Cur < uint64(n) {
		t.Skipf("ulimit -n is %d; this test needs %d descriptors (two per loopback connection): raise it to run it", rl.Cur, n)
	}
}

// dialed is the outcome of one raw dial of a burst.
type dialed struct {
	conn net.Conn
	br   *bufio.Reader
	resp *http.Response // nil: no answer (err says how the connection ended)
	err  error
}

// dialBurst dials addr n times at once, each running a client handshake
// by hand on its own goroutine. It returns when every dial has ended;
// with runLoop it runs the caller's loop meanwhile (else the loop is
// blocked, as by a busy slot). The connections are closed at the end of
// the test.
func dialBurst(t *testing.T, addr string, n int, runLoop bool) []dialed {
	t.Helper()
	out := make([]dialed, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			c, err := net.DialTimeout("tcp", addr, 10*time.Second)
			if err != nil {
				out[i].err = err
				return
			}
			out[i].conn = c
			out[i].br, out[i].resp, out[i].err = rawHandshake(c, addr, "/")
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	t.Cleanup(func() {
		<-done
		for _, d := range out {
			if d.conn != nil {
				_ = d.conn.Close()
			}
		}
	})
	finished := func() bool {
		select {
		case <-done:
			return true
		default:
			return false
		}
	}
	if !runLoop {
		// The loop is blocked while the requests arrive; the server
		// answers them once it runs again, as Qt's does.
		time.Sleep(300 * time.Millisecond)
	}
	if !signaltest.WaitFor(finished, 30*time.Second) {
		t.Fatal("the dials did not finish")
	}
	return out
}

// dialMany connects n raw clients at once; each must be upgraded. The
// peers read in the background and are closed at the end of the test.
func dialMany(t *testing.T, addr string, n int) []*rawPeer {
	t.Helper()
	var peers []*rawPeer
	for i, d := range dialBurst(t, addr, n, true) {
		if d.err != nil || d.resp.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("dial %d: %v %v", i, d.resp, d.err)
		}
		p := newRawPeer(t, d.conn, d.br, true, true)
		t.Cleanup(p.close)
		peers = append(peers, p)
	}
	return peers
}

func localPort(c net.Conn) uint16 { return uint16(c.LocalAddr().(*net.TCPAddr).Port) }

// TestRobustPendingBurst: 1,000 clients dial at once a server whose
// pending limit is 10 and which nobody takes connections from. As in Qt
// (ws §1.6 step 4) the server does not pause accepting: a handshake that
// finds the queue full is refused by closing the connection without an
// answer, and Error/ServerError become 1006 "Too many pending
// connections." (one ServerError: it is emitted on changes). The queue
// holds exactly 10 sockets, also when the loop is blocked during the
// burst (the requests wait for it: the pending check, the answer and the
// queueing run on the loop in one go, as in Qt, so no 101 is ever sent
// beyond the limit).
// Draining with NextPendingConnection gets each queued socket once, each
// matching a client that got a 101 and still has its connection; every
// other client sees its connection closed without a frame. Afterwards the
// server accepts again.
func TestRobustPendingBurst(t *testing.T) {
	const dials, limit = 1000, 10
	needFDs(t, 2*dials+200)
	for _, busy := range []bool{false, true} {
		name := "loop running"
		if busy {
			name = "loop blocked during the burst"
		}
		t.Run(name, func(t *testing.T) {
			noLeaks(t)
			srv := newServer(t)
			srv.SetMaxPendingConnections(limit)
			newConn := signaltest.NewSpy0(&srv.NewConnection)
			srvErrs := signaltest.NewSpy(&srv.ServerError)
			res := dialBurst(t, serverAddr(srv), dials, !busy)

			upgraded := map[uint16]dialed{}
			refused := 0
			for i, d := range res {
				var ne net.Error
				switch {
				case d.err == nil && d.resp.StatusCode == http.StatusSwitchingProtocols:
					upgraded[localPort(d.conn)] = d
				case d.conn != nil && d.resp == nil && !(errors.As(d.err, &ne) && ne.Timeout()):
					refused++ // closed without an answer (EOF or reset)
				default:
					t.Errorf("dial %d: %v %v; want a 101 or the connection closed without an answer", i, d.resp, d.err)
				}
			}
			t.Logf("%d upgraded, %d refused before an answer", len(upgraded), refused)
			if len(upgraded) < limit {
				t.Fatalf("%d upgraded; want at least the limit, %d", len(upgraded), limit)
			}
			// Each upgraded client reads: the queued ones will get a
			// message from their socket, the others see their connection
			// end. Once as many have ended as the queue has no room for,
			// every upgraded connection has reached the loop.
			type outcome struct {
				f    wsFrame
				err  error
				done bool
			}
			var mu sync.Mutex
			outcomes := map[uint16]*outcome{}
			var ended atomic.Int64
			for port, d := range upgraded {
				o := &outcome{}
				outcomes[port] = o
				go func() {
					_ = d.conn.SetReadDeadline(time.Now().Add(3 * rawWait))
					f, err := readFrame(d.br)
					var ne net.Error
					if err != nil && !(errors.As(err, &ne) && ne.Timeout()) {
						ended.Add(1)
					}
					mu.Lock()
					o.f, o.err, o.done = f, err, true
					mu.Unlock()
				}()
			}
			dropped := int64(len(upgraded) - limit)
			if !signaltest.WaitFor(func() bool { return ended.Load() >= dropped }, 2*rawWait) {
				t.Fatalf("%d upgraded clients saw their connection end, NewConnection emitted %d times; want %d and %d (the queue holds %d)",
					ended.Load(), newConn.Count(), dropped, limit, limit)
			}
			signaltest.Wait(20 * time.Millisecond)

			var taken []*wsserver.WebSocket
			for srv.HasPendingConnections() {
				ws := srv.NextPendingConnection()
				t.Cleanup(ws.Delete)
				taken = append(taken, ws)
			}
			if len(taken) != limit || newConn.Count() != limit || ended.Load() != dropped {
				t.Fatalf("%d sockets queued, NewConnection emitted %d times, %d connections ended; want exactly the limit, %d, twice, and %d",
					len(taken), newConn.Count(), ended.Load(), limit, dropped)
			}
			if srv.NextPendingConnection() != nil {
				t.Error("NextPendingConnection after draining != nil")
			}
			// Each queued socket is one upgraded client's, once, and
			// reaches that client; every other upgraded client has seen its
			// connection closed without a frame.
			queued := map[uint16]bool{}
			for _, ws := range taken {
				port := ws.PeerPort()
				if _, ok := upgraded[port]; !ok || queued[port] {
					t.Fatalf("queued socket from port %d: upgraded client %v, queued before %v; want each upgraded client at most once",
						port, ok, queued[port])
				}
				queued[port] = true
				ws.SendTextMessage("taken " + strconv.Itoa(int(port)))
			}
			allDone := func() bool {
				mu.Lock()
				defer mu.Unlock()
				for _, o := range outcomes {
					if !o.done {
						return false
					}
				}
				return true
			}
			if !signaltest.WaitFor(allDone, 2*rawWait) {
				t.Fatal("some queued clients got nothing")
			}
			bad := 0
			for port, o := range outcomes {
				want := "taken " + strconv.Itoa(int(port))
				switch {
				case queued[port] && (o.err != nil || o.f.Opcode != opText || string(o.f.Payload) != want):
					t.Errorf("queued client on port %d: %v %v; want %q from its own socket", port, o.f, o.err, want)
					bad++
				case !queued[port] && o.err == nil:
					t.Errorf("upgraded client on port %d, not queued: got %v; want the connection closed without a frame", port, o.f)
					bad++
				}
				if bad == 5 {
					break
				}
			}
			if srvErrs.Count() != 1 || srvErrs.At(0) != wsserver.CloseCodeAbnormalDisconnection ||
				srv.ErrorString() != "Too many pending connections." {
				t.Errorf("ServerError emitted %d times, Error %v %q; want once, 1006 \"Too many pending connections.\"",
					srvErrs.Count(), srv.Error(), srv.ErrorString())
			}

			// The queue has room again.
			p := dialRawClient(t, serverAddr(srv), "/again")
			ws := nextConn(t, srv)
			if ws.PeerPort() != localPort(p.conn) {
				t.Errorf("the next socket is not the new client's")
			}
		})
	}
}

// TestRobustServerCloseMany: Close with 1,000 live connections, half of
// them handed out (and echoing), half still queued (ws §1.10). Every
// queued socket's client receives 1001 "Server closed." and, once it
// answers, the end of the connection; the handed-out sockets are not
// touched and keep echoing, as in Qt; Closed is emitted once. When the
// program then deletes the sockets it took, each client receives 1001
// "Connection closed" (~QWebSocket). After deleting the server, no
// goroutine is left.
func TestRobustServerCloseMany(t *testing.T) {
	const n = 1000
	needFDs(t, 2*n+200)
	noLeaks(t)
	srv := newServer(t)
	srv.SetMaxPendingConnections(n)
	closed := signaltest.NewSpy0(&srv.Closed)
	newConn := signaltest.NewSpy0(&srv.NewConnection)
	peers := dialMany(t, serverAddr(srv), n)
	if !signaltest.WaitFor(func() bool { return newConn.Count() == n }, 20*time.Second) {
		t.Fatalf("NewConnection emitted %d times; want %d", newConn.Count(), n)
	}
	byPort := map[uint16]*rawPeer{}
	for _, p := range peers {
		byPort[localPort(p.conn)] = p
	}
	var taken []*wsserver.WebSocket
	takenPeers := map[*rawPeer]bool{}
	for range n / 2 {
		ws := srv.NextPendingConnection()
		t.Cleanup(ws.Delete)
		ws.TextMessageReceived.Connect(ws, func(m string) { ws.SendTextMessage(m) })
		taken = append(taken, ws)
		takenPeers[byPort[ws.PeerPort()]] = true
	}
	if len(takenPeers) != n/2 {
		t.Fatalf("%d distinct clients for %d taken sockets", len(takenPeers), n/2)
	}

	srv.Close()
	if srv.IsListening() || srv.HasPendingConnections() {
		t.Errorf("listening %v, pending %v after Close", srv.IsListening(), srv.HasPendingConnections())
	}
	for _, p := range peers {
		if !takenPeers[p] {
			p.expectClose(1001, "Server closed.", true, true)
		}
	}
	for _, p := range peers {
		if !takenPeers[p] {
			if rest := p.waitEOF(); len(rest) != 0 {
				t.Fatalf("frames after the close frame: %v", rest)
			}
		}
	}
	if !signaltest.WaitFor(func() bool { return closed.Count() == 1 }, rawWait) {
		t.Errorf("Closed emitted %d times; want once", closed.Count())
	}

	// The sockets the program took are untouched and still echo.
	for p := range takenPeers {
		p.sendText("still here")
	}
	for p := range takenPeers {
		if f := p.mustFrame(); f.Opcode != opText || string(f.Payload) != "still here" {
			t.Fatalf("handed-out socket answered %v; want the echo", f)
		}
	}
	// The program deletes them: ~QWebSocket's close frame reaches each.
	for _, ws := range taken {
		ws.Delete()
	}
	for p := range takenPeers {
		p.expectClose(1001, "Connection closed", true, true)
	}
	for p := range takenPeers {
		p.waitEOF()
	}
	srv.Delete()
	signaltest.Wait(0)
	if n := closed.Count(); n != 1 {
		t.Errorf("Closed emitted %d times in all; want once", n)
	}
}

// TestRobustApplicationQuitMany: a program in Qt's shape (a
// CoreApplication, a server that is its child, each socket it takes made
// a child of the server, the server DeleteLater'd on AboutToQuit) quits
// with 1,000 coder/websocket clients connected, after each has had an
// echo. Exec's final pass of deferred deletes (ws §1.10, QCoreApplication::
// exec) deletes the server and its sockets, so every client receives
// 1001 "Connection closed" before Exec returns 0, and once the clients
// have answered, no goroutine is left.
func TestRobustApplicationQuitMany(t *testing.T) {
	const n = 1000
	needFDs(t, 2*n+200)
	noLeaks(t)
	app := signals.NewCoreApplication([]string{"quit-test"})
	t.Cleanup(app.Delete)
	srv := wsserver.NewWebSocketServer("Quit", wsserver.NonSecureMode, app)
	if !srv.Listen(wsserver.LocalHost, 0) {
		t.Fatal(srv.ErrorString())
	}
	srv.SetMaxPendingConnections(n)
	var sockets []*wsserver.WebSocket
	srv.NewConnection.Connect(srv, func() {
		for srv.HasPendingConnections() {
			ws := srv.NextPendingConnection()
			ws.SetParent(srv)
			ws.TextMessageReceived.Connect(ws, func(m string) { ws.SendTextMessage(m) })
			sockets = append(sockets, ws)
		}
	})
	aboutToQuit := signaltest.NewSpy0(&app.AboutToQuit)
	app.AboutToQuit.Connect(app, srv.DeleteLater)
	srvDestroyed, _ := spyDestroyed(srv)

	type result struct {
		echoed bool
		err    error // how the connection ended
	}
	results := make([]result, n)
	var ready atomic.Int64 // clients that have had their echo, or failed
	var wg sync.WaitGroup
	url := srv.ServerUrl().String()
	for i := range n {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c, _, err := websocket.Dial(ctx, url, nil)
			if err != nil {
				results[i].err = err
				ready.Add(1)
				return
			}
			defer c.CloseNow()
			msg := "client " + strconv.Itoa(i)
			if err := c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
				results[i].err = err
				ready.Add(1)
				return
			}
			_, got, err := c.Read(ctx)
			results[i].echoed = err == nil && string(got) == msg
			ready.Add(1)
			if err != nil {
				results[i].err = err
				return
			}
			_, _, results[i].err = c.Read(ctx) // until the close frame
		})
	}
	allReady := make(chan struct{})
	go func() { // the program's quit: from another goroutine, as a signal handler's
		for ready.Load() < n {
			time.Sleep(5 * time.Millisecond)
		}
		close(allReady)
		app.Quit()
	}()
	signals.SingleShot(30*time.Second, app, app.Quit) // a bound, should the clients hang
	code := app.Exec()

	select {
	case <-allReady:
	default:
		t.Fatalf("Exec returned before every client was ready (%d of %d)", ready.Load(), n)
	}
	if code != 0 || aboutToQuit.Count() != 1 {
		t.Errorf("Exec = %d, AboutToQuit emitted %d times; want 0, once", code, aboutToQuit.Count())
	}
	if !srv.IsDeleted() || srvDestroyed() != 1 {
		t.Errorf("server deleted %v, Destroyed %d times; want deleted by Exec's last pass, once", srv.IsDeleted(), srvDestroyed())
	}
	if len(sockets) != n {
		t.Errorf("%d sockets taken; want %d", len(sockets), n)
	}
	for i, ws := range sockets {
		if !ws.IsDeleted() {
			t.Fatalf("socket %d not deleted with the server", i)
		}
	}
	clientsDone := make(chan struct{})
	go func() { wg.Wait(); close(clientsDone) }()
	select {
	case <-clientsDone:
	case <-time.After(20 * time.Second):
		t.Fatal("the clients did not see their connections end")
	}
	bad := 0
	for i, r := range results {
		var ce websocket.CloseError
		if !r.echoed || !errors.As(r.err, &ce) || ce.Code != websocket.StatusGoingAway || ce.Reason != "Connection closed" {
			if bad++; bad <= 5 {
				t.Errorf("client %d: echoed %v, ended with %v; want its echo, then 1001 \"Connection closed\"", i, r.echoed, r.err)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d clients did not get the close frame", bad, n)
	}
}

// spyDestroyed counts the emissions of o's Destroyed and those that came
// off o's loop.
func spyDestroyed(o signals.AnyObject) (count func() int, offLoop func() int) {
	var n, off atomic.Int64
	obj := o.AsObject()
	loop := obj.Loop()
	obj.Destroyed.Connect(nil, func(signals.AnyObject) {
		n.Add(1)
		if !loop.IsCurrent() {
			off.Add(1)
		}
	}, signals.DirectConnection)
	return func() int { return int(n.Load()) }, func() int { return int(off.Load()) }
}

// TestRobustDeleteSocket: Delete and DeleteLater of a connected
// server-side socket from a slot, from another goroutine, and twice or
// more. Each time Destroyed is emitted once, on the socket's loop, no
// signal follows the destruction (no Disconnected: ~QWebSocket closes
// silently, ws §2.6), the peer receives 1001 "Connection closed" and then
// the TCP close, and no goroutine is left. Deleting a socket in the slot
// of its own Disconnected or ErrorOccurred is safe, and the signals that
// would follow are not emitted.
func TestRobustDeleteSocket(t *testing.T) {
	// setup returns a server-side socket, its log and Destroyed counters,
	// and its raw peer.
	setup := func(t *testing.T) (*wsserver.WebSocket, *sigLog, func() int, func() int, *rawPeer) {
		noLeaks(t)
		srv := newServer(t)
		peer := dialRawClient(t, serverAddr(srv), "/")
		if !signaltest.WaitFor(srv.HasPendingConnections, rawWait) {
			t.Fatal("no connection")
		}
		ws := srv.NextPendingConnection()
		t.Cleanup(ws.Delete) // after the test's own deletes: must do nothing
		log := recordSignals(t, ws)
		destroyed, offLoop := spyDestroyed(ws)
		return ws, log, destroyed, offLoop, peer
	}
	// deleted checks the outcome of a deletion while connected.
	deleted := func(t *testing.T, ws *wsserver.WebSocket, log *sigLog, destroyed, offLoop func() int, peer *rawPeer, before []string) {
		t.Helper()
		if !signaltest.WaitFor(ws.IsDeleted, rawWait) {
			t.Fatal("the socket was not deleted")
		}
		peer.expectClose(1001, "Connection closed", true, true)
		if rest := peer.waitEOF(); len(rest) != 0 {
			t.Errorf("frames after the close frame: %v", rest)
		}
		signaltest.Wait(20 * time.Millisecond)
		if destroyed() != 1 || offLoop() != 0 {
			t.Errorf("Destroyed emitted %d times (%d off the loop); want once, on the loop", destroyed(), offLoop())
		}
		// ~QWebSocket closes a connected socket, emitting its close
		// sequence to the slots still connected.
		log.expect("around the deletion", append(slices.Clone(before), closeSeq...)...)
		if n := ws.SendTextMessage("after"); n != 0 {
			t.Errorf("SendTextMessage after the deletion = %d", n)
		}
	}
	msg := []string{`TextFrameReceived("go",true)`, `TextMessageReceived("go")`}

	t.Run("Delete from its own slot", func(t *testing.T) {
		ws, log, destroyed, offLoop, peer := setup(t)
		ws.TextMessageReceived.Connect(ws, func(string) {
			ws.Delete()
			if !ws.IsDeleted() {
				t.Error("not deleted inside Delete")
			}
		})
		peer.sendText("go")
		peer.sendText("never delivered")
		deleted(t, ws, log, destroyed, offLoop, peer, msg)
	})
	t.Run("DeleteLater from its own slot", func(t *testing.T) {
		ws, log, destroyed, offLoop, peer := setup(t)
		ws.TextMessageReceived.Connect(ws, func(string) {
			ws.DeleteLater()
			ws.DeleteLater()
			if ws.IsDeleted() {
				t.Error("deleted inside the slot; DeleteLater waits for the loop")
			}
		})
		peer.sendText("go")
		deleted(t, ws, log, destroyed, offLoop, peer, msg)
	})
	for _, later := range []bool{false, true} {
		name := "Delete from another goroutine"
		if later {
			name = "DeleteLater from another goroutine"
		}
		t.Run(name, func(t *testing.T) {
			ws, log, destroyed, offLoop, peer := setup(t)
			done := make(chan struct{})
			go func() {
				defer close(done)
				if later {
					ws.DeleteLater()
				} else {
					ws.Delete() // off the loop: a DeleteLater
				}
			}()
			<-done
			deleted(t, ws, log, destroyed, offLoop, peer, nil)
		})
	}
	t.Run("many times from many goroutines", func(t *testing.T) {
		ws, log, destroyed, offLoop, peer := setup(t)
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				if i%2 == 0 {
					ws.Delete()
				} else {
					ws.DeleteLater()
				}
			})
		}
		ws.DeleteLater()
		ws.Delete()
		ws.Delete()
		ws.DeleteLater()
		wg.Wait()
		signaltest.Wait(0)
		ws.Delete()
		deleted(t, ws, log, destroyed, offLoop, peer, nil)
	})
	t.Run("Delete after Close", func(t *testing.T) {
		// The close frame Close wrote is the only one: ~QWebSocket adds none.
		ws, log, destroyed, _, peer := setup(t)
		ws.Close(wsserver.CloseCode(4000), "closing")
		ws.Delete()
		ws.Delete()
		peer.expectClose(4000, "closing", true, true)
		peer.waitEOF()
		signaltest.Wait(20 * time.Millisecond)
		log.expect("delete after close", closeSeq...) // Close completed inside the call
		if destroyed() != 1 {
			t.Errorf("Destroyed emitted %d times", destroyed())
		}
	})
	for _, later := range []bool{false, true} {
		name := "Delete in its Disconnected slot"
		if later {
			name = "DeleteLater in its Disconnected slot"
		}
		t.Run(name, func(t *testing.T) {
			ws, log, destroyed, _, peer := setup(t)
			ws.Disconnected.Connect(ws, func() {
				if later {
					ws.DeleteLater()
				} else {
					ws.Delete()
				}
			})
			peer.sendClose(1000, "")
			if !signaltest.WaitFor(ws.IsDeleted, rawWait) {
				t.Fatal("not deleted")
			}
			peer.expectClose(1000, "", false, false)
			peer.waitEOF()
			signaltest.Wait(20 * time.Millisecond)
			want := []string{evAboutToClose, evAboutToClose, evClosing, evUnconnected, evDisconnected}
			if later { // the loop deletes it after the whole sequence
				want = append(want, evReadFinished)
			}
			log.expect("deleted on Disconnected", want...)
			if destroyed() != 1 {
				t.Errorf("Destroyed emitted %d times", destroyed())
			}
		})
	}
	t.Run("Delete in its ErrorOccurred slot", func(t *testing.T) {
		ws, log, destroyed, _, peer := setup(t)
		ws.ErrorOccurred.Connect(ws, func(wsserver.SocketError) { ws.Delete() })
		peer.reset()
		if !signaltest.WaitFor(ws.IsDeleted, rawWait) {
			t.Fatal("not deleted")
		}
		signaltest.Wait(20 * time.Millisecond)
		log.expect("deleted on ErrorOccurred", errEv(wsserver.RemoteHostClosedError))
		if destroyed() != 1 {
			t.Errorf("Destroyed emitted %d times", destroyed())
		}
	})
	t.Run("Delete after the peer has gone", func(t *testing.T) {
		// The reset is still on its way to the loop when the socket is
		// deleted: the socket is still connected, so ~QWebSocket closes
		// it (its close sequence), and nothing of the reset reaches the
		// program.
		ws, log, destroyed, _, peer := setup(t)
		peer.reset()
		ws.Delete()
		signaltest.Wait(50 * time.Millisecond)
		log.expect("deleted after the reset", closeSeq...)
		if destroyed() != 1 {
			t.Errorf("Destroyed emitted %d times", destroyed())
		}
	})
}

// TestRobustDeleteServer: Delete and DeleteLater of a listening server
// from a slot (its own NewConnection's, or that of a socket that is its
// child), from another goroutine, and twice or more. Each time Destroyed
// is emitted once and Closed never (~QWebSocketServer); the port stops
// listening; a queued socket's client receives 1001 "Server closed.", a
// child socket's client 1001 "Connection closed" (ws §1.10, §2.6); no
// goroutine is left.
func TestRobustDeleteServer(t *testing.T) {
	type fixture struct {
		srv       *wsserver.WebSocketServer
		addr      string
		closed    *signaltest.Spy0
		destroyed func() int
		offLoop   func() int
	}
	setup := func(t *testing.T) fixture {
		noLeaks(t)
		srv := newServer(t)
		destroyed, offLoop := spyDestroyed(srv)
		return fixture{srv, serverAddr(srv), signaltest.NewSpy0(&srv.Closed), destroyed, offLoop}
	}
	check := func(t *testing.T, f fixture) {
		t.Helper()
		if !signaltest.WaitFor(f.srv.IsDeleted, rawWait) {
			t.Fatal("the server was not deleted")
		}
		signaltest.Wait(20 * time.Millisecond)
		if f.destroyed() != 1 || f.offLoop() != 0 || f.closed.Count() != 0 {
			t.Errorf("Destroyed emitted %d times (%d off the loop), Closed %d; want once on the loop, never",
				f.destroyed(), f.offLoop(), f.closed.Count())
		}
		if f.srv.IsListening() {
			t.Error("still listening")
		}
		if c, err := net.DialTimeout("tcp", f.addr, time.Second); err == nil {
			_ = c.Close()
			t.Error("the port still accepts connections")
		}
	}
	for _, later := range []bool{false, true} {
		name := "Delete from its NewConnection slot"
		if later {
			name = "DeleteLater from its NewConnection slot"
		}
		t.Run(name, func(t *testing.T) {
			f := setup(t)
			f.srv.NewConnection.Connect(f.srv, func() {
				if later {
					f.srv.DeleteLater()
				} else {
					f.srv.Delete()
				}
			})
			peer := dialRawClient(t, f.addr, "/") // queued, never taken
			peer.expectClose(1001, "Server closed.", true, true)
			peer.waitEOF()
			check(t, f)
		})
	}
	t.Run("Delete from a slot of its child socket", func(t *testing.T) {
		f := setup(t)
		peer := dialRawClient(t, f.addr, "/")
		ws := nextConn(t, f.srv)
		ws.SetParent(f.srv)
		wsDestroyed, _ := spyDestroyed(ws)
		log := recordSignals(t, ws)
		ws.TextMessageReceived.Connect(ws, func(string) { f.srv.Delete() })
		peer.sendText("go")
		peer.sendText("never delivered")
		peer.expectClose(1001, "Connection closed", true, true)
		peer.waitEOF()
		check(t, f)
		if !ws.IsDeleted() || wsDestroyed() != 1 {
			t.Errorf("child socket deleted %v, Destroyed %d times; want deleted with its parent, once", ws.IsDeleted(), wsDestroyed())
		}
		log.expect("child of the deleted server", append([]string{`TextFrameReceived("go",true)`, `TextMessageReceived("go")`}, closeSeq...)...)
	})
	for _, later := range []bool{false, true} {
		name := "Delete from another goroutine"
		if later {
			name = "DeleteLater from another goroutine"
		}
		t.Run(name, func(t *testing.T) {
			f := setup(t)
			peer := dialRawClient(t, f.addr, "/")
			if !signaltest.WaitFor(f.srv.HasPendingConnections, rawWait) {
				t.Fatal("no connection")
			}
			done := make(chan struct{})
			go func() {
				defer close(done)
				if later {
					f.srv.DeleteLater()
				} else {
					f.srv.Delete()
				}
			}()
			<-done
			peer.expectClose(1001, "Server closed.", true, true)
			peer.waitEOF()
			check(t, f)
		})
	}
	t.Run("many times from many goroutines", func(t *testing.T) {
		f := setup(t)
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				if i%2 == 0 {
					f.srv.Delete()
				} else {
					f.srv.DeleteLater()
				}
			})
		}
		f.srv.Delete()
		f.srv.DeleteLater()
		f.srv.Delete()
		wg.Wait()
		check(t, f)
	})
	t.Run("Close then Delete", func(t *testing.T) {
		// Closed is queued by Close; the deletion drops it with the
		// object's other queued calls, as ~QObject does.
		f := setup(t)
		f.srv.Close()
		f.srv.Delete()
		check(t, f)
	})
}
