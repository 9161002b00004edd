package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hedensted-pb/pb/ballot/canon"
)

// demoFundDir writes the demo fund into a new temporary directory and
// returns it with the ledger's path and the anchors file.
func demoFundDir(t *testing.T) (dir, ledgerDir, anchors string) {
	t.Helper()
	dir = t.TempDir()
	if code, _, stderr := pbverify(t, "demo-fund", "-out", dir, "-ballots", "4"); code != exitOK {
		t.Fatalf("demo-fund exit %d: %s", code, stderr)
	}
	f := filepath.Join(dir, "funds", "demo-pulje")
	return dir, filepath.Join(f, "ledger"), filepath.Join(f, "anchors.txt")
}

func TestFundDemo(t *testing.T) {
	dir, l, a := demoFundDir(t)
	for _, args := range [][]string{
		{"fund", l, "-anchors", a},
		{"fund", l, "-anchors", a, "-rounds"},
		{"fund", l + string(filepath.Separator), "--anchors", a, "--rounds"},
		{"fund", "-rounds", l, "-anchors", a, "-checkpoint", filepath.Join(dir, "seen.note")},
	} {
		if args[len(args)-1] == filepath.Join(dir, "seen.note") {
			// A checkpoint seen earlier: the ledger's first.
			b, err := os.ReadFile(filepath.Join(l, "checkpoints.txt"))
			if err != nil {
				t.Fatal(err)
			}
			first := strings.SplitN(string(b), "\n", 2)[0]
			note, ok := canon.DecodeB64(first)
			if !ok {
				t.Fatal("checkpoints.txt: not b64")
			}
			if err := os.WriteFile(args[len(args)-1], note, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		code, out, stderr := pbverify(t, args...)
		if code != exitOK || !strings.Contains(out, "\nVERIFIED\n") {
			t.Fatalf("%v: exit %d\n%s%s", args, code, out, stderr)
		}
		rounds := strings.Contains(strings.Join(args, " "), "rounds")
		if rounds != strings.Contains(out, "published  verified\n") || !strings.Contains(out, "bakke-2027") {
			t.Errorf("%v: the rounds' verdicts are wrong:\n%s", args, out)
		}
	}
	code, out, _ := pbverify(t, "fund", l, "-anchors", a, "-rounds", "-json")
	var rep struct {
		OK       bool `json:"ok"`
		Tranches []struct {
			Year     int  `json:"year"`
			Closed   bool `json:"closed"`
			Accounts []struct {
				Community string `json:"community"`
				Left      int64  `json:"left"`
			} `json:"accounts"`
		} `json:"tranches"`
		Rounds []struct {
			Round   string `json:"round"`
			Status  string `json:"status"`
			Verdict string `json:"verdict"`
		} `json:"rounds"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != exitOK || !rep.OK {
		t.Fatalf("-json: exit %d, %v\n%s", code, err, out)
	}
	if len(rep.Tranches) != 3 || !rep.Tranches[0].Closed || len(rep.Rounds) != 5 {
		t.Errorf("-json: %+v", rep)
	}
	verdicts := map[string]string{}
	for _, r := range rep.Rounds {
		verdicts[r.Round] = r.Status + " " + r.Verdict
	}
	want := map[string]string{"bakke-2026": "published verified", "dal-2026": "published verified",
		"skov-2026": "cancelled cancelled", "eng-2027": "published verified", "bakke-2027": "reserved not published"}
	for r, w := range want {
		if verdicts[r] != w {
			t.Errorf("round %s: %q, want %q", r, verdicts[r], w)
		}
	}
}

// TestFundHTTP verifies the demo fund over HTTP, laid out as the server
// publishes it: /funds/ID/ledger/ and /rounds/ID/record/.
func TestFundHTTP(t *testing.T) {
	dir, _, a := demoFundDir(t)
	files := http.FileServer(http.Dir(dir))
	// bakke-2027 is still voting: like pbserver, only its roll is public.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/rounds/bakke-2027/record/") && !strings.HasSuffix(r.URL.Path, "/roll.txt") {
			http.Error(w, "the record is published when voting closes", http.StatusConflict)
			return
		}
		files.ServeHTTP(w, r)
	}))
	defer srv.Close()
	u := srv.URL + "/funds/demo-pulje/ledger/"
	if code, out, stderr := pbverify(t, "fund", u, "-anchors", a, "-rounds"); code != exitOK || !strings.Contains(out, "eng-2027") ||
		!strings.Contains(out, "note: round bakke-2027: no record to read yet") {
		t.Fatalf("exit %d\n%s%s", code, out, stderr)
	}
	// A published round whose record is gone: the rounds check fails.
	if err := os.RemoveAll(filepath.Join(dir, "rounds", "eng-2027")); err != nil {
		t.Fatal(err)
	}
	code, out, _ := pbverify(t, "fund", u, "-anchors", a, "-rounds")
	if code != exitFailed || !strings.Contains(out, "first failing check: rounds") || !strings.Contains(out, "no record") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	// Without -rounds the ledger alone verifies.
	if code, _, _ := pbverify(t, "fund", u, "-anchors", a); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	// A ledger URL that does not exist is an I/O error.
	if code, _, _ := pbverify(t, "fund", srv.URL+"/funds/nothing/ledger/", "-anchors", a); code != exitUsage {
		t.Fatalf("missing ledger: exit %d, want %d", code, exitUsage)
	}
}

func TestFundBadInput(t *testing.T) {
	dir, l, a := demoFundDir(t)
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	badAnchors := write("bad-anchors.txt", "pb-fund-anchors/v1\nfund demo-pulje\n")
	copyDir := func(name string) string {
		d := filepath.Join(dir, name, "funds", "demo-pulje", "ledger")
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"leaves.txt", "checkpoints.txt"} {
			b, _ := os.ReadFile(filepath.Join(l, f))
			os.WriteFile(filepath.Join(d, f), b, 0o644)
		}
		return d
	}
	crlf := copyDir("crlf")
	b, _ := os.ReadFile(filepath.Join(crlf, "leaves.txt"))
	os.WriteFile(filepath.Join(crlf, "leaves.txt"), []byte(strings.Replace(string(b), "\n", "\r\n", 1)), 0o644)
	noCheckpoints := copyDir("nocp")
	os.WriteFile(filepath.Join(noCheckpoints, "checkpoints.txt"), nil, 0o644)
	for _, tc := range []struct {
		name  string
		args  []string
		code  int
		first string
	}{
		{"no anchors", []string{"fund", l}, exitUsage, ""},
		{"no path", []string{"fund", "-anchors", a}, exitUsage, ""},
		{"two paths", []string{"fund", l, l, "-anchors", a}, exitUsage, ""},
		{"missing anchors file", []string{"fund", l, "-anchors", filepath.Join(dir, "none")}, exitUsage, ""},
		{"missing ledger", []string{"fund", filepath.Join(dir, "none"), "-anchors", a}, exitUsage, ""},
		{"a file, not a ledger", []string{"fund", a, "-anchors", a}, exitUsage, ""},
		{"rounds without the layout", []string{"fund", dir, "-anchors", a, "-rounds"}, exitUsage, ""},
		{"missing checkpoint file", []string{"fund", l, "-anchors", a, "-checkpoint", filepath.Join(dir, "none")}, exitUsage, ""},
		{"bad anchors", []string{"fund", l, "-anchors", badAnchors}, exitFailed, "anchors"},
		{"round anchors as fund anchors", []string{"fund", l, "-anchors", filepath.Join(dir, "rounds", "dal-2026", "anchors.txt")}, exitFailed, "anchors"},
		{"CR in leaves.txt", []string{"fund", crlf, "-anchors", a}, exitFailed, "entries"},
		{"no checkpoints", []string{"fund", noCheckpoints, "-anchors", a}, exitFailed, "checkpoints"},
		{"not a checkpoint", []string{"fund", l, "-anchors", a, "-checkpoint", a}, exitFailed, "checkpoints"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := pbverify(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, out, stderr)
			}
			if tc.first != "" && !strings.Contains(out, "first failing check: "+tc.first+"\n") {
				t.Errorf("want first failing check %s\n%s", tc.first, out)
			}
			if code == exitUsage && !strings.HasPrefix(stderr, "pbverify: error: ") {
				t.Errorf("stderr %q", stderr)
			}
		})
	}
}

// TestFundTamperCorpus runs "pbverify fund" on every case of the fund
// tamper corpus (tally/fund/testdata/tamper, written by fund's
// TestFundTamper): each must exit 1 and name the case's check first.
func TestFundTamperCorpus(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "..", "tally", "fund", "testdata", "tamper", "*"))
	if err != nil || len(dirs) < 15 {
		t.Fatalf("fund tamper corpus: %d cases, %v", len(dirs), err)
	}
	// The valid fund every case varies verifies.
	demo := filepath.Join("..", "..", "tally", "fund", "testdata", "demo", "funds", "demo-pulje")
	if code, out, stderr := pbverify(t, "fund", filepath.Join(demo, "ledger"), "-anchors", filepath.Join(demo, "anchors.txt"), "-rounds"); code != exitOK {
		t.Fatalf("testdata/demo: exit %d\n%s%s", code, out, stderr)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join(dir, "want.txt"))
			if err != nil {
				t.Fatal(err)
			}
			f := filepath.Join(dir, "funds", "demo-pulje")
			args := []string{"fund", filepath.Join(f, "ledger"), "-anchors", filepath.Join(f, "anchors.txt")}
			if _, err := os.Stat(filepath.Join(dir, "rounds")); err == nil {
				args = append(args, "-rounds")
			}
			seen, _ := filepath.Glob(filepath.Join(dir, "seen-*.note"))
			for _, s := range seen {
				args = append(args, "-checkpoint", s)
			}
			code, out, stderr := pbverify(t, args...)
			first := "first failing check: " + strings.TrimSpace(string(want))
			if code != exitFailed || !strings.Contains(out, first+"\n") || !strings.Contains(stderr, first) {
				t.Errorf("exit %d, want %d with %q\n%s%s", code, exitFailed, first, out, stderr)
			}
			if len(seen) > 0 && !strings.Contains(out, "FORK PROOF") {
				t.Errorf("no fork proof\n%s", out)
			}
		})
	}
}
