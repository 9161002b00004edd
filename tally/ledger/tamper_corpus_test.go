package ledger

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The tamper corpus: every case of TestTamper that a command line can
// reproduce (the record, the anchors and any outside checkpoints; no
// receipts or custom counting) is kept in testdata/tamper/CASE/ with the
// name of the check that must fail first in want.txt. cmd/pbverify runs
// "pbverify record" on each, and an independent verifier can use them as
// test vectors. TestTamper checks the directory is up to date (rewritten
// under -update).

// tamperCorpus collects the cases while TestTamper runs.
type tamperCorpus struct {
	last     *Report // the report of the last verify call
	lastRec  *Record
	lastOpts VerifyOptions
	cases    map[string]map[string][]byte // case → file → bytes
	seen     map[string]int               // base name → cases with it
}

// corpus is non-nil while TestTamper runs (it is not parallel).
var corpus *tamperCorpus

// noteVerified remembers what verify checked, for [collectTamperCase].
func noteVerified(rep *Report, rec *Record, opts VerifyOptions) {
	if corpus != nil {
		corpus.last, corpus.lastRec, corpus.lastOpts = rep, rec, opts
	}
}

var unsafeName = regexp.MustCompile(`[^a-z0-9]+`)

// collectTamperCase adds the record behind rep to the corpus when rep is
// the last report verify made and its options are only what the command
// line can give.
func collectTamperCase(t *testing.T, rep *Report, check string) {
	c := corpus
	if c == nil || rep != c.last {
		return
	}
	o := c.lastOpts
	if o.Anchors == nil || o.AnchorsError != nil || o.Receipts != nil || o.Count != nil || o.Attendance != 0 || o.Unused != nil {
		return
	}
	name := t.Name()
	name = name[strings.Index(name, "/")+1:]
	name = strings.Trim(unsafeName.ReplaceAllString(strings.ToLower(name), "-"), "-")
	c.seen[name]++
	if n := c.seen[name]; n > 1 {
		name = fmt.Sprintf("%s-%d", name, n)
	}
	files := map[string][]byte{"anchors.txt": o.Anchors.Bytes(), "want.txt": []byte(check + "\n")}
	for i, s := range o.Checkpoints {
		files[fmt.Sprintf("seen-%d.note", i+1)] = s.Bytes
	}
	for _, f := range RecordFiles() {
		b, err := c.lastRec.File(f)
		if err != nil {
			return // not writable as files: not a command-line case
		}
		files[f] = b
	}
	c.cases[name] = files
}

// checkTamperCorpus compares the collected cases with testdata/tamper.
func checkTamperCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "tamper")
	if *update {
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		for name, files := range corpus.cases {
			if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
				t.Fatal(err)
			}
			for f, b := range files {
				if err := os.WriteFile(filepath.Join(dir, name, f), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
		return
	}
	entries, _ := os.ReadDir(dir)
	var have []string
	for _, e := range entries {
		have = append(have, e.Name())
	}
	var want []string
	for name := range corpus.cases {
		want = append(want, name)
	}
	slices.Sort(want)
	if !slices.Equal(have, want) {
		t.Fatalf("testdata/tamper has cases %v, TestTamper makes %v (go test -run TestTamper -update)", have, want)
	}
	for name, files := range corpus.cases {
		got, _ := os.ReadDir(filepath.Join(dir, name))
		if len(got) != len(files) {
			t.Errorf("testdata/tamper/%s has %d files, want %d (go test -run TestTamper -update)", name, len(got), len(files))
		}
		for f, b := range files {
			old, err := os.ReadFile(filepath.Join(dir, name, f))
			if err != nil || string(old) != string(b) {
				t.Errorf("testdata/tamper/%s/%s is stale (go test -run TestTamper -update)", name, f)
			}
		}
	}
}
