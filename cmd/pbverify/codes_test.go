package main

import (
	"bytes"
	"encoding/base64"
	"html"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hedensted-pb/pb/ballot"
)

var codesQRRE = regexp.MustCompile(`src="data:image/png;base64,([^"]+)"`)

func TestCodes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "slips")
	var stdout, stderr bytes.Buffer
	args := []string{"codes", "-round", "juelsminde-2026", "-n", "5", "-reserve", "2", "-out", dir,
		"-base-url", "https://pb.example.dk", "-title", "Borgerbudget Juelsminde 2026"}
	if code := run(args, &stdout, &stderr); code != exitOK {
		t.Fatalf("pbverify codes = %d, stderr:\n%s", code, stderr.String())
	}

	rollBytes, err := os.ReadFile(filepath.Join(dir, "roll.txt"))
	if err != nil {
		t.Fatal(err)
	}
	roll, err := ballot.ParseRoll(rollBytes)
	if err != nil {
		t.Fatalf("ParseRoll(roll.txt) = %v", err)
	}
	if len(roll.Keys) != 7 || roll.Round != "juelsminde-2026" {
		t.Errorf("roll has %d keys for round %q, want 7 for juelsminde-2026", len(roll.Keys), roll.Round)
	}
	h := roll.Hash()
	if want := "roll " + base64.StdEncoding.EncodeToString(h[:]) + " 7\n"; !strings.Contains(stdout.String(), want) {
		t.Errorf("stdout %q does not contain %q", stdout.String(), want)
	}

	slipsPath := filepath.Join(dir, "slips.html")
	fi, err := os.Stat(slipsPath)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("slips.html mode %v, want 0600", fi.Mode().Perm())
	}
	sheet, err := os.ReadFile(slipsPath)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(sheet), `<div class="reserve">RESERVE</div>`); got != 2 {
		t.Errorf("%d reserve slips, want 2", got)
	}

	// Every typed code on the sheet derives a key in the roll, and none of
	// them reached stdout or stderr.
	typed := regexp.MustCompile(`<div class="code">([0-9A-Z-]+)</div>`).FindAllStringSubmatch(string(sheet), -1)
	if len(typed) != 7 {
		t.Fatalf("%d typed codes on the sheet, want 7", len(typed))
	}
	seen := map[[32]byte]bool{}
	for _, m := range typed {
		c, err := ballot.ParseCode(m[1])
		if err != nil {
			t.Fatalf("typed code does not parse: %v", err)
		}
		k := ballot.PublicKey(ballot.DeriveKey(c, "juelsminde-2026"))
		if !roll.Contains(k) {
			t.Errorf("typed code %d derives a key not in the roll", len(seen))
		}
		seen[k] = true
		for _, form := range []string{c.Compact(), c.String(), c.Compact()[:10]} {
			if strings.Contains(stdout.String()+stderr.String(), form) {
				t.Errorf("output leaks a voting code")
			}
		}
	}
	if len(seen) != 7 {
		t.Errorf("%d distinct codes, want 7", len(seen))
	}

	// A second run into the same directory is refused and changes nothing.
	stdout.Reset()
	stderr.Reset()
	if code := run(args, &stdout, &stderr); code != exitUsage {
		t.Errorf("second run = %d, want %d", code, exitUsage)
	}
	if again, _ := os.ReadFile(filepath.Join(dir, "roll.txt")); !bytes.Equal(again, rollBytes) {
		t.Errorf("second run changed roll.txt")
	}

	// The QR codes hold BASEURL/v/ROUND#CODE for a code in the roll.
	zbar, err := exec.LookPath("zbarimg")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("zbarimg is not installed in CI (apt-get install zbar-tools)")
		}
		t.Skip("zbarimg not installed")
	}
	qrs := codesQRRE.FindAllStringSubmatch(string(sheet), -1)
	if len(qrs) != 7 {
		t.Fatalf("%d QR images, want 7", len(qrs))
	}
	for i, m := range []([]string){qrs[0], qrs[6]} {
		png, err := base64.StdEncoding.DecodeString(html.UnescapeString(m[1]))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "qr.png")
		if err := os.WriteFile(path, png, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(zbar, "--raw", "-q", path).Output()
		if err != nil {
			t.Fatalf("zbarimg: %v", err)
		}
		u, err := url.Parse(strings.TrimSpace(string(out)))
		if err != nil {
			t.Fatal(err)
		}
		if u.Scheme != "https" || u.Host != "pb.example.dk" || u.Path != "/v/juelsminde-2026" {
			t.Errorf("QR %d holds %s://%s%s, want https://pb.example.dk/v/juelsminde-2026", i, u.Scheme, u.Host, u.Path)
		}
		c, err := ballot.ParseCode(u.Fragment)
		if err != nil {
			t.Fatalf("QR %d fragment: %v", i, err)
		}
		if u.Fragment != c.Compact() {
			t.Errorf("QR %d fragment is not the compact code", i)
		}
		if !roll.Contains(ballot.PublicKey(ballot.DeriveKey(c, "juelsminde-2026"))) {
			t.Errorf("QR %d code derives a key not in the roll", i)
		}
	}
}

func TestCodesUsage(t *testing.T) {
	dir := t.TempDir()
	for name, args := range map[string][]string{
		"no round":     {"-n", "3", "-out", dir, "-base-url", "https://x.dk"},
		"bad round":    {"-round", "Round 1", "-n", "3", "-out", dir, "-base-url", "https://x.dk"},
		"n zero":       {"-round", "r", "-n", "0", "-out", dir, "-base-url", "https://x.dk"},
		"reserve < 0":  {"-round", "r", "-n", "1", "-reserve", "-1", "-out", dir, "-base-url", "https://x.dk"},
		"too many":     {"-round", "r", "-n", "50000", "-reserve", "1", "-out", dir, "-base-url", "https://x.dk"},
		"no out":       {"-round", "r", "-n", "1", "-base-url", "https://x.dk"},
		"no base url":  {"-round", "r", "-n", "1", "-out", dir},
		"bad base url": {"-round", "r", "-n", "1", "-out", dir, "-base-url", "pb.example.dk"},
		"bad title":    {"-round", "r", "-n", "1", "-out", dir, "-base-url", "https://x.dk", "-title", " x"},
		"extra arg":    {"-round", "r", "-n", "1", "-out", dir, "-base-url", "https://x.dk", "extra"},
		"unknown flag": {"-rounds", "r"},
	} {
		var stdout, stderr bytes.Buffer
		if code := cmdCodes(args, &stdout, &stderr); code != exitUsage {
			t.Errorf("%s: cmdCodes = %d, want %d; stderr %q", name, code, exitUsage, stderr.String())
		}
		if !strings.Contains(stderr.String(), "pbverify: error: ") && name != "unknown flag" {
			t.Errorf("%s: stderr %q lacks the error prefix", name, stderr.String())
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("usage errors wrote %d files", len(entries))
	}
	var stdout, stderr bytes.Buffer
	if code := cmdCodes([]string{"-h"}, &stdout, &stderr); code != exitOK || !strings.Contains(stderr.String(), "usage: pbverify codes") {
		t.Errorf("codes -h = %d, %q", code, stderr.String())
	}
}
