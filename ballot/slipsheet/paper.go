package slipsheet

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"

	"github.com/skip2/go-qrcode"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/ballot/canon"
)

// A PaperSheet is a set of paper ballots for one frozen round: one A4 page
// per slip, with the slip's QR code, its tag (docs/record.md §6.4), the
// round's rules and the manifest's projects with a box each. Residents
// tick boxes and drop the paper in the box; two helpers enter it at a
// kiosk in paper mode. The pages are in plain Danish, and one tap on
// "English" (a fragment link, no script) shows them in English before
// printing. No text is smaller than 8 pt.
//
// Like a slip sheet it holds voting codes (in the QR codes): whoever
// writes it must treat it as secret.
type PaperSheet struct {
	Sheet                     // round, title, base URL, fingerprint and slips
	Manifest *ballot.Manifest // the frozen round's manifest: rules and projects
}

type paperProject struct {
	Title  string
	CostDA string
	CostEN string
}

type paperBallot struct {
	QR      template.URL
	Tag     string
	Number  int
	Reserve bool
}

type paperData struct {
	Round, Title, Fingerprint, VotePage string
	RulesDA, RulesEN                    string
	HowDA, HowEN                        string // how to mark: a cross, or a number of points
	Points                              bool
	Projects                            []paperProject
	Ballots                             []paperBallot
}

// RenderPaper writes the paper ballots of p as one HTML document to w. It
// validates p as [Render] does, and needs the round's manifest (its round
// must be p's round). Errors wrap [ErrInvalidSheet] or come from w.
func RenderPaper(w io.Writer, p PaperSheet) error {
	s := p.Sheet
	if !ballot.ValidID(s.Round) {
		return fmt.Errorf("%w: round %q is not an identifier", ErrInvalidSheet, s.Round)
	}
	if p.Manifest == nil || p.Manifest.Round != s.Round || len(p.Manifest.Projects) == 0 {
		return fmt.Errorf("%w: paper ballots need the round's manifest", ErrInvalidSheet)
	}
	title := s.Title
	if title == "" {
		title = p.Manifest.Title
	}
	if !ballot.ValidText(title) {
		return fmt.Errorf("%w: title is not a valid text", ErrInvalidSheet)
	}
	if err := checkBaseURL(s.BaseURL); err != nil {
		return err
	}
	fp := ""
	if s.AnchorsFingerprint != "" {
		if !canon.ValidFingerprint(s.AnchorsFingerprint) {
			return fmt.Errorf("%w: fingerprint is not 16 upper-case Crockford digits", ErrInvalidSheet)
		}
		fp = ballot.FormatFingerprint(s.AnchorsFingerprint)
	}
	base := strings.TrimRight(s.BaseURL, "/")
	m := p.Manifest
	d := paperData{Round: s.Round, Title: title, Fingerprint: fp, VotePage: base + "/v/" + s.Round}
	d.RulesDA, d.RulesEN, d.Points = paperRules(m.Ballot)
	d.HowDA, d.HowEN = "Sæt kryds i boksen ved hvert projekt, du stemmer på.", "Put a cross in the box by each project you vote for."
	if d.Points {
		d.HowDA, d.HowEN = "Skriv antal point i boksen ved projekterne.", "Write the number of points in the box by the projects."
	}
	for _, mp := range m.Projects {
		d.Projects = append(d.Projects, paperProject{Title: mp.Title, CostDA: kroner(mp.Cost), CostEN: "DKK " + thousands(mp.Cost, ",")})
	}
	for i, sl := range s.Slips {
		png, err := qrcode.Encode(VoteURL(base, s.Round, sl.Code), qrcode.Medium, 256)
		if err != nil {
			return fmt.Errorf("paper ballot %d: qr code: %w", i+1, err)
		}
		key := ballot.PublicKey(ballot.DeriveKey(sl.Code, s.Round))
		d.Ballots = append(d.Ballots, paperBallot{
			QR:  template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)),
			Tag: ballot.KeyTag(key), Number: i + 1, Reserve: sl.Reserve,
		})
	}
	var buf bytes.Buffer
	if err := paperTemplate.Execute(&buf, d); err != nil {
		return fmt.Errorf("render paper ballots: %w", err)
	}
	_, err := buf.WriteTo(w)
	return err
}

// paperRules states the ballot's limits in plain Danish and English.
func paperRules(b ballot.BallotSpec) (da, en string, points bool) {
	switch b.Kind {
	case ballot.KindApprovalCost:
		return "Du må sætte kryds ved så mange projekter, du vil, hvis de tilsammen højst koster " + kroner(b.Limit),
			"You may tick as many projects as you like, as long as together they cost at most DKK " + thousands(b.Limit, ",") + ".", false
	case ballot.KindCumulative:
		return fmt.Sprintf("Du har %d point. Giv hvert projekt 0 til %d point; i alt højst %d point.", b.Total, b.Cap, b.Total),
			fmt.Sprintf("You have %d points. Give each project 0 to %d points; %d points at most in all.", b.Total, b.Cap, b.Total), true
	}
	switch {
	case b.Min == b.Max && b.Max == 1:
		return "Sæt kryds ved præcis 1 projekt.", "Tick exactly 1 project.", false
	case b.Min == b.Max:
		return fmt.Sprintf("Sæt kryds ved præcis %d projekter.", b.Max), fmt.Sprintf("Tick exactly %d projects.", b.Max), false
	case b.Min == 0 && b.Max == 1:
		return "Sæt kryds ved højst 1 projekt.", "Tick at most 1 project.", false
	case b.Min == 0:
		return fmt.Sprintf("Sæt kryds ved højst %d projekter.", b.Max), fmt.Sprintf("Tick at most %d projects.", b.Max), false
	}
	return fmt.Sprintf("Sæt kryds ved %d til %d projekter.", b.Min, b.Max), fmt.Sprintf("Tick %d to %d projects.", b.Min, b.Max), false
}

// kroner writes an amount the Danish way: 1.500.000 kr.
func kroner(n int64) string { return thousands(n, ".") + " kr." }

// thousands groups the digits of n by three with sep.
func thousands(n int64, sep string) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	return b.String()
}

var paperTemplate = template.Must(template.New("paper").Parse(`<!DOCTYPE html>
<html lang="da">
<head>
<meta charset="utf-8">
<meta name="robots" content="noindex">
<title>Stemmesedler på papir – {{.Title}}</title>
<style>
@page { size: A4 portrait; margin: 0; }
* { box-sizing: border-box; }
html, body { margin: 0; padding: 0; }
body { font-family: "Helvetica Neue", Arial, sans-serif; color: #000; background: #ddd; font-size: 12pt; line-height: 1.35; }
.en { display: none; }
#en:target .en { display: block; }
#en:target span.en { display: inline; }
#en:target .da { display: none; }
.note { max-width: 210mm; margin: 6mm auto; background: #fff; padding: 4mm 6mm; font-size: 11pt; }
.note a { font-size: 13pt; font-weight: bold; color: #00468c; }
.page { width: 210mm; min-height: 297mm; margin: 6mm auto; background: #fff; padding: 14mm 16mm 12mm 16mm;
  page-break-after: always; break-after: page; position: relative; }
.head { display: grid; grid-template-columns: 1fr 42mm; column-gap: 8mm; align-items: start; }
h1 { font-size: 20pt; margin: 0 0 2mm 0; line-height: 1.15; }
h2 { font-size: 14pt; margin: 0 0 2mm 0; }
.rules { font-size: 14pt; font-weight: bold; margin: 4mm 0 1mm 0; }
.how { font-size: 12pt; margin: 0 0 5mm 0; }
.qr { width: 42mm; height: 42mm; image-rendering: pixelated; display: block; }
.tag { font-family: "DejaVu Sans Mono", "Courier New", monospace; font-size: 13pt; font-weight: bold; text-align: center; margin-top: 1mm; }
.taglabel { font-size: 9pt; text-align: center; }
ol.projects { list-style: none; margin: 0 0 6mm 0; padding: 0; border-top: 0.4mm solid #000; }
ol.projects li { display: grid; grid-template-columns: 16mm 1fr auto; column-gap: 5mm; align-items: center;
  padding: 3mm 0; border-bottom: 0.3mm solid #555; break-inside: avoid; }
.box { width: 12mm; height: 12mm; border: 0.8mm solid #000; display: block; }
.ptitle { font-size: 13pt; }
.cost { font-size: 11pt; white-space: nowrap; }
.steps { font-size: 11pt; margin: 0 0 3mm 0; padding-left: 6mm; }
.small { font-size: 9pt; color: #222; }
.reserve { display: inline-block; border: 0.6mm solid #000; padding: 0.5mm 2mm; font-weight: bold; font-size: 11pt; letter-spacing: 1pt; }
.num { position: absolute; bottom: 6mm; right: 16mm; font-size: 9pt; color: #333; }
@media print {
  body { background: #fff; }
  .note { display: none; }
  .page { margin: 0; }
}
</style>
</head>
<body>
<div id="en">
<div class="note">
<p class="da"><strong>Stemmesedler på papir til {{.Title}}</strong> ({{len .Ballots}} sider, én pr. stemmeseddel). Udskriv på A4 uden
skalering (100 %). Hver side har sin egen kode i QR-koden: giv hver beboer én side, og slet filen efter udskrivning.
<a href="#en" lang="en">English</a></p>
<p class="en" lang="en"><strong>Paper ballots for {{.Title}}</strong> ({{len .Ballots}} pages, one per slip). Print on A4 at 100 %
scale. Every page has its own code in the QR code: give each resident one page, and delete this file after printing.
<a href="#" lang="da">Dansk</a></p>
</div>
{{range .Ballots}}<section class="page" aria-label="Stemmeseddel {{.Number}}">
<div class="head">
<div>
<h1><span class="da">Stemmeseddel</span><span class="en" lang="en">Ballot paper</span>: {{$.Title}}</h1>
<p class="rules da">{{$.RulesDA}}</p>
<p class="rules en" lang="en">{{$.RulesEN}}</p>
<p class="how da">{{$.HowDA}}</p>
<p class="how en" lang="en">{{$.HowEN}}</p>
{{if .Reserve}}<p><span class="reserve">RESERVE</span></p>{{end}}
</div>
<div>
<img class="qr" alt="QR-kode med stemmekoden / QR code with the voting code" src="{{.QR}}">
<div class="taglabel"><span class="da">Sedlens nummer</span><span class="en" lang="en">Ballot number</span></div>
<div class="tag">{{.Tag}}</div>
</div>
</div>
<ol class="projects">
{{range $.Projects}}<li><span class="box" aria-hidden="true"></span><span class="ptitle">{{.Title}}</span><span class="cost"><span class="da">{{.CostDA}}</span><span class="en" lang="en">{{.CostEN}}</span></span></li>
{{end}}</ol>
<h2><span class="da">Sådan gør du</span><span class="en" lang="en">What to do</span></h2>
<ol class="steps da">
<li>Sæt dine kryds. Fold sedlen, og læg den i stemmeboksen.</li>
<li>To hjælpere skriver din stemme ind i systemet med koden fra QR-koden. Den tæller som alle andre stemmer.</li>
<li>Sedlen gemmes i boksen. Efter mødet tager man stikprøver og sammenligner papiret med den offentlige liste over stemmer.</li>
</ol>
<ol class="steps en" lang="en">
<li>Make your crosses. Fold the paper and put it in the ballot box.</li>
<li>Two helpers enter your vote with the code in the QR code. It counts like every other vote.</li>
<li>The paper is kept in the box. After the meeting, samples of the papers are compared with the public list of votes.</li>
</ol>
<p class="small da">Stem kun én gang: med papiret eller med telefonen ({{$.VotePage}}), ikke begge. QR-koden er din stemmekode: vis den ikke til andre.{{if $.Fingerprint}} Afstemningens fingeraftryk: {{$.Fingerprint}}.{{end}}</p>
<p class="small en" lang="en">Vote once only: on paper or with your phone ({{$.VotePage}}), not both. The QR code is your voting code: do not show it to others.{{if $.Fingerprint}} The round's fingerprint: {{$.Fingerprint}}.{{end}}</p>
<div class="num">{{$.Round}} · {{.Number}}</div>
</section>
{{end}}</div>
</body>
</html>
`))
