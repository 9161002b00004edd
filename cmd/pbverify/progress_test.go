package main

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the progress goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestProgress: on a terminal the line shows the leaves checked, the rate
// and the time left, and is cleared at the end; elsewhere nothing is
// written (so redirected output and --json never see it).
func TestProgress(t *testing.T) {
	leaf := make([]byte, 300)
	n := 0
	next := func() ([]byte, error) {
		if n == 1000 {
			return nil, io.EOF
		}
		n++
		return leaf, nil
	}
	var w syncBuffer
	p := newProgress(&w, 1000*401*2, true, 5*time.Millisecond)
	count := p.count(next)
	for range 1000 {
		count()
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(w.String(), "1000 leaves checked") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	p.stop()
	out := w.String()
	if !strings.Contains(out, "pbverify: 1000 leaves checked, ") || !strings.Contains(out, "left") || !strings.HasSuffix(out, "\r\033[K") {
		t.Errorf("progress output %q", out)
	}
	var quiet syncBuffer
	q := newProgress(&quiet, 0, false, time.Millisecond)
	n = 0
	c := q.count(next)
	for range 10 {
		c()
	}
	time.Sleep(10 * time.Millisecond)
	q.stop()
	if quiet.String() != "" || isTerminal(&quiet) {
		t.Errorf("progress without a terminal wrote %q", quiet.String())
	}
}
