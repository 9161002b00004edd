package ui

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestRequestCtx: a request's context behaves as context.WithTimeout's:
// its values, its deadline, canceled when the request ends (also for
// contexts derived from it, and for Done asked before or after), and
// expired once its deadline has passed.
func TestRequestCtx(t *testing.T) {
	values := context.WithValue(context.Background(), ctxRequestID, "rid")
	deadline := time.Now().Add(time.Hour)
	c := newRequestCtx(values, deadline)
	if c.Value(ctxRequestID) != "rid" {
		t.Errorf("Value = %v", c.Value(ctxRequestID))
	}
	if d, ok := c.Deadline(); !ok || !d.Equal(deadline) {
		t.Errorf("Deadline = %v, %v", d, ok)
	}
	if err := c.Err(); err != nil {
		t.Errorf("Err = %v, want nil", err)
	}
	child, stop := context.WithCancel(c)
	defer stop()
	c.end()
	if err := c.Err(); !errors.Is(err, context.Canceled) {
		t.Errorf("Err after the end = %v, want Canceled", err)
	}
	<-c.Done()
	<-child.Done() // follows c
	if err := child.Err(); !errors.Is(err, context.Canceled) {
		t.Errorf("derived Err = %v, want Canceled", err)
	}

	// Done asked after the end, without a derived context.
	c = newRequestCtx(values, deadline)
	c.end()
	<-c.Done()

	// The deadline passed: expired, with or without Done.
	for _, done := range []bool{false, true} {
		c = newRequestCtx(values, time.Now().Add(-time.Second))
		if done {
			<-c.Done()
		}
		if err := c.Err(); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Err after the deadline (Done asked: %v) = %v, want DeadlineExceeded", done, err)
		}
		c.end()
	}
}
