package service

import (
	"testing"
	"time"
)

// TestLogGate: one line per kind per LogEvery, with the count held back.
func TestLogGate(t *testing.T) {
	var g LogGate
	t0 := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	for i, tc := range []struct {
		key  string
		at   time.Duration
		ok   bool
		held int
	}{
		{"disk_full", 0, true, 0},
		{"disk_full", time.Second, false, 0},
		{"disk_full", 9 * time.Second, false, 0},
		{"shutting_down", 9 * time.Second, true, 0}, // another kind has its own period
		{"disk_full", LogEvery, true, 2},
		{"disk_full", LogEvery + time.Second, false, 0},
		{"disk_full", 3 * LogEvery, true, 1},
	} {
		ok, held := g.Allow(tc.key, t0.Add(tc.at))
		if ok != tc.ok || held != tc.held {
			t.Errorf("%d: Allow(%s, +%s) = %v, %d; want %v, %d", i, tc.key, tc.at, ok, held, tc.ok, tc.held)
		}
	}
}
