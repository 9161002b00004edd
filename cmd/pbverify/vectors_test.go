package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSpecVectors runs "pbverify record -json" on every spec vector of
// docs/record.md §13 (tally/ledger/testdata/vectors, written by ledger's
// TestSpecVectors): the verdict, the first failing check and every
// check's status must be the vector's.
func TestSpecVectors(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "..", "tally", "ledger", "testdata", "vectors", "*"))
	if err != nil || len(dirs) < 10 {
		t.Fatalf("spec vectors: %d cases, %v", len(dirs), err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join(dir, "want.txt"))
			if err != nil {
				t.Fatal(err)
			}
			report, err := os.ReadFile(filepath.Join(dir, "report.txt"))
			if err != nil {
				t.Fatal(err)
			}
			code, out, stderr := pbverify(t, "record", dir, "-anchors", filepath.Join(dir, "anchors.txt"), "-json")
			var rep struct {
				OK           bool   `json:"ok"`
				FirstFailure string `json:"first_failure"`
				Checks       []struct{ Name, Status string }
			}
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("exit %d: %v\n%s%s", code, err, out, stderr)
			}
			w := strings.TrimSpace(string(want))
			switch {
			case w == "VERIFIED" && (code != exitOK || !rep.OK):
				t.Errorf("exit %d, ok %v, want verified", code, rep.OK)
			case w != "VERIFIED" && (code != exitFailed || rep.FirstFailure != w):
				t.Errorf("exit %d, first failure %q, want %q", code, rep.FirstFailure, w)
			}
			var got strings.Builder
			for _, c := range rep.Checks {
				fmt.Fprintf(&got, "%s %s\n", c.Name, c.Status)
			}
			if got.String() != string(report) {
				t.Errorf("checks\n%s\nwant\n%s", got.String(), report)
			}
		})
	}
}
