package main

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/hedensted-pb/pb/ui"
)

// accessDelay is how long an access line may wait in a logSink before it is
// written.
const accessDelay = 50 * time.Millisecond

// A logSink writes the server's log to w, holding access lines back for at
// most accessDelay (or until 32 KiB are waiting) so that a burst of
// requests costs one write, not one per request: at thousands of ballots a
// second a write per line was a tenth of a ballot's server CPU. Every other
// record is written at once, after the lines held before it, so the order
// is kept. Flush writes what is held; the server calls it when it stops. A
// kill -9 can lose the last accessDelay of access lines, never a ballot (a
// ballot is acknowledged only after its commit) and never another record.
type logSink struct {
	mu    sync.Mutex
	w     io.Writer
	buf   []byte
	timer *time.Timer
}

func newLogSink(w io.Writer) *logSink { return &logSink{w: w} }

// Write holds p (one formatted record) until the next flush.
func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf = append(s.buf, p...)
	if len(s.buf) >= 32<<10 {
		return len(p), s.flushLocked()
	}
	if s.timer == nil {
		s.timer = time.AfterFunc(accessDelay, func() { _ = s.Flush() })
	}
	return len(p), nil
}

// Flush writes every held line.
func (s *logSink) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.flushLocked()
}

func (s *logSink) flushLocked() error {
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	if len(s.buf) == 0 {
		return nil
	}
	_, err := s.w.Write(s.buf)
	s.buf = s.buf[:0]
	return err
}

// sinkHandler is a handler writing to a logSink that flushes it after each
// record other than an access line at level Info.
type sinkHandler struct {
	slog.Handler
	sink *logSink
}

func (h sinkHandler) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Message != ui.AccessLogMessage || r.Level != slog.LevelInfo {
		if ferr := h.sink.Flush(); err == nil {
			err = ferr
		}
	}
	return err
}

func (h sinkHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return sinkHandler{h.Handler.WithAttrs(as), h.sink}
}

func (h sinkHandler) WithGroup(name string) slog.Handler {
	return sinkHandler{h.Handler.WithGroup(name), h.sink}
}
