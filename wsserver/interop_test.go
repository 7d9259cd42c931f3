package wsserver_test

// Interoperability with a WebSocket implementation that is not Go's:
// Debian's python3-websockets, run by /usr/bin/python3, on 127.0.0.1.

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qtgo/qtgo/signals/signaltest"
	"github.com/qtgo/qtgo/wsserver"
)

const python = "/usr/bin/python3"

// requirePythonWebsockets skips the test when python3-websockets is
// missing, except on CI (CI=true), where it fails.
func requirePythonWebsockets(t *testing.T) {
	t.Helper()
	out, err := exec.Command(python, "-c", "import websockets; print(websockets.__version__)").CombinedOutput()
	if err != nil {
		msg := fmt.Sprintf("interop tests need %s with the websockets module "+
			"(apt-get install python3-websockets): %v: %s", python, err, strings.TrimSpace(string(out)))
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}

// writeScript writes a Python script to the test's temporary directory.
func writeScript(t *testing.T, name, src string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const pyClient = `
import asyncio, sys, websockets

async def main(uri):
    async with websockets.connect(uri, subprotocols=["superchat", "chat"],
                                  origin="http://python.example") as ws:
        print("subprotocol", ws.subprotocol)
        print("server", ws.response_headers.get("Server"))
        await ws.send("h\u00e9llo w\u00f6rld")
        print("text", (await ws.recv()).encode("utf-8").hex())
        await ws.send(bytes([0, 1, 2, 255]))
        m = await ws.recv()
        print("binary", type(m).__name__, m.hex())
        await ws.close(code=4001, reason="python says bye")
        print("close", ws.close_code, ws.close_reason)

asyncio.run(asyncio.wait_for(main(sys.argv[1]), 10))
`

// A Python client against our echo server: text, binary, and its close
// code, which the server adopts and echoes (Qt's closeReceived).
func TestInteropPythonClient(t *testing.T) {
	t.Parallel()
	requirePythonWebsockets(t)
	script := writeScript(t, "client.py", pyClient)

	srv := srvNew(t, "QtGo Interop", wsserver.NonSecureMode)
	srv.SetSupportedSubprotocols([]string{"chat", "superchat"})
	srvListen(t, srv)
	var got []string
	var closeCode wsserver.CloseCode
	var closeReason, origin string
	disconnected := 0
	srv.NewConnection.Connect(srv, func() {
		ws := srv.NextPendingConnection()
		t.Cleanup(ws.Delete)
		origin = ws.Origin()
		ws.TextMessageReceived.Connect(ws, func(m string) { got = append(got, m); ws.SendTextMessage(m) })
		ws.BinaryMessageReceived.Connect(ws, func(b []byte) { got = append(got, fmt.Sprint(b)); ws.SendBinaryMessage(b) })
		ws.Disconnected.Connect(ws, func() {
			disconnected++
			closeCode, closeReason = ws.CloseCode(), ws.CloseReason()
		})
	})

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	type result struct {
		out []byte
		err error
	}
	cmd := exec.CommandContext(ctx, python, script, srv.ServerUrl().String()+"/interop")
	done := srvGo(func() result { out, err := cmd.CombinedOutput(); return result{out, err} })
	res := srvAwait(t, done, 15*time.Second, "the Python client")
	if res.err != nil {
		t.Fatalf("python client: %v\n%s", res.err, res.out)
	}
	lines := strings.Split(strings.TrimSpace(string(res.out)), "\n")
	want := []string{
		"subprotocol superchat",
		"server QtGo Interop",
		"text " + fmt.Sprintf("%x", "héllo wörld"),
		"binary bytes 000102ff",
		"close 4001 python says bye",
	}
	if !slices.Equal(lines, want) {
		t.Errorf("python client printed\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if !signaltest.WaitFor(func() bool { return disconnected > 0 }, srvWait) {
		t.Fatal("the server-side socket did not disconnect")
	}
	if !slices.Equal(got, []string{"héllo wörld", "[0 1 2 255]"}) {
		t.Errorf("server received %q", got)
	}
	if closeCode != 4001 || closeReason != "python says bye" {
		t.Errorf("server-side CloseCode %v, CloseReason %q; want 4001, \"python says bye\"", closeCode, closeReason)
	}
	if origin != "http://python.example" {
		t.Errorf("server-side Origin() = %q", origin)
	}
}

const pyServer = `
import asyncio, sys, websockets

async def echo(ws, path=None):
    async for m in ws:
        await ws.send(m)
    print("closed", ws.close_code, ws.close_reason, flush=True)

async def main():
    async with websockets.serve(echo, "127.0.0.1", 0) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)

asyncio.run(main())
`

// Our client against a Python echo server.
func TestInteropPythonServer(t *testing.T) {
	t.Parallel()
	requirePythonWebsockets(t)
	script := writeScript(t, "server.py", pyServer)

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, script)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	lines := make(chan string, 8)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() { // whatever happened, end the interpreter and its reader
		stdin.Close()
		select {
		case <-exited:
		case <-time.After(srvWait):
			cancel()
			<-exited
		}
	})

	port := srvAwait(t, lines, srvWait, "the Python server's port")
	if port == "" {
		t.Fatalf("the Python server did not start: %s", stderr.String())
	}
	c := srvClient(t, "ws://127.0.0.1:"+port+"/")
	srvRoundTrip(t, c, "héllo from Go")
	bin := signaltest.NewSpy(&c.BinaryMessageReceived)
	c.SendBinaryMessage([]byte{0, 255, 7})
	if !bin.Wait(srvWait) || !slices.Equal(bin.At(0), []byte{0, 255, 7}) {
		t.Fatal("no binary echo from the Python server")
	}
	disc := signaltest.NewSpy0(&c.Disconnected)
	c.Close(wsserver.CloseCodeNormal, "Go says bye")
	if disc.Count() == 0 && !disc.Wait(srvWait) {
		t.Fatal("no Disconnected after Close")
	}
	if code, reason := c.CloseCode(), c.CloseReason(); code != wsserver.CloseCodeNormal || reason != "Go says bye" {
		t.Errorf("CloseCode %v, CloseReason %q", code, reason)
	}
	if l := srvAwait(t, lines, srvWait, "the Python server's report"); l != "closed 1000 Go says bye" {
		t.Errorf("the Python server saw %q; want \"closed 1000 Go says bye\"", l)
	}
}
