package slipsheet

import (
	"bytes"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hedensted-pb/pb/ballot"
)

func testManifest(spec ballot.BallotSpec) *ballot.Manifest {
	return &ballot.Manifest{Round: "juelsminde-2026", Title: "Juelsminde 2026", Budget: 100000, Ballot: spec,
		Projects: []ballot.Project{
			{ID: "bench", Cost: 20000, Category: "fritid", Title: "Bænke ved søen"},
			{ID: "library", Cost: 1500000, Category: "laering", Title: "Bogbytte <i> hallen"},
		}}
}

// TestRenderPaper: one page per slip with its QR code (the slip URL) and
// tag, the rules in both languages, a box per project, no font under 8 pt.
func TestRenderPaper(t *testing.T) {
	s := testSheet(3, 1)
	s.AnchorsFingerprint = "WERC8GMRZGE196QV"
	var buf bytes.Buffer
	if err := RenderPaper(&buf, PaperSheet{Sheet: s, Manifest: testManifest(ballot.BallotSpec{Kind: ballot.KindApproval, Min: 1, Max: 2})}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if got := len(qrImages(t, out)); got != 4 {
		t.Errorf("%d QR images, want 4", got)
	}
	if got := strings.Count(out, `<section class="page"`); got != 4 {
		t.Errorf("%d pages, want 4", got)
	}
	for _, sl := range s.Slips {
		tag := ballot.KeyTag(ballot.PublicKey(ballot.DeriveKey(sl.Code, s.Round)))
		if !strings.Contains(out, `<div class="tag">`+tag+`</div>`) {
			t.Errorf("no tag %s", tag)
		}
		if strings.Contains(out, sl.Code.String()) {
			t.Errorf("the typed code is on a paper ballot (only the QR code holds it)")
		}
	}
	for _, want := range []string{"Sæt kryds ved 1 til 2 projekter.", "Tick 1 to 2 projects.", "Bogbytte &lt;i&gt; hallen",
		"1.500.000 kr.", "DKK 1,500,000", `<span class="box" aria-hidden="true"></span>`, "WERC-8GMR-ZGE1-96QV",
		`<a href="#en" lang="en">English</a>`, `<span class="reserve">RESERVE</span>`} {
		if !strings.Contains(out, want) {
			t.Errorf("paper ballots lack %q", want)
		}
	}
	if got := strings.Count(out, `<span class="box"`); got != 8 {
		t.Errorf("%d boxes, want 8", got)
	}
	// No text under 8 pt.
	for _, m := range regexp.MustCompile(`font-size:\s*([0-9.]+)pt`).FindAllStringSubmatch(out, -1) {
		if n, _ := strconv.ParseFloat(m[1], 64); n < 8 {
			t.Errorf("font-size %spt is under 8 pt", m[1])
		}
	}
	if strings.Contains(out, "font-size: ") && regexp.MustCompile(`font-size:\s*[0-9.]+(px|em|rem|%)`).MatchString(out) {
		t.Errorf("font sizes must be in pt")
	}
}

func TestPaperRules(t *testing.T) {
	for _, tc := range []struct {
		spec   ballot.BallotSpec
		da, en string
	}{
		{ballot.BallotSpec{Kind: ballot.KindApproval, Min: 1, Max: 1}, "Sæt kryds ved præcis 1 projekt.", "Tick exactly 1 project."},
		{ballot.BallotSpec{Kind: ballot.KindApproval, Min: 3, Max: 3}, "Sæt kryds ved præcis 3 projekter.", "Tick exactly 3 projects."},
		{ballot.BallotSpec{Kind: ballot.KindApproval, Min: 0, Max: 4}, "Sæt kryds ved højst 4 projekter.", "Tick at most 4 projects."},
		{ballot.BallotSpec{Kind: ballot.KindApprovalCost, Limit: 250000}, "Du må sætte kryds ved så mange projekter, du vil, hvis de tilsammen højst koster 250.000 kr.", "You may tick as many projects as you like, as long as together they cost at most DKK 250,000."},
		{ballot.BallotSpec{Kind: ballot.KindCumulative, Total: 10, Cap: 5}, "Du har 10 point. Giv hvert projekt 0 til 5 point; i alt højst 10 point.", "You have 10 points. Give each project 0 to 5 points; 10 points at most in all."},
	} {
		da, en, _ := paperRules(tc.spec)
		if da != tc.da || en != tc.en {
			t.Errorf("paperRules(%+v) = %q, %q; want %q, %q", tc.spec, da, en, tc.da, tc.en)
		}
	}
}

func TestRenderPaperRejects(t *testing.T) {
	s := testSheet(1, 0)
	other := testManifest(ballot.BallotSpec{Kind: ballot.KindApproval, Min: 1, Max: 2})
	other.Round = "other-2026"
	for name, p := range map[string]PaperSheet{
		"no manifest":     {Sheet: s},
		"other round":     {Sheet: s, Manifest: other},
		"bad base URL":    {Sheet: Sheet{Round: s.Round, BaseURL: "ftp://x", Slips: s.Slips}, Manifest: testManifest(ballot.BallotSpec{Kind: ballot.KindApproval, Min: 1, Max: 2})},
		"bad fingerprint": {Sheet: Sheet{Round: s.Round, BaseURL: s.BaseURL, AnchorsFingerprint: "x", Slips: s.Slips}, Manifest: testManifest(ballot.BallotSpec{Kind: ballot.KindApproval, Min: 1, Max: 2})},
	} {
		var buf bytes.Buffer
		if err := RenderPaper(&buf, p); !errors.Is(err, ErrInvalidSheet) || buf.Len() != 0 {
			t.Errorf("%s: RenderPaper = %v with %d bytes written, want ErrInvalidSheet and nothing", name, err, buf.Len())
		}
	}
}
