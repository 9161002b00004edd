package main

import (
	"strings"
	"testing"
	"time"

	"github.com/hedensted-pb/pb/ui"
)

// TestLogSink: access lines wait (and come out on Flush, on the timer, or
// when 32 KiB are held); any other record is written at once, after the
// access lines before it, so the order is kept.
func TestLogSink(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			var out syncBuffer
			log, sink := newLogger(format, &out)
			log.Info(ui.AccessLogMessage, "path", "/b/1")
			if got := out.String(); got != "" {
				t.Fatalf("an access line was written at once: %q", got)
			}
			log.Info("serving", "addr", "x")
			got := out.String()
			first, second := strings.Index(got, "/b/1"), strings.Index(got, "serving")
			if first < 0 || second < first {
				t.Fatalf("after a non-access record: %q, want the access line, then the record", got)
			}
			log.With("k", "v").Info(ui.AccessLogMessage, "path", "/b/2")
			log.Warn(ui.AccessLogMessage, "path", "/b/3") // not Info: at once
			if got := out.String(); !strings.Contains(got, "/b/2") || !strings.Contains(got, "/b/3") {
				t.Fatalf("a Warn record did not flush: %q", got)
			}
			log.Info(ui.AccessLogMessage, "path", "/b/4")
			if err := sink.Flush(); err != nil {
				t.Fatal(err)
			}
			if got := out.String(); !strings.Contains(got, "/b/4") {
				t.Fatalf("Flush did not write the held line: %q", got)
			}
			// Held lines come out by themselves within accessDelay; wait
			// for them (no bound on how fast: only that they come).
			log.Info(ui.AccessLogMessage, "path", "/b/5")
			deadline := time.Now().Add(30 * time.Second)
			for !strings.Contains(out.String(), "/b/5") {
				if time.Now().After(deadline) {
					t.Fatal("a held access line was never written")
				}
				time.Sleep(accessDelay / 5)
			}
			// 32 KiB of held lines are written without waiting.
			before := len(out.String())
			for range 400 {
				log.Info(ui.AccessLogMessage, "path", strings.Repeat("x", 100))
			}
			if len(out.String()) == before {
				t.Fatal("40 KB of access lines were all held")
			}
		})
	}
}
