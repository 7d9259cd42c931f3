package qtdiff

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A program is a Qt program or a Go twin running in a child process, its
// standard output read line by line.
type program struct {
	name   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr bytes.Buffer
	done   chan struct{} // closed when the process has exited
	err    error         // its exit status, once done

	mu     sync.Mutex
	lines  []string
	closed bool // standard output reached its end
}

// startProgram starts path with args.
func startProgram(name, path string, args []string) (*program, error) {
	p := &program{name: name, cmd: exec.Command(path, args...), done: make(chan struct{})}
	p.cmd.Stderr = &p.stderr
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.mu.Unlock()
		}
		p.mu.Lock()
		p.closed = true
		p.mu.Unlock()
	}()
	go func() {
		<-read // Wait closes the pipe: read it to the end first
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// output returns the lines printed so far.
func (p *program) output() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.lines...)
}

// waitPort waits for the "# port=N" line.
func (p *program) waitPort(timeout time.Duration) (int, error) {
	deadline := time.Now().Add(timeout)
	for {
		p.mu.Lock()
		lines, closed := p.lines, p.closed
		for _, l := range lines {
			if v, ok := strings.CutPrefix(l, "# port="); ok {
				p.mu.Unlock()
				return strconv.Atoi(v)
			}
		}
		p.mu.Unlock()
		if closed || time.Now().After(deadline) {
			return 0, fmt.Errorf("%s printed no port (%s): %q", p.name, p.stderrText(), lines)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// closeStdin tells the program's script that the peer is done (wait eof).
func (p *program) closeStdin() { _ = p.stdin.Close() }

// wait waits for the program to exit, killing it after timeout; it
// reports whether the program exited by itself.
func (p *program) wait(timeout time.Duration) bool {
	select {
	case <-p.done:
		return true
	case <-time.After(timeout):
		_ = p.cmd.Process.Kill()
		<-p.done
		return false
	}
}

func (p *program) stderrText() string {
	select {
	case <-p.done:
		return strings.TrimSpace(p.stderr.String())
	default:
		return "(running)"
	}
}
