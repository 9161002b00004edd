package service

import (
	"sync"
	"time"
)

// LogGate rate-limits repeated log lines, so that a condition that fails
// every request (a full disk) leaves one line per period rather than
// thousands. The zero value is ready to use.
type LogGate struct {
	mu      sync.Mutex
	last    map[string]time.Time
	dropped map[string]int
}

// LogEvery is the period of [LogGate]: one line per kind of failure per
// period.
const LogEvery = 10 * time.Second

// Allow reports whether a line of kind key may be logged at now, and how
// many lines of that kind were held back since the last one allowed.
func (g *LogGate) Allow(key string, now time.Time) (bool, int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.last == nil {
		g.last, g.dropped = make(map[string]time.Time), make(map[string]int)
	}
	if t, ok := g.last[key]; ok && now.Sub(t) < LogEvery && now.After(t.Add(-LogEvery)) {
		g.dropped[key]++
		return false, 0
	}
	n := g.dropped[key]
	g.last[key], g.dropped[key] = now, 0
	return true, n
}
