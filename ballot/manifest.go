package ballot

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/hedensted-pb/pb/ballot/canon"
)

// A Kind is a ballot kind (docs/record.md §5).
type Kind string

// Ballot kinds.
const (
	// KindApproval: approve between Min and Max projects.
	KindApproval Kind = "approval"
	// KindApprovalCost: approve projects costing at most Limit in total.
	KindApprovalCost Kind = "approval-cost"
	// KindCumulative: give each project 0 to Cap points, at most Total in all.
	KindCumulative Kind = "cumulative"
)

// A BallotSpec is a ballot kind and its limits. Only the fields of its Kind
// are set; the others are zero: Min and Max for [KindApproval], Limit for
// [KindApprovalCost], Total and Cap for [KindCumulative].
type BallotSpec struct {
	Kind  Kind  `json:"kind"`
	Min   int   `json:"min,omitempty"`
	Max   int   `json:"max,omitempty"`
	Limit int64 `json:"limit,omitempty"`
	Total int64 `json:"total,omitempty"`
	Cap   int64 `json:"cap,omitempty"`
}

// Check reports whether the ballot kind and its limits fit together
// (docs/record.md §5), apart from the number of projects, which only the
// manifest knows: approval needs 0 ≤ Min ≤ Max, Max ≥ 1 and no cost or
// point limits; approval-cost needs Limit ≥ 1 and nothing else;
// cumulative needs 1 ≤ Cap ≤ Total and nothing else. Every bound must be
// a canonical decimal. Errors wrap [ErrInvalidManifest]. It is the one
// check of these limits: the server validates a round's settings with it
// before freeze, and the manifest's validation calls it.
func (b BallotSpec) Check() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidManifest}, args...)...)
	}
	switch b.Kind {
	case KindApproval:
		if b.Limit != 0 || b.Total != 0 || b.Cap != 0 {
			return bad("approval ballot with cost or point limits")
		}
		if b.Min < 0 || b.Max < 1 || b.Min > b.Max || !canon.ValidDecimal(int64(b.Max)) {
			return bad("approval limits %d..%d invalid", b.Min, b.Max)
		}
	case KindApprovalCost:
		if b.Min != 0 || b.Max != 0 || b.Total != 0 || b.Cap != 0 {
			return bad("approval-cost ballot with count or point limits")
		}
		if b.Limit < 1 || b.Limit > MaxAmount {
			return bad("approval-cost limit %d out of range 1..%d", b.Limit, MaxAmount)
		}
	case KindCumulative:
		if b.Min != 0 || b.Max != 0 || b.Limit != 0 {
			return bad("cumulative ballot with count or cost limits")
		}
		if b.Cap < 1 || b.Cap > b.Total || b.Total > MaxPoints {
			return bad("cumulative total %d and cap %d invalid (1 ≤ cap ≤ total ≤ %d)", b.Total, b.Cap, MaxPoints)
		}
	default:
		return bad("unknown ballot kind %q", b.Kind)
	}
	return nil
}

// A Project is one project on the ballot.
type Project struct {
	ID       string // identifier, unique in the manifest
	Cost     int64  // ≥ 1, in the fund's currency unit
	Category string // category identifier
	Title    string // Text
}

// A Manifest is the frozen description of a round (docs/record.md §5). It is
// leaf 0 of the round's log, signed by the council. A Manifest returned by
// [ParseManifestBody] or [OpenManifest] is valid; one built by hand is
// validated by [Manifest.Body].
type Manifest struct {
	Round, Community, Fund, Title string
	Budget                        int64
	Ballot                        BallotSpec
	Rule, Tiebreak, Revote        string
	LogOrigin, LogKey, CouncilKey string
	RollHash                      [32]byte
	RollCount                     int
	Projects                      []Project // strictly ascending by ID
	// Minimum is the least number of votes of the rule (supporters, or
	// points on cumulative ballots) a project needs to be funded
	// (docs/record.md §5, the minimum line; docs/counting.md §2.8); 0 for
	// none, when the manifest has no minimum line.
	Minimum int64
	// Exclusive lists the groups of mutually exclusive projects (the
	// exclusive lines): at most one project of a group is funded. Each
	// group has at least two projects in strictly ascending ID order, the
	// groups are in strictly ascending order of their first project, and no
	// project is in two groups. Nil for none.
	Exclusive [][]string
}

// Tie-breaking orders and revote policies allowed in a manifest.
const (
	TiebreakLexicographic = "lexicographic"
	TiebreakDefault       = "min-cost,max-votes,lot"
	RevoteNone            = "none"
	RevoteLast            = "last"
)

// validOrigin reports whether s can be a log origin: 1 to 255 printable
// ASCII characters other than space and '+' (a note key name, §5).
func validOrigin(s string) bool {
	if len(s) < 1 || len(s) > 255 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f || s[i] == '+' {
			return false
		}
	}
	return true
}

// validate checks every rule of §5. Errors wrap ErrInvalidManifest (and
// ErrBadKey for a bad vkey).
func (m *Manifest) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidManifest}, args...)...)
	}
	switch {
	case !ValidID(m.Round):
		return bad("round %q is not an identifier", m.Round)
	case !ValidID(m.Community):
		return bad("community %q is not an identifier", m.Community)
	case !ValidID(m.Fund):
		return bad("fund %q is not an identifier", m.Fund)
	case !ValidText(m.Title):
		return bad("title is not a valid text")
	case m.Budget < 1 || m.Budget > MaxAmount:
		return bad("budget %d out of range 1..%d", m.Budget, MaxAmount)
	case !ValidRuleName(m.Rule):
		return bad("rule %q is not a rule name", m.Rule)
	case m.Tiebreak != TiebreakLexicographic && m.Tiebreak != TiebreakDefault:
		return bad("unknown tiebreak %q", m.Tiebreak)
	case m.Revote != RevoteNone && m.Revote != RevoteLast:
		return bad("unknown revote policy %q", m.Revote)
	case !validOrigin(m.LogOrigin):
		return bad("log origin %q is not valid", m.LogOrigin)
	case m.RollCount < 0 || m.RollCount > MaxRollKeys:
		return bad("roll count %d out of range 0..%d", m.RollCount, MaxRollKeys)
	case len(m.Projects) == 0 || len(m.Projects) > MaxProjects:
		return bad("%d projects, want 1 to %d", len(m.Projects), MaxProjects)
	case m.Minimum < 0 || m.Minimum > MaxMinimum:
		return bad("minimum %d out of range 1..%d", m.Minimum, MaxMinimum)
	}
	if err := m.Ballot.Check(); err != nil {
		return err
	}
	if !RuleFits(m.Rule, m.Ballot.Kind) {
		return bad("rule %s is not a counting rule for %s ballots (record.md §11)", m.Rule, m.Ballot.Kind)
	}
	if m.Ballot.Kind == KindApproval && m.Ballot.Min > len(m.Projects) {
		return bad("approval limits %d..%d invalid for %d projects", m.Ballot.Min, m.Ballot.Max, len(m.Projects))
	}
	logName, _, err := ParseVerifierKey(m.LogKey)
	if err != nil {
		return fmt.Errorf("%w: log-key: %w", ErrInvalidManifest, err)
	}
	if logName != m.LogOrigin {
		return bad("log-key name %q differs from log-origin %q", logName, m.LogOrigin)
	}
	if _, _, err := ParseVerifierKey(m.CouncilKey); err != nil {
		return fmt.Errorf("%w: council-key: %w", ErrInvalidManifest, err)
	}
	for i, p := range m.Projects {
		switch {
		case !ValidID(p.ID):
			return bad("project id %q is not an identifier", p.ID)
		case i > 0 && m.Projects[i-1].ID >= p.ID:
			return bad("project %q not in strictly ascending order", p.ID)
		case p.Cost < 1 || p.Cost > MaxAmount:
			return bad("project %q cost %d out of range 1..%d", p.ID, p.Cost, MaxAmount)
		case !ValidID(p.Category):
			return bad("project %q category %q is not an identifier", p.ID, p.Category)
		case !ValidText(p.Title):
			return bad("project %q title is not a valid text", p.ID)
		}
	}
	return m.checkExclusive()
}

// checkExclusive checks the exclusion groups (§5): at least two projects
// each, all in the manifest, strictly ascending in a group, groups in
// strictly ascending order of their first project, no project in two.
func (m *Manifest) checkExclusive() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidManifest}, args...)...)
	}
	seen := make(map[string]bool)
	for i, g := range m.Exclusive {
		if len(g) < 2 {
			return bad("exclusion group %d has %d projects, want at least 2", i+1, len(g))
		}
		if i > 0 && m.Exclusive[i-1][0] >= g[0] {
			return bad("exclusion group %d not in ascending order of its first project", i+1)
		}
		for j, id := range g {
			if _, ok := m.Project(id); !ok {
				return bad("exclusion group %d names %q, not a project", i+1, id)
			}
			if j > 0 && g[j-1] >= id {
				return bad("exclusion group %d: %q not in strictly ascending order", i+1, id)
			}
			if seen[id] {
				return bad("project %q is in two exclusion groups", id)
			}
			seen[id] = true
		}
	}
	return nil
}

// Body validates m against docs/record.md §5 and returns its canonical note
// body. Errors wrap [ErrInvalidManifest].
func (m *Manifest) Body() ([]byte, error) {
	if err := m.validate(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	line := func(parts ...string) {
		buf.WriteString(strings.Join(parts, " "))
		buf.WriteByte('\n')
	}
	line("pb-manifest/v1")
	line("round", m.Round)
	line("community", m.Community)
	line("fund", m.Fund)
	line("title", m.Title)
	line("budget", canon.FormatDecimal(m.Budget))
	switch b := m.Ballot; b.Kind {
	case KindApproval:
		line("ballot", string(b.Kind), canon.FormatDecimal(int64(b.Min)), canon.FormatDecimal(int64(b.Max)))
	case KindApprovalCost:
		line("ballot", string(b.Kind), canon.FormatDecimal(b.Limit))
	case KindCumulative:
		line("ballot", string(b.Kind), canon.FormatDecimal(b.Total), canon.FormatDecimal(b.Cap))
	}
	line("rule", m.Rule)
	line("tiebreak", m.Tiebreak)
	if m.Minimum > 0 {
		line("minimum", canon.FormatDecimal(m.Minimum))
	}
	line("revote", m.Revote)
	line("log-origin", m.LogOrigin)
	line("log-key", m.LogKey)
	line("council-key", m.CouncilKey)
	line("roll", canon.EncodeB64(m.RollHash[:]), canon.FormatDecimal(int64(m.RollCount)))
	for _, p := range m.Projects {
		line("project", p.ID, canon.FormatDecimal(p.Cost), p.Category, p.Title)
	}
	for _, g := range m.Exclusive {
		line(append([]string{"exclusive"}, g...)...)
	}
	return buf.Bytes(), nil
}

// manifestHeader lists the keywords of the fixed lines of a manifest body,
// in order, after the pb-manifest/v1 line.
var manifestHeader = []string{"round", "community", "fund", "title", "budget", "ballot", "rule",
	"tiebreak", "revote", "log-origin", "log-key", "council-key", "roll"}

// ParseManifestBody parses a manifest note body strictly: it succeeds only
// when body is the canonical body of a valid manifest, so that Body() of
// the result equals body. Syntax errors are [*ParseError] values (matching
// [ErrNotCanonical]); rule violations wrap [ErrInvalidManifest].
func ParseManifestBody(body []byte) (*Manifest, error) {
	perr := func(line int, reason string) error {
		return &ParseError{Format: "manifest", Line: line, Reason: reason}
	}
	if len(body) == 0 || body[len(body)-1] != '\n' {
		return nil, perr(0, "missing final newline")
	}
	lines := strings.Split(string(body[:len(body)-1]), "\n")
	if lines[0] != "pb-manifest/v1" {
		return nil, perr(1, "want pb-manifest/v1")
	}
	// The optional minimum line follows tiebreak (line 10); lineNo maps
	// the lines without it back to the body's line numbers.
	var minimum string
	skip := len(lines) + 1
	if len(lines) > 9 {
		if v, ok := strings.CutPrefix(lines[9], "minimum "); ok {
			minimum, skip = v, 9
			lines = slices.Delete(slices.Clone(lines), 9, 10)
		}
	}
	lineNo := func(i int) int { // 0-based index into lines → 1-based line
		if i >= skip {
			return i + 2
		}
		return i + 1
	}
	if len(lines) < 1+len(manifestHeader)+1 {
		return nil, perr(len(lines)+1, "manifest too short")
	}
	val := make([]string, len(manifestHeader))
	for i, kw := range manifestHeader {
		v, ok := strings.CutPrefix(lines[1+i], kw+" ")
		if !ok || v == "" {
			return nil, perr(lineNo(1+i), "want "+kw+" line")
		}
		val[i] = v
	}
	m := &Manifest{
		Round: val[0], Community: val[1], Fund: val[2], Title: val[3],
		Rule: val[6], Tiebreak: val[7], Revote: val[8],
		LogOrigin: val[9], LogKey: val[10], CouncilKey: val[11],
	}
	var ok bool
	if skip < len(lines)+1 {
		if m.Minimum, ok = canon.ParseDecimal(minimum); !ok || m.Minimum == 0 {
			return nil, perr(skip+1, "minimum is not a decimal of at least 1")
		}
	}
	if m.Budget, ok = canon.ParseDecimal(val[4]); !ok {
		return nil, perr(6, "budget is not a decimal")
	}
	f := strings.Split(val[5], " ")
	nums := make([]int64, len(f)-1)
	for i, s := range f[1:] {
		if nums[i], ok = canon.ParseDecimal(s); !ok {
			return nil, perr(7, "ballot limit is not a decimal")
		}
	}
	m.Ballot.Kind = Kind(f[0])
	switch {
	case m.Ballot.Kind == KindApproval && len(nums) == 2:
		m.Ballot.Min, m.Ballot.Max = int(nums[0]), int(nums[1])
	case m.Ballot.Kind == KindApprovalCost && len(nums) == 1:
		m.Ballot.Limit = nums[0]
	case m.Ballot.Kind == KindCumulative && len(nums) == 2:
		m.Ballot.Total, m.Ballot.Cap = nums[0], nums[1]
	default:
		return nil, perr(7, "unknown ballot kind or wrong number of limits")
	}
	hash, count, _ := strings.Cut(val[12], " ")
	if m.RollHash, ok = canon.Decode32(hash); !ok {
		return nil, perr(lineNo(13), "roll hash is not b64 of 32 bytes")
	}
	n, ok := canon.ParseDecimal(count)
	if !ok {
		return nil, perr(lineNo(13), "roll count is not a decimal")
	}
	m.RollCount = int(n)
	for i, l := range lines[1+len(manifestHeader):] {
		ln := lineNo(1 + len(manifestHeader) + i)
		if v, ok := strings.CutPrefix(l, "exclusive "); ok {
			m.Exclusive = append(m.Exclusive, strings.Split(v, " "))
			continue
		}
		if m.Exclusive != nil {
			return nil, perr(ln, "want exclusive <id> <id> ...")
		}
		v, ok := strings.CutPrefix(l, "project ")
		f := strings.SplitN(v, " ", 4)
		if !ok || len(f) != 4 {
			return nil, perr(ln, "want project <id> <cost> <category> <title>")
		}
		p := Project{ID: f[0], Category: f[2], Title: f[3]}
		if p.Cost, ok = canon.ParseDecimal(f[1]); !ok {
			return nil, perr(ln, "project cost is not a decimal")
		}
		m.Projects = append(m.Projects, p)
	}
	out, err := m.Body()
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(out, body) {
		return nil, perr(0, "not the canonical encoding")
	}
	return m, nil
}

// SignManifest validates m and returns the manifest note signed by council:
// the exact bytes of leaf 0. The signer must be the key named by
// m.CouncilKey (same name and key hash); errors wrap [ErrInvalidManifest] or
// [ErrBadKey].
func SignManifest(m *Manifest, council note.Signer) ([]byte, error) {
	body, err := m.Body()
	if err != nil {
		return nil, err
	}
	v, err := note.NewVerifier(m.CouncilKey)
	if err != nil {
		return nil, fmt.Errorf("%w: council-key: %w", ErrBadKey, err)
	}
	if council.Name() != v.Name() || council.KeyHash() != v.KeyHash() {
		return nil, fmt.Errorf("%w: signer %s+%08x is not the manifest's council key", ErrBadKey, council.Name(), council.KeyHash())
	}
	msg, err := note.Sign(&note.Note{Text: string(body)}, council)
	if err != nil {
		return nil, fmt.Errorf("sign manifest: %w", err)
	}
	if _, err := note.Open(msg, note.VerifierList(v)); err != nil {
		return nil, fmt.Errorf("%w: council signer does not match council-key", ErrBadKey)
	}
	return msg, nil
}

// OpenManifest verifies leaf, a manifest note, under the council verifier
// (which must come from the trust anchors, never from the record) and parses
// its body strictly. The note must also be in the strict form of
// docs/record.md §2 ([canon.SplitNote]: strict b64 in the signature lines,
// so the note bytes, and hence the manifest hash, cannot be varied; no
// duplicate signature lines), and the manifest's council-key must name the
// same key as council. Errors wrap
// [ErrBadSignature] (missing or failing council signature), [ErrBadKey],
// [ErrNotCanonical] or [ErrInvalidManifest].
func OpenManifest(leaf []byte, council note.Verifier) (*Manifest, error) {
	if _, _, err := canon.SplitNote(leaf); err != nil {
		return nil, fmt.Errorf("manifest note: %w", &ParseError{Format: "note", Reason: err.Error()})
	}
	n, err := note.Open(leaf, note.VerifierList(council))
	if err != nil {
		var inv *note.InvalidSignatureError
		var unv *note.UnverifiedNoteError
		if errors.As(err, &inv) || errors.As(err, &unv) {
			return nil, fmt.Errorf("manifest note: %w: %w", ErrBadSignature, err)
		}
		return nil, fmt.Errorf("manifest note: %w: %w", ErrNotCanonical, err)
	}
	m, err := ParseManifestBody([]byte(n.Text))
	if err != nil {
		return nil, err
	}
	v, err := note.NewVerifier(m.CouncilKey)
	if err != nil || v.Name() != council.Name() || v.KeyHash() != council.KeyHash() {
		return nil, fmt.Errorf("%w: manifest council-key %s is not the trusted council key", ErrBadKey, m.CouncilKey)
	}
	return m, nil
}

// ManifestHash returns the manifest hash of a manifest note: SHA-256 of all
// its bytes, exactly as logged in leaf 0.
func ManifestHash(leaf []byte) [32]byte { return sha256.Sum256(leaf) }

// Project returns the project with the given id. m's projects must be
// sorted by ID, as in every valid manifest.
func (m *Manifest) Project(id string) (Project, bool) {
	i, ok := slices.BinarySearchFunc(m.Projects, id, func(p Project, id string) int { return strings.Compare(p.ID, id) })
	if !ok {
		return Project{}, false
	}
	return m.Projects[i], true
}
