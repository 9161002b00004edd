package slipsheet

import (
	"bytes"
	"encoding/base64"
	"errors"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hedensted-pb/pb/ballot"
)

var qrRE = regexp.MustCompile(`src="data:image/png;base64,([^"]+)"`)

// qrImages returns the PNG images inlined in a rendered sheet.
func qrImages(t *testing.T, sheet string) [][]byte {
	t.Helper()
	var out [][]byte
	for _, m := range qrRE.FindAllStringSubmatch(sheet, -1) {
		png, err := base64.StdEncoding.DecodeString(html.UnescapeString(m[1]))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, png)
	}
	return out
}

func testSheet(n, reserves int) Sheet {
	s := Sheet{Round: "juelsminde-2026", Title: "Borgerbudget <Juelsminde> & co", BaseURL: "https://pb.example.dk/"}
	for i := range n + reserves {
		var c ballot.Code
		c[0], c[15] = byte(i), 0xa5
		s.Slips = append(s.Slips, Slip{Code: c, Reserve: i >= n})
	}
	return s
}

func TestRender(t *testing.T) {
	s := testSheet(9, 2)
	s.AnchorsFingerprint = "WERC8GMRZGE196QV"
	var buf bytes.Buffer
	if err := Render(&buf, s); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	if got := len(qrImages(t, html)); got != 11 {
		t.Errorf("%d QR images, want 11", got)
	}
	if got := strings.Count(html, `<div class="reserve">RESERVE</div>`); got != 2 {
		t.Errorf("%d reserve markings, want 2", got)
	}
	if got := strings.Count(html, `<div class="page">`); got != 2 {
		t.Errorf("%d pages, want 2", got)
	}
	for _, sl := range s.Slips {
		if !strings.Contains(html, `<div class="code">`+sl.Code.String()+`</div>`) {
			t.Errorf("slip %s missing its typed code", sl.Code)
		}
	}
	if strings.Contains(html, "<Juelsminde>") || !strings.Contains(html, "Borgerbudget &lt;Juelsminde&gt; &amp; co") {
		t.Errorf("title not escaped")
	}
	if !strings.Contains(html, "Manifest: WERC-8GMR-ZGE1-96QV") {
		t.Errorf("fingerprint missing")
	}
	if !strings.Contains(html, "https://pb.example.dk/v/juelsminde-2026 ") {
		t.Errorf("vote page URL missing")
	}
	// Nothing on a slip is printed under 8 pt.
	for _, m := range regexp.MustCompile(`font-size:\s*([0-9.]+)(pt|px|mm|em|rem|%)`).FindAllStringSubmatch(html, -1) {
		if n, _ := strconv.ParseFloat(m[1], 64); m[2] != "pt" || n < 8 {
			t.Errorf("font-size %s%s: the slips print nothing under 8 pt", m[1], m[2])
		}
	}
}

func TestVoteURL(t *testing.T) {
	c, err := ballot.ParseCode("BWF8-MB4V-7N3Y-D864-Z097-TVHV-JM3")
	if err != nil {
		t.Fatal(err)
	}
	for _, base := range []string{"https://pb.example.dk", "https://pb.example.dk/", "https://pb.example.dk//"} {
		if got, want := VoteURL(base, "r1", c), "https://pb.example.dk/v/r1#BWF8MB4V7N3YD864Z097TVHVJM3"; got != want {
			t.Errorf("VoteURL(%q) = %q, want %q", base, got, want)
		}
	}
}

func TestRenderRejects(t *testing.T) {
	for name, edit := range map[string]func(*Sheet){
		"round":         func(s *Sheet) { s.Round = "Round 1" },
		"title":         func(s *Sheet) { s.Title = "a\nb" },
		"no base URL":   func(s *Sheet) { s.BaseURL = "" },
		"relative URL":  func(s *Sheet) { s.BaseURL = "/pb" },
		"ftp URL":       func(s *Sheet) { s.BaseURL = "ftp://pb.example.dk" },
		"fragment":      func(s *Sheet) { s.BaseURL = "https://pb.example.dk/#x" },
		"query":         func(s *Sheet) { s.BaseURL = "https://pb.example.dk/?a=b" },
		"js URL":        func(s *Sheet) { s.BaseURL = "javascript:alert(1)" },
		"fingerprint":   func(s *Sheet) { s.AnchorsFingerprint = "WERC-8GMR" },
		"lower-case fp": func(s *Sheet) { s.AnchorsFingerprint = "werc8gmrzge196qv" },
		"fp with U":     func(s *Sheet) { s.AnchorsFingerprint = "WERC8GMRZGE196QU" },
		"fp with !":     func(s *Sheet) { s.AnchorsFingerprint = "WERC8GMRZGE196Q!" },
	} {
		s := testSheet(1, 0)
		edit(&s)
		var buf bytes.Buffer
		if err := Render(&buf, s); !errors.Is(err, ErrInvalidSheet) {
			t.Errorf("%s: Render = %v, want ErrInvalidSheet", name, err)
		}
		if buf.Len() != 0 {
			t.Errorf("%s: Render wrote %d bytes on error", name, buf.Len())
		}
	}
}

// TestRenderQRDecodes decodes the QR images with zbarimg, when installed
// (always in CI), and checks they hold the vote URLs.
func TestRenderQRDecodes(t *testing.T) {
	zbar, err := exec.LookPath("zbarimg")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("zbarimg not installed in CI")
		}
		t.Skip("zbarimg not installed")
	}
	s := testSheet(2, 1)
	var buf bytes.Buffer
	if err := Render(&buf, s); err != nil {
		t.Fatal(err)
	}
	pngs := qrImages(t, buf.String())
	if len(pngs) != len(s.Slips) {
		t.Fatalf("%d QR images, want %d", len(pngs), len(s.Slips))
	}
	for i, png := range pngs {
		path := filepath.Join(t.TempDir(), "qr.png")
		if err := os.WriteFile(path, png, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(zbar, "--raw", "-q", path).Output()
		if err != nil {
			t.Fatalf("zbarimg: %v", err)
		}
		if got, want := strings.TrimSpace(string(out)), VoteURL(s.BaseURL, s.Round, s.Slips[i].Code); got != want {
			t.Errorf("QR %d = %q, want %q", i, got, want)
		}
	}
}
