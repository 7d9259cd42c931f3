// Package cmdtest holds what the example programs' tests share: a buffer
// the program writes its output to on its own goroutine while the test
// reads it.
package cmdtest

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// Buffer is an io.Writer safe for one writer goroutine and readers on
// others: the program's output stream (qDebug, QTextStream(stdout)) in a
// test. Its zero value is ready to use.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// WaitFor waits up to 5 s until the output contains want, and fails the
// test if it does not.
func (s *Buffer) WaitFor(t testing.TB, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(s.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("output has no %q; got:\n%s", want, s.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
