// Package slipsheet renders printable sheets of voting slips: an A4 HTML
// page set with cut marks, each slip holding a voting code as a QR code and
// as typed text. It is shared by "pbverify codes" (offline generation) and
// the server.
//
// The output contains voting codes: whoever writes it must treat it as
// secret (file mode 0600, never logged, deleted after printing).
package slipsheet

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/url"
	"strings"

	"github.com/skip2/go-qrcode"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/ballot/canon"
)

// A Sheet is a set of slips for one round.
type Sheet struct {
	Round   string // round ID
	Title   string // round title printed on each slip; the round ID when empty
	BaseURL string // http(s) URL of the platform, without a trailing /v/...
	// AnchorsFingerprint is the manifest fingerprint of the round's trust
	// anchors (16 Crockford digits), printed on each slip when not empty.
	AnchorsFingerprint string
	Slips              []Slip
}

// A Slip is one voting slip.
type Slip struct {
	Code    ballot.Code
	Reserve bool // a reserve slip, kept by the council for replacements
}

// SlipsPerPage is the number of slips on one A4 page (2 columns, 4 rows).
const SlipsPerPage = 8

// ErrInvalidSheet reports a Sheet that cannot be rendered.
var ErrInvalidSheet = errors.New("invalid slip sheet")

// VoteURL returns the URL a slip's QR code holds:
// BASEURL/v/ROUND#COMPACTCODE. The code is in the fragment, so it never
// reaches the server, its logs or a Referer header.
func VoteURL(baseURL, round string, c ballot.Code) string {
	return strings.TrimRight(baseURL, "/") + "/v/" + round + "#" + c.Compact()
}

// checkBaseURL accepts absolute http and https URLs with a host and no
// query or fragment.
func checkBaseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%w: base URL: %w", ErrInvalidSheet, err)
	}
	if u.Scheme != "https" && u.Scheme != "http" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || strings.Contains(s, "#") || strings.Contains(s, "?") {
		return fmt.Errorf("%w: base URL %q is not an http(s) URL without query or fragment", ErrInvalidSheet, s)
	}
	return nil
}

type slipData struct {
	QR       template.URL // data:image/png;base64,...
	Code     string       // grouped code
	Reserve  bool
	Number   int // 1-based position on the sheet
	VotePage string
}

type pageData struct {
	Slips []slipData
}

type sheetData struct {
	Round, Title, Fingerprint, Host string
	Pages                           []pageData
	Count, Reserves                 int
}

// Render writes s as a complete HTML document to w. It validates s first
// (round ID, title text, base URL, fingerprint) and renders into memory, so
// on error nothing is written. Errors wrap [ErrInvalidSheet] or come from w.
func Render(w io.Writer, s Sheet) error {
	if !ballot.ValidID(s.Round) {
		return fmt.Errorf("%w: round %q is not an identifier", ErrInvalidSheet, s.Round)
	}
	title := s.Title
	if title == "" {
		title = s.Round
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
	d := sheetData{Round: s.Round, Title: title, Fingerprint: fp, Count: len(s.Slips)}
	for i, sl := range s.Slips {
		png, err := qrcode.Encode(VoteURL(base, s.Round, sl.Code), qrcode.Medium, 256)
		if err != nil {
			return fmt.Errorf("slip %d: qr code: %w", i+1, err)
		}
		if i%SlipsPerPage == 0 {
			d.Pages = append(d.Pages, pageData{})
		}
		if sl.Reserve {
			d.Reserves++
		}
		p := &d.Pages[len(d.Pages)-1]
		p.Slips = append(p.Slips, slipData{
			QR:       template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)),
			Code:     sl.Code.String(),
			Reserve:  sl.Reserve,
			Number:   i + 1,
			VotePage: base + "/v/" + s.Round,
		})
	}
	var buf bytes.Buffer
	if err := sheetTemplate.Execute(&buf, d); err != nil {
		return fmt.Errorf("render slips: %w", err)
	}
	_, err := buf.WriteTo(w)
	return err
}

var sheetTemplate = template.Must(template.New("sheet").Parse(`<!DOCTYPE html>
<html lang="da">
<head>
<meta charset="utf-8">
<meta name="robots" content="noindex">
<title>Stemmesedler – {{.Title}}</title>
<style>
@page { size: A4 portrait; margin: 0; }
* { box-sizing: border-box; }
html, body { margin: 0; padding: 0; }
body { font-family: "Helvetica Neue", Arial, sans-serif; color: #000; background: #ddd; }
.note { max-width: 210mm; margin: 6mm auto; font-size: 11pt; background: #fff; padding: 4mm 6mm; }
.page { width: 210mm; height: 297mm; margin: 6mm auto; background: #fff; display: grid;
  grid-template-columns: 105mm 105mm; grid-template-rows: repeat(4, 74.25mm);
  page-break-after: always; break-after: page; overflow: hidden; }
.slip { position: relative; border: 0.3mm dashed #888; padding: 5mm 5mm 4mm 5mm;
  display: grid; grid-template-columns: 33mm 1fr; column-gap: 4mm; align-content: start; overflow: hidden; }
.slip::before { content: "\2702"; position: absolute; top: -2.2mm; left: 2mm; font-size: 8pt; color: #888; background: #fff; }
.qr { width: 33mm; height: 33mm; image-rendering: pixelated; }
.txt { min-width: 0; overflow-wrap: anywhere; }
.round { font-weight: bold; font-size: 10pt; line-height: 1.2; }
.roundid { font-size: 8pt; color: #333; }
.da { font-size: 9pt; line-height: 1.2; margin: 1mm 0 0 0; }
.en { font-size: 8pt; line-height: 1.15; color: #444; margin: 0.3mm 0 0 0; font-style: italic; }
.code { grid-column: 1 / span 2; margin-top: 2.5mm; font-family: "DejaVu Sans Mono", "Courier New", monospace;
  font-size: 12.5pt; font-weight: bold; letter-spacing: 0.3pt; white-space: nowrap; }
.secret { grid-column: 1 / span 2; font-size: 8pt; margin-top: 1.2mm; line-height: 1.15; }
.fp { grid-column: 1 / span 2; font-size: 8pt; color: #333; margin-top: 1mm; }
.reserve { position: absolute; bottom: 5mm; right: 5mm; border: 0.6mm solid #000; padding: 0.5mm 2mm;
  font-weight: bold; font-size: 11pt; letter-spacing: 1pt; transform: rotate(-4deg); }
.num { position: absolute; bottom: 1.2mm; right: 3mm; font-size: 8pt; color: #777; }
@media print {
  body { background: #fff; }
  .note { display: none; }
  .page { margin: 0; }
}
</style>
</head>
<body>
<div class="note">
<p><strong>Stemmesedler til {{.Title}}</strong> ({{.Count}} sedler, heraf {{.Reserves}} reserve). Udskriv på A4 uden
skalering (100 %), klip langs de stiplede linjer, og slet derefter denne fil: hver kode giver én stemme.</p>
<p lang="en"><em>Voting slips for {{.Title}} ({{.Count}} slips, {{.Reserves}} reserve). Print on A4 at 100 % scale, cut
along the dashed lines, then delete this file: every code is one vote.</em></p>
</div>
{{range .Pages}}<div class="page">
{{range .Slips}}<div class="slip">
<img class="qr" alt="QR-kode / QR code" src="{{.QR}}">
<div class="txt">
<div class="round">{{$.Title}}</div>
<div class="roundid">{{$.Round}}</div>
<p class="da">Scan QR-koden med din telefon for at stemme, eller gå til {{.VotePage}} og skriv koden.</p>
<p class="en" lang="en">Scan the QR code with your phone to vote, or go to {{.VotePage}} and type the code.</p>
</div>
<div class="code">{{.Code}}</div>
<div class="secret">Hold koden hemmelig: den giver én stemme.<br><span class="en" lang="en">Keep the code secret: it is one vote.</span></div>
{{if $.Fingerprint}}<div class="fp">Manifest: {{$.Fingerprint}}</div>{{end}}
{{if .Reserve}}<div class="reserve">RESERVE</div>{{end}}
<div class="num">{{.Number}}</div>
</div>
{{end}}</div>
{{end}}</body>
</html>
`))
