package main

import (
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"
)

// progress prints one line on stderr, rewritten in place every second,
// while a record streams in: leaves checked, their rate and, when the size
// of leaves.txt is known, the time left. It prints only when stderr is a
// terminal, so it never mixes into redirected output or --json.
type progress struct {
	w            io.Writer
	total        int64 // bytes of leaves.txt, 0 when unknown
	leaves, read atomic.Int64
	done         chan struct{}
	stopped      chan struct{}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// startProgress starts the progress line when stderr is a terminal; the
// zero-cost progress it returns otherwise only counts.
func startProgress(stderr io.Writer, total int64) *progress {
	return newProgress(stderr, total, isTerminal(stderr), time.Second)
}

// newProgress starts a progress line rewritten every period when show is
// set.
func newProgress(w io.Writer, total int64, show bool, period time.Duration) *progress {
	p := &progress{w: w, total: total}
	if !show {
		return p
	}
	p.done, p.stopped = make(chan struct{}), make(chan struct{})
	go p.loop(period)
	return p
}

// count wraps a leaf source so that progress sees every leaf.
func (p *progress) count(next func() ([]byte, error)) func() ([]byte, error) {
	return func() ([]byte, error) {
		b, err := next()
		if err == nil {
			p.leaves.Add(1)
			p.read.Add(int64(len(b)+2)/3*4 + 1) // its b64 line
		}
		return b, err
	}
}

func (p *progress) loop(period time.Duration) {
	defer close(p.stopped)
	start := time.Now()
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-p.done:
			fmt.Fprint(p.w, "\r\033[K")
			return
		case <-t.C:
			el := time.Since(start).Seconds()
			n := p.leaves.Load()
			line := fmt.Sprintf("pbverify: %d leaves checked, %.0f/s", n, float64(n)/el)
			if r := p.read.Load(); p.total > 0 && r > 0 && r < p.total {
				left := time.Duration(el*float64(p.total-r)/float64(r)) * time.Second
				line += fmt.Sprintf(", about %s left", left.Round(time.Second))
			}
			fmt.Fprintf(p.w, "\r\033[K%s", line)
		}
	}
}

// stop ends the progress line and clears it.
func (p *progress) stop() {
	if p.done != nil {
		close(p.done)
		<-p.stopped
	}
}
