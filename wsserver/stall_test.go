package wsserver_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/qtgo/qtgo/signals/signaltest"
	"github.com/qtgo/qtgo/wsserver"
)

// TestProtocolStalledMessage: Qt closes a socket whose peer stops in the
// middle of a message — inside a frame's payload, or between the fragments
// of a message — with 1001 "Timeout when reading data from socket." once
// no byte has come for its timeout (5 s; shortened here), emitting the
// local close sequence and no error. A message that keeps trickling in is
// not cut, however long it takes in all.
//
// Not parallel: it shortens a package-wide timeout.
func TestProtocolStalledMessage(t *testing.T) {
	const timeout = 300 * time.Millisecond
	defer wsserver.SetPartialMessageTimeout(timeout)()
	const reason = "Timeout when reading data from socket."

	t.Run("inside a frame", func(t *testing.T) {
		server, log, peer := serverWithRawClient(t)
		peer.sendText("before")
		// A masked 10-byte text frame of which 3 payload bytes come.
		f := encodeFrame(wsFrame{Fin: true, Opcode: opText, Masked: true, Key: randomKey(), Payload: []byte("0123456789")})
		start := time.Now()
		if err := peer.writeRaw(f[:len(f)-7]); err != nil {
			t.Fatal(err)
		}
		expectProtocolClose(t, server, log, peer, 2, wsserver.CloseCodeGoingAway, reason, true)
		if d := time.Since(start); d < timeout {
			t.Errorf("closed after %v; want no sooner than the %v timeout", d, timeout)
		}
		log.expect("whole", append([]string{`TextFrameReceived("before",true)`, `TextMessageReceived("before")`}, closeSeq...)...)
	})
	t.Run("between fragments", func(t *testing.T) {
		server, log, peer := serverWithRawClient(t)
		peer.send(wsFrame{Opcode: opBinary, Payload: []byte("first fragment")})
		expectProtocolClose(t, server, log, peer, 1, wsserver.CloseCodeGoingAway, reason, true)
		log.expect("whole", append([]string{binaryFrame("first fragment", false)}, closeSeq...)...)
	})
	t.Run("slow but steady", func(t *testing.T) {
		server, log, peer := serverWithRawClient(t)
		payload := bytes.Repeat([]byte("z"), 40)
		f := encodeFrame(wsFrame{Fin: true, Opcode: opBinary, Masked: true, Key: randomKey(), Payload: payload})
		// 4× the timeout in all, never a full timeout without a byte.
		step := timeout / 4
		for len(f) > 0 {
			n := min(3, len(f))
			if err := peer.writeRaw(f[:n]); err != nil {
				t.Fatal(err)
			}
			f = f[n:]
			signaltest.Wait(step)
		}
		log.waitFor(`BinaryMessageReceived("` + string(payload) + `")`)
		if server.State() != wsserver.ConnectedState || log.count(evDisconnected) != 0 {
			t.Fatalf("state %v, events %q; want the slow message delivered and the socket connected", server.State(), log.events())
		}
	})
}
