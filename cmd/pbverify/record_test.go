package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hedensted-pb/pb/tally/ledger"
)

// pbverify runs the command in-process and returns its exit code and
// output.
func pbverify(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

// demoDir writes a demo record with n ballots into a new temporary
// directory.
func demoDir(t *testing.T, n int, extra ...string) string {
	t.Helper()
	d := t.TempDir()
	args := append([]string{"demo-record", "-out", d, "-ballots", itoa(n)}, extra...)
	if code, _, stderr := pbverify(t, args...); code != 0 {
		t.Fatalf("demo-record exit %d: %s", code, stderr)
	}
	return d
}

func itoa(n int) string { return strconv.Itoa(n) }

// verifiedFiles are the files `pbverify record DIR -anchors DIR/anchors.txt`
// reads.
var verifiedFiles = []string{"anchors.txt", "roll.txt", "leaves.txt", "checkpoints.txt", "results.txt"}

// TestRecordAcceptance is the acceptance test of the record verifier: a
// 1000-ballot demo verifies with exit 0 and reports its counts, and single
// flipped bytes in any file it reads make it exit 1.
func TestRecordAcceptance(t *testing.T) {
	d := demoDir(t, 1000)
	anchors := filepath.Join(d, "anchors.txt")
	code, out, stderr := pbverify(t, "record", d, "--anchors", anchors)
	if code != exitOK {
		t.Fatalf("record exit %d\n%s\n%s", code, out, stderr)
	}
	for _, want := range []string{"leaves 1002", "ballots 1000", "counted 1000", "VERIFIED", "recount              ok"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "not recounted") {
		t.Errorf("the funded projects were not recounted with the manifest's rule:\n%s", out)
	}
	// A spread of flips in the large record: first and last bytes, line
	// boundaries and bytes in between.
	for _, name := range verifiedFiles {
		path := filepath.Join(d, name)
		orig, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		// Every line boundary of a 1000-ballot record would take thousands
		// of runs; TestRecordFlipEveryByte covers those on a small record.
		positions := sample(orig, 5)
		for _, i := range positions {
			flipAndExpectFailure(t, path, orig, i, 0x01, "record", d, "--anchors", anchors)
		}
	}
}

// TestRecordFlipEveryByte flips every byte of every file that `pbverify
// record` reads, in a 4-ballot record; each flip must make it exit 1.
func TestRecordFlipEveryByte(t *testing.T) {
	if testing.Short() {
		t.Skip("flips thousands of bytes")
	}
	d := demoDir(t, 4, "-receipts", "0")
	anchors := filepath.Join(d, "anchors.txt")
	if code, out, stderr := pbverify(t, "record", d, "-anchors", anchors); code != exitOK {
		t.Fatalf("record exit %d\n%s\n%s", code, out, stderr)
	}
	total := 0
	for _, name := range verifiedFiles {
		path := filepath.Join(d, name)
		orig, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		// Every byte, with a mask that alternates between a low bit, the
		// ASCII case bit and the high bit (which makes invalid UTF-8).
		masks := []byte{0x01, 0x20, 0x80}
		for i := range orig {
			flipAndExpectFailure(t, path, orig, i, masks[i%len(masks)], "record", d, "-anchors", anchors)
		}
		total += len(orig)
	}
	t.Logf("%d flips rejected", total)
}

// spread returns at least n positions in b: the first and last bytes,
// every line boundary (each LF and the byte after it), and evenly spaced
// bytes in between.
func spread(b []byte, n int) []int {
	set := map[int]bool{0: true, len(b) - 1: true}
	for i, c := range b {
		if c == '\n' {
			set[i] = true
			if i+1 < len(b) {
				set[i+1] = true
			}
		}
	}
	step := max(1, len(b)/n)
	for i := step / 2; i < len(b); i += step {
		set[i] = true
	}
	var out []int
	for i := range set {
		out = append(out, i)
	}
	slices.Sort(out)
	return out
}

// sample returns about n evenly spaced positions in b, the first and last
// bytes, and the first and last line boundaries.
func sample(b []byte, n int) []int {
	set := map[int]bool{0: true, len(b) - 1: true}
	for _, i := range []int{bytes.IndexByte(b, '\n'), bytes.LastIndexByte(b[:len(b)-1], '\n')} {
		if i >= 0 && i+1 < len(b) {
			set[i], set[i+1] = true, true
		}
	}
	step := max(1, len(b)/n)
	for i := step / 2; i < len(b); i += step {
		set[i] = true
	}
	var out []int
	for i := range set {
		out = append(out, i)
	}
	slices.Sort(out)
	return out
}

func flipAndExpectFailure(t *testing.T, path string, orig []byte, i int, x byte, args ...string) {
	t.Helper()
	mod := bytes.Clone(orig)
	mod[i] ^= x
	if err := os.WriteFile(path, mod, 0o644); err != nil {
		t.Fatal(err)
	}
	defer os.WriteFile(path, orig, 0o644)
	code, out, stderr := pbverify(t, args...)
	if code != exitFailed {
		t.Errorf("%s: flip %#x at byte %d of %d: exit %d, want %d\n%s%s", filepath.Base(path), x, i, len(orig), code, exitFailed, out, stderr)
	}
}

func TestRecordSources(t *testing.T) {
	d := demoDir(t, 20)
	anchors := filepath.Join(d, "anchors.txt")
	archive := filepath.Join(t.TempDir(), "record.tar")
	if code, _, stderr := pbverify(t, "demo-record", "-out", t.TempDir(), "-ballots", "20", "-archive", archive); code != 0 {
		t.Fatal(stderr)
	}
	t.Run("archive", func(t *testing.T) {
		if code, out, _ := pbverify(t, "record", archive, "-anchors", anchors); code != exitOK {
			t.Fatalf("exit %d\n%s", code, out)
		}
		b, _ := os.ReadFile(archive)
		for _, i := range []int{0, 100, 600, len(b) / 2, len(b) - 1100} {
			mod := bytes.Clone(b)
			mod[i] ^= 1
			p := filepath.Join(t.TempDir(), "bad.tar")
			os.WriteFile(p, mod, 0o644)
			if code, _, _ := pbverify(t, "record", p, "-anchors", anchors); code == exitOK {
				t.Errorf("archive flipped at %d verified", i)
			}
		}
	})
	t.Run("url", func(t *testing.T) {
		srv := httptest.NewServer(http.StripPrefix("/r/demo/", http.FileServer(http.Dir(d))))
		defer srv.Close()
		if code, out, stderr := pbverify(t, "record", srv.URL+"/r/demo/", "-anchors", anchors); code != exitOK {
			t.Fatalf("exit %d\n%s%s", code, out, stderr)
		}
		if code, _, _ := pbverify(t, "record", srv.URL+"/nothing", "-anchors", anchors); code != exitUsage {
			t.Errorf("404: exit %d, want %d", code, exitUsage)
		}
	})
	t.Run("key flags", func(t *testing.T) {
		a, err := ledger.ParseAnchors(mustRead(t, anchors))
		if err != nil {
			t.Fatal(err)
		}
		fp := a.Manifest[:4] + "-" + a.Manifest[4:8] + "-" + a.Manifest[8:12] + "-" + a.Manifest[12:]
		code, out, _ := pbverify(t, "record", d, "-log-key", a.LogKey, "-council-key", a.CouncilKey, "-round", a.Round, "-manifest", fp, "-json")
		if code != exitOK {
			t.Fatalf("exit %d\n%s", code, out)
		}
		var j struct {
			OK     bool          `json:"ok"`
			Counts ledger.Counts `json:"counts"`
		}
		if err := json.Unmarshal([]byte(out), &j); err != nil || !j.OK || j.Counts.Counted != 20 {
			t.Fatalf("JSON %v: %s", err, out)
		}
		// Wrong fingerprint, swapped keys, garbage key: a check fails.
		for _, args := range [][]string{
			{"-log-key", a.LogKey, "-council-key", a.CouncilKey, "-manifest", "0000-0000-0000-0000"},
			{"-log-key", a.CouncilKey, "-council-key", a.LogKey},
			{"-log-key", "garbage", "-council-key", a.CouncilKey},
			{"-log-key", a.LogKey, "-council-key", a.CouncilKey, "-manifest", "not a fingerprint"},
			{"-log-key", a.LogKey, "-council-key", a.CouncilKey, "-round", "another-round"},
		} {
			if code, _, _ := pbverify(t, append([]string{"record", d}, args...)...); code != exitFailed {
				t.Errorf("%v: exit %d, want %d", args, code, exitFailed)
			}
		}
	})
	t.Run("invalid anchors file", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "anchors.txt")
		os.WriteFile(p, []byte("pb-anchors/v1\nround x\n"), 0o644)
		code, out, _ := pbverify(t, "record", d, "-anchors", p)
		if code != exitFailed || !strings.Contains(out, "anchors              FAIL") {
			t.Errorf("exit %d, want %d with anchors FAIL\n%s", code, exitFailed, out)
		}
	})
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReceiptCommand(t *testing.T) {
	d := demoDir(t, 30)
	anchors := filepath.Join(d, "anchors.txt")
	receipts, _ := filepath.Glob(filepath.Join(d, "receipts", "*.tlog-proof"))
	if len(receipts) != 3 {
		t.Fatalf("%d receipts written, want 3", len(receipts))
	}
	for _, r := range receipts {
		code, out, stderr := pbverify(t, "receipt", r, "-record", d, "-anchors", anchors)
		if code != exitOK || !strings.Contains(out, "status counted") {
			t.Fatalf("receipt %s: exit %d\n%s%s", r, code, out, stderr)
		}
		tracker := strings.TrimSuffix(filepath.Base(r), ".tlog-proof")
		if !strings.Contains(out, tracker) {
			t.Errorf("output lacks the tracker %s", tracker)
		}
	}
	// A tampered receipt fails: flips in the ballot, the proof, the
	// checkpoint.
	orig := mustRead(t, receipts[0])
	for _, i := range spread(orig, 40) {
		mod := bytes.Clone(orig)
		mod[i] ^= 1
		p := filepath.Join(t.TempDir(), "bad.tlog-proof")
		os.WriteFile(p, mod, 0o644)
		if code, out, _ := pbverify(t, "receipt", p, "-record", d, "-anchors", anchors); code != exitFailed {
			t.Errorf("receipt flipped at %d: exit %d, want %d\n%s", i, code, exitFailed, out)
		}
	}
	// A receipt from another round fails.
	other := demoDir(t, 5)
	or, _ := filepath.Glob(filepath.Join(other, "receipts", "*.tlog-proof"))
	if code, _, _ := pbverify(t, "receipt", or[0], "-record", d, "-anchors", anchors); code != exitFailed {
		t.Errorf("foreign receipt: exit %d, want %d", code, exitFailed)
	}
}

// TestForkAfterReceipt: the log rewrites history after issuing a receipt;
// the receipt check and a projector checkpoint both print a fork proof.
func TestForkAfterReceipt(t *testing.T) {
	demo, err := ledger.BuildDemo(ledger.DemoOptions{Seed: 5, Ballots: 12, Batch: 4})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	l := demo.Record.Leaves
	forked, err := demo.Reseal(slices.Delete(slices.Clone(l[1:len(l)-1]), 0, 1), []int{0, 5})
	if err != nil {
		t.Fatal(err)
	}
	if err := forked.WriteFiles(func(name string, b []byte) error { return os.WriteFile(filepath.Join(dir, name), b, 0o644) }); err != nil {
		t.Fatal(err)
	}
	anchors := filepath.Join(dir, "anchors.txt")
	os.WriteFile(anchors, demo.Anchors.Bytes(), 0o644)
	if code, out, _ := pbverify(t, "record", dir, "-anchors", anchors); code != exitOK {
		t.Fatalf("the forked record on its own verifies, got exit %d\n%s", code, out)
	}
	rcpt := filepath.Join(dir, "voter.tlog-proof")
	os.WriteFile(rcpt, demo.Receipts[0].Bytes(), 0o644)
	code, out, _ := pbverify(t, "receipt", rcpt, "-record", dir, "-anchors", anchors)
	if code != exitFailed || !strings.Contains(out, "FORK PROOF") || !strings.Contains(out, "consistency proof") {
		t.Fatalf("exit %d, want %d with a fork proof\n%s", code, exitFailed, out)
	}
	cp := filepath.Join(dir, "projector.note")
	os.WriteFile(cp, demo.Record.Checkpoints[1], 0o644)
	code, out, _ = pbverify(t, "record", dir, "-anchors", anchors, "-checkpoint", cp)
	if code != exitFailed || !strings.Contains(out, "FORK PROOF (") {
		t.Fatalf("exit %d, want %d with a fork proof\n%s", code, exitFailed, out)
	}
	code, out, _ = pbverify(t, "record", dir, "-anchors", anchors, "-checkpoint", cp, "-json")
	var j struct {
		ForkProofs []ledger.ForkProof `json:"fork_proofs"`
	}
	if code != exitFailed || json.Unmarshal([]byte(out), &j) != nil || len(j.ForkProofs) != 1 || len(j.ForkProofs[0].Proof) == 0 {
		t.Fatalf("JSON fork proof: exit %d\n%s", code, out)
	}
}

// TestRepeatedCheckpoints: several -checkpoint flags are all checked; the
// consistent ones pass together, and one forked among them fails.
func TestRepeatedCheckpoints(t *testing.T) {
	demo, err := ledger.BuildDemo(ledger.DemoOptions{Seed: 6, Ballots: 12, Batch: 4})
	if err != nil {
		t.Fatal(err)
	}
	other, err := ledger.BuildDemo(ledger.DemoOptions{Seed: 6, Ballots: 13, Batch: 4})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := writeDemo(demo, dir, ""); err != nil {
		t.Fatal(err)
	}
	anchors := filepath.Join(dir, "anchors.txt")
	var args []string
	for i, cp := range demo.Record.Checkpoints[1:4] {
		f := filepath.Join(dir, fmt.Sprintf("seen%d.note", i))
		os.WriteFile(f, cp, 0o644)
		args = append(args, "-checkpoint", f)
	}
	if len(args) != 6 {
		t.Fatalf("demo has %d checkpoints", len(demo.Record.Checkpoints))
	}
	code, out, _ := pbverify(t, append([]string{"record", dir, "-anchors", anchors}, args...)...)
	if code != exitOK || !strings.Contains(out, "checkpoints") {
		t.Fatalf("three consistent checkpoints: exit %d\n%s", code, out)
	}
	// The same log key signed another history (same seed, one more voter):
	// its last checkpoint cannot extend this record.
	forked := filepath.Join(dir, "forked.note")
	os.WriteFile(forked, other.Record.Checkpoints[len(other.Record.Checkpoints)-1], 0o644)
	code, out, _ = pbverify(t, append([]string{"record", dir, "-anchors", anchors, "-checkpoint", forked}, args...)...)
	if code != exitFailed || !strings.Contains(out, "first failing check: checkpoints") {
		t.Fatalf("with a forked checkpoint among them: exit %d, want %d\n%s", code, exitFailed, out)
	}
}

func TestRecordUsage(t *testing.T) {
	d := demoDir(t, 3)
	anchors := filepath.Join(d, "anchors.txt")
	for _, args := range [][]string{
		{"record"},
		{"record", d},
		{"record", d, d, "-anchors", anchors},
		{"record", d, "-anchors", anchors, "-bogus"},
		{"record", d, "-anchors", filepath.Join(d, "missing.txt")},
		{"record", d, "-anchors", anchors, "-log-key", "x"},
		{"record", d, "-log-key", "x"},
		{"record", filepath.Join(d, "missing"), "-anchors", anchors},
		{"record", d, "-anchors", anchors, "-checkpoint", filepath.Join(d, "missing")},
		{"record", "http://[::1", "-anchors", anchors},
		{"receipt", "-record", d, "-anchors", anchors},
		{"receipt", filepath.Join(d, "missing"), "-record", d, "-anchors", anchors},
		{"receipt", filepath.Join(d, "anchors.txt"), "-anchors", anchors},
		{"demo-record"},
		{"demo-record", "-out", t.TempDir(), "-ballots", "-1"},
		{"demo-record", "-out", t.TempDir(), "-kind", "ranked"},
		{"demo-record", "-out", t.TempDir(), "extra"},
	} {
		if code, _, stderr := pbverify(t, args...); code != exitUsage || !strings.Contains(stderr, "pbverify") {
			t.Errorf("%v: exit %d, want %d (stderr %q)", args, code, exitUsage, stderr)
		}
	}
	// A record with a missing file is an I/O error.
	os.Remove(filepath.Join(d, "results.txt"))
	if code, _, _ := pbverify(t, "record", d, "-anchors", anchors); code != exitUsage {
		t.Errorf("missing results.txt: exit %d, want %d", code, exitUsage)
	}
	for _, cmd := range []string{"record", "receipt", "demo-record"} {
		if code, _, stderr := pbverify(t, cmd, "-h"); code != exitOK || !strings.Contains(stderr, "usage: pbverify "+cmd) {
			t.Errorf("%s -h: exit %d\n%s", cmd, code, stderr)
		}
	}
}

func TestDemoRecordDeterministic(t *testing.T) {
	a := demoDir(t, 50, "-seed", "77", "-kind", "cumulative")
	b := demoDir(t, 50, "-seed", "77", "-kind", "cumulative")
	for _, name := range append(verifiedFiles, "receipts") {
		if name == "receipts" {
			ea, _ := os.ReadDir(filepath.Join(a, name))
			eb, _ := os.ReadDir(filepath.Join(b, name))
			if len(ea) != len(eb) || len(ea) == 0 {
				t.Errorf("receipts differ")
			}
			continue
		}
		if !bytes.Equal(mustRead(t, filepath.Join(a, name)), mustRead(t, filepath.Join(b, name))) {
			t.Errorf("%s differs between two runs with the same seed", name)
		}
	}
	if code, out, _ := pbverify(t, "record", a, "-anchors", filepath.Join(a, "anchors.txt")); code != exitOK {
		t.Fatalf("cumulative demo: exit %d\n%s", code, out)
	}
}

// TestTamperCorpus runs "pbverify record" on every case of the tamper
// corpus (tally/ledger/testdata/tamper, written by ledger's TestTamper):
// each must exit 1 and name the case's check as the first failure.
func TestTamperCorpus(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "..", "tally", "ledger", "testdata", "tamper", "*"))
	if err != nil || len(dirs) < 30 {
		t.Fatalf("tamper corpus: %d cases, %v", len(dirs), err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join(dir, "want.txt"))
			if err != nil {
				t.Fatal(err)
			}
			args := []string{"record", dir, "-anchors", filepath.Join(dir, "anchors.txt")}
			seen, _ := filepath.Glob(filepath.Join(dir, "seen-*.note"))
			for _, f := range seen {
				args = append(args, "-checkpoint", f)
			}
			code, out, stderr := pbverify(t, args...)
			first := "first failing check: " + strings.TrimSpace(string(want))
			if code != exitFailed || !strings.Contains(out, first) {
				t.Errorf("exit %d, want %d with %q\n%s%s", code, exitFailed, first, out, stderr)
			}
		})
	}
}
