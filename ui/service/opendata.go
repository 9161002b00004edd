package service

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/hedensted-pb/pb/tally"
	"github.com/hedensted-pb/pb/tally/ledger"
	"github.com/hedensted-pb/pb/tally/recount"
	"github.com/hedensted-pb/pb/ui/core"
)

// Open data: what the council publishes besides the record, for people
// who read numbers in a spreadsheet rather than verify signatures. Every
// figure comes from the stored round and its verified result note
// ([Service.Result]); nothing here counts anew except
// [Service.RuleComparison], which counts with [recount.Tally] like the
// server and pbverify do. No export holds a proposer's name or contact.

// ReportProject is one project of a [RoundReport].
type ReportProject struct {
	ID, Title, Category string
	Cost                int64
	Votes               int64 // approvals or points; 0 before publication
	Funded              bool
	Amount              int64 // the cost when funded
}

// RoundReport is a round with its projects and, once published, its result:
// the rows of the CSV exports and the content of the minutes.
type RoundReport struct {
	Round     core.Round
	Community core.Community
	Projects  []ReportProject // in ID order (the manifest's order)
	LogSize   int64           // leaves in the round's log
	Result    *ledger.Result  // nil before publication
	// FinalRoot is the root of the final checkpoint in base64 (published
	// rounds only).
	FinalRoot string
}

// RoundReport returns round id's report.
func (s *Service) RoundReport(ctx context.Context, id string) (*RoundReport, error) {
	d, err := s.RoundDetail(ctx, id)
	if err != nil {
		return nil, err
	}
	rep := &RoundReport{Round: d.Round, Community: d.Community, LogSize: d.LogSize}
	for _, p := range d.Projects {
		rep.Projects = append(rep.Projects, ReportProject{ID: p.ID, Title: p.Title, Category: p.Category, Cost: p.Cost})
	}
	sort.Slice(rep.Projects, func(i, j int) bool { return rep.Projects[i].ID < rep.Projects[j].ID })
	if d.Round.Phase != core.PhasePublished {
		return rep, nil
	}
	res, _, err := s.Result(ctx, id)
	if err != nil {
		return nil, err
	}
	rep.Result = res
	rep.FinalRoot = base64.StdEncoding.EncodeToString(res.Checkpoint.Root[:])
	byID := map[string]ledger.ResultProject{}
	for _, p := range res.Projects {
		byID[p.ID] = p
	}
	for i := range rep.Projects {
		rp := byID[rep.Projects[i].ID]
		rep.Projects[i].Votes, rep.Projects[i].Funded, rep.Projects[i].Amount = rp.Votes, rp.Funded, rp.Amount
	}
	return rep, nil
}

// csvHeader is the first row of every CSV export: machine-readable
// column names, the same in the round's and the fund's file.
var csvHeader = []string{"fund", "year", "community", "community_name", "round", "round_title", "phase",
	"rule", "ballots", "project", "title", "category", "cost", "votes", "funded", "amount"}

// csvCell guards a text cell against spreadsheet formulas: a cell that
// starts with =, +, -, @, a tab or a carriage return is read as a formula
// by spreadsheets (OWASP "CSV injection"), so it gets a leading
// apostrophe, which spreadsheets show as text.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// writeRows writes rep's rows (one per project) to w.
func (rep *RoundReport) writeRows(w *csv.Writer) error {
	r := rep.Round
	ballots, funded := "", ""
	if rep.Result != nil {
		ballots = strconv.FormatInt(rep.Result.Ballots, 10)
	}
	for _, p := range rep.Projects {
		votes, amount := "", ""
		if rep.Result != nil {
			votes, amount = strconv.FormatInt(p.Votes, 10), strconv.FormatInt(p.Amount, 10)
			funded = "no"
			if p.Funded {
				funded = "yes"
			}
		}
		row := []string{r.Fund, strconv.Itoa(r.Year), r.Community, csvCell(rep.Community.Name), r.ID, csvCell(r.Title),
			string(r.Phase), r.Rule, ballots, p.ID, csvCell(p.Title), p.Category, strconv.FormatInt(p.Cost, 10),
			votes, funded, amount}
		if err := w.Write(row); err != nil {
			return err
		}
	}
	return nil
}

// utf8BOM starts each CSV file so that spreadsheets (Excel in particular)
// read the Danish letters as UTF-8.
const utf8BOM = "\ufeff"

// RoundCSV returns round id's projects and (once published) results as
// CSV: RFC 4180, comma-separated, CRLF line ends, UTF-8 with a byte-order
// mark, one row per project under the header [csvHeader]. Votes, funded
// and amount are empty before publication; funded is "yes" or "no".
func (s *Service) RoundCSV(ctx context.Context, id string) ([]byte, error) {
	rep, err := s.RoundReport(ctx, id)
	if err != nil {
		return nil, err
	}
	return reportsCSV([]*RoundReport{rep})
}

func reportsCSV(reps []*RoundReport) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(utf8BOM)
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	if err := w.Write(csvHeader); err != nil {
		return nil, err
	}
	for _, rep := range reps {
		if err := rep.writeRows(w); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return b.Bytes(), w.Error()
}

// fundReports returns the reports of fund id's rounds that are not
// cancelled, by year, community and round ID.
func (s *Service) fundReports(ctx context.Context, id string) (core.Fund, []*RoundReport, error) {
	f, err := s.Fund(ctx, id)
	if err != nil {
		return f, nil, err
	}
	rounds, err := s.Rounds(ctx)
	if err != nil {
		return f, nil, err
	}
	var reps []*RoundReport
	for _, r := range rounds {
		if r.Fund != id || !r.Cancelled.IsZero() {
			continue
		}
		rep, err := s.RoundReport(ctx, r.ID)
		if err != nil {
			return f, nil, err
		}
		reps = append(reps, rep)
	}
	sort.SliceStable(reps, func(i, j int) bool {
		a, b := reps[i].Round, reps[j].Round
		if a.Year != b.Year {
			return a.Year < b.Year
		}
		if a.Community != b.Community {
			return a.Community < b.Community
		}
		return a.ID < b.ID
	})
	return f, reps, nil
}

// FundCSV returns every project of fund id's rounds (cancelled rounds
// left out) in the format of [Service.RoundCSV].
func (s *Service) FundCSV(ctx context.Context, id string) ([]byte, error) {
	_, reps, err := s.fundReports(ctx, id)
	if err != nil {
		return nil, err
	}
	return reportsCSV(reps)
}

// FundArchive returns a zip of fund id's open data: README.txt,
// projects.csv ([Service.FundCSV]), and for every round whose voting has
// closed a folder named after the round with its record archive
// (record.tar, as pbverify reads it), its Pabulib file (round.pb), its
// results.csv and its anchors.txt.
func (s *Service) FundArchive(ctx context.Context, id string) ([]byte, error) {
	f, reps, err := s.fundReports(ctx, id)
	if err != nil {
		return nil, err
	}
	all, err := reportsCSV(reps)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	z := zip.NewWriter(&b)
	put := func(name string, data []byte) error {
		w, err := z.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: f.Created})
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	}
	var closed []*RoundReport
	for _, rep := range reps {
		if rep.Round.Phase.Order() >= core.PhaseClosed.Order() {
			closed = append(closed, rep)
		}
	}
	if err := put("README.txt", fundReadme(f, closed, s.cfg.BaseURL)); err != nil {
		return nil, err
	}
	if err := put("projects.csv", all); err != nil {
		return nil, err
	}
	// The fund's ledger, laid out as pbverify fund reads a directory.
	leaves, cps, err := s.FundLedger(ctx, f.ID)
	if err != nil {
		return nil, err
	}
	anchors, err := s.FundAnchors(ctx, f.ID)
	if err != nil {
		return nil, err
	}
	for _, file := range []struct {
		name string
		data []byte
	}{{"funds/" + f.ID + "/ledger/leaves.txt", ledger.EncodeLines(leaves)},
		{"funds/" + f.ID + "/ledger/checkpoints.txt", ledger.EncodeLines(cps)},
		{"funds/" + f.ID + "/anchors.txt", anchors}} {
		if err := put(file.name, file.data); err != nil {
			return nil, err
		}
	}
	for _, rep := range closed {
		r := rep.Round
		rec, err := s.Record(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		var tarb bytes.Buffer
		if err := rec.WriteArchive(&tarb); err != nil {
			return nil, err
		}
		pb, err := s.PabulibFile(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		rows, err := reportsCSV([]*RoundReport{rep})
		if err != nil {
			return nil, err
		}
		an := ledger.Anchors{Round: r.ID, LogKey: r.LogKey, CouncilKey: r.CouncilKey, Manifest: r.Fingerprint}
		for _, file := range []struct {
			name string
			data []byte
		}{{"record.tar", tarb.Bytes()}, {"round.pb", pb}, {"results.csv", rows}, {"anchors.txt", an.Bytes()}} {
			if err := put(r.ID+"/"+file.name, file.data); err != nil {
				return nil, err
			}
		}
	}
	if err := z.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// fundReadme is the README.txt of a fund archive, in Danish and English.
func fundReadme(f core.Fund, closed []*RoundReport, base string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s)\n\n", f.Name, f.ID)
	b.WriteString(`DANSK

Åbne data for puljen: alle runders projekter og resultater.

  projects.csv          ét projekt pr. linje for alle runder (kommasepareret, UTF-8).
                        Kolonner: pulje, år, lokalområde (id og navn), runde (id og titel), fase,
                        optællingsregel, talte stemmer, projekt-id, titel, kategori, pris,
                        stemmer (eller point), finansieret (yes/no), beløb.
  RUNDE/record.tar      rundens protokol: manifest, stemmeliste, alle stemmer, checkpoints, resultat.
  RUNDE/round.pb        stemmerne i Pabulib-formatet (pabulib.org/format).
  RUNDE/results.csv     rundens linjer fra projects.csv.
  RUNDE/anchors.txt     rundens tillidsankre, som serveren oplyser dem.
  funds/PULJE/ledger/   puljens protokol (docs/record.md §14): fordelingen, hver rundes reservation og
                        resultat, aflysninger og overførsler, underskrevet med puljens nøgle.
  funds/PULJE/anchors.txt  puljens nøgle, som serveren oplyser den.

Tjek en runde med pbverify (go build ./cmd/pbverify), med ankrene fra rundens plakat, ikke fra
denne fil, som kommer fra den server, du tjekker:

  pbverify record RUNDE/record.tar --anchors plakatens-anchors.txt

Tjek puljens protokol med ankrene fra puljens plakat:

  pbverify fund funds/PULJE/ledger --anchors puljeplakatens-anchors.txt

Tal stemmerne med en anden regel (en sammenligning, ikke resultatet):

  pbverify count RUNDE/round.pb --rule equalshares/add1

ENGLISH

Open data of the fund: every round's projects and results.

  projects.csv          one project per line for every round (comma-separated, UTF-8).
                        Columns: fund, year, community (id and name), round (id and title), phase,
                        counting rule, ballots counted, project id, title, category, cost,
                        votes (or points), funded (yes/no), amount.
  ROUND/record.tar      the round's record: manifest, roll, every ballot, checkpoints, result.
  ROUND/round.pb        the ballots in the Pabulib format (pabulib.org/format).
  ROUND/results.csv     the round's lines of projects.csv.
  ROUND/anchors.txt     the round's trust anchors as the server states them.
  funds/FUND/ledger/    the fund's ledger (docs/record.md §14): the allocation, every round's
                        reservation and result, cancellations and carry-over, signed by the fund key.
  funds/FUND/anchors.txt  the fund's key as the server states it.

Verify a round with pbverify (go build ./cmd/pbverify), with the anchors from the round's poster,
not from this file, which comes from the server you are checking:

  pbverify record ROUND/record.tar --anchors anchors-from-the-poster.txt

Verify the fund's ledger with the anchors from the fund's poster:

  pbverify fund funds/FUND/ledger --anchors anchors-from-the-fund-poster.txt

Count the ballots with another rule (a comparison, not the result):

  pbverify count ROUND/round.pb --rule equalshares/add1

`)
	b.WriteString("Rounds / runder:\n")
	if len(closed) == 0 {
		b.WriteString("  (none yet / ingen endnu)\n")
	}
	for _, rep := range closed {
		r := rep.Round
		fmt.Fprintf(&b, "  %-24s %d  %s  %s  manifest %s\n", r.ID, r.Year, rep.Community.Name, r.Phase, r.Fingerprint)
	}
	fmt.Fprintf(&b, "\nSource / kilde: %s\n", base)
	return []byte(b.String())
}

// RuleComparison is what another counting rule would have funded with a
// published round's counted ballots: a comparison, never the result.
type RuleComparison struct {
	Round     string
	Rule, Alt string          // the round's rule and the rule compared with
	Funded    map[string]bool // by project ID, under the round's rule (the published result)
	AltFunded map[string]bool // by project ID, under Alt
	Spent     int64           // the published result's
	AltSpent  int64
}

// altRule is the rule a round's rule is compared with: Equal Shares (with
// the completion by adding one to the budget) for a greedy rule, greedy for
// an Equal Shares rule, with points for cumulative ballots; "" for other
// rules.
func altRule(rule, kind string) string {
	points := kind == tally.KindCumulative
	switch {
	case strings.HasPrefix(rule, "greedy") && points:
		return tally.RuleEqualSharesPoints
	case strings.HasPrefix(rule, "greedy"):
		return tally.RuleAdd1
	case strings.HasPrefix(rule, "equalshares") && points:
		return tally.RuleGreedyPoints
	case strings.HasPrefix(rule, "equalshares"):
		return tally.RuleGreedy
	}
	return ""
}

// RuleComparison counts published round id's counted ballots again with
// the rule [altRule] names, with [recount.Tally] (the manifest's tie-break
// order and the final checkpoint's root as the lot). It returns nil for a
// round counted by a rule with no comparison. A published round never
// changes, so callers may keep the answer.
func (s *Service) RuleComparison(ctx context.Context, id string) (*RuleComparison, error) {
	var c *RuleComparison
	res, _, err := s.Result(ctx, id)
	if err != nil {
		return nil, err
	}
	fr, err := s.FrozenRound(ctx, id)
	if err != nil {
		return nil, err
	}
	m := *fr.Manifest
	alt := altRule(m.Rule, string(m.Ballot.Kind))
	if alt != "" {
		rec, err := s.record(ctx, id)
		if err != nil {
			return nil, err
		}
		m.Rule = alt
		e, out, err := recount.Tally(&m, ledger.CountedBallots(rec, fr.Anchors), res.Checkpoint.Root)
		if err != nil {
			return nil, fmt.Errorf("service: compare %s with %s: %w", id, alt, err)
		}
		c = &RuleComparison{Round: id, Rule: fr.Manifest.Rule, Alt: alt, Funded: map[string]bool{}, AltFunded: map[string]bool{},
			Spent: res.Spent, AltSpent: out.Spent}
		for _, p := range res.Projects {
			c.Funded[p.ID] = p.Funded
		}
		for i, p := range e.Projects {
			c.AltFunded[p.ID] = out.Funded[i]
		}
	}
	return c, nil
}

// TurnoutRow is one community in one tranche year of [FundStats].
type TurnoutRow struct {
	Year      int
	Community core.Community
	Round     *core.Round // nil when the community has no round that year
	Ballots   int64       // counted ballots; -1 when not published
	HandedOut int         // slips handed out (the turnout base); 0 unknown
}

// CategoryStat is the money and votes of one category over a fund's
// published rounds.
type CategoryStat struct {
	ID, Name        string // Name as the first round with the category calls it
	Projects        int
	Funded          int
	Votes           int64
	Amount          int64 // funded
	RequestedAmount int64 // the cost of every project on the ballots
}

// FundStats is the statistics page of a fund.
type FundStats struct {
	Fund       core.Fund
	Years      []int
	Turnout    []TurnoutRow // by year, then community name
	Categories []CategoryStat
	Reports    map[string]*RoundReport
}

// FundStats gathers fund id's statistics: turnout per community and
// tranche year (against population and slips handed out), money and votes
// per category over published rounds. The comparison of rules is
// [Service.RuleComparison], per round.
func (s *Service) FundStats(ctx context.Context, id string) (*FundStats, error) {
	f, reps, err := s.fundReports(ctx, id)
	if err != nil {
		return nil, err
	}
	comms, err := s.Communities(ctx)
	if err != nil {
		return nil, err
	}
	st := &FundStats{Fund: f, Reports: map[string]*RoundReport{}}
	byKey := map[string]*RoundReport{} // year/community → the latest round
	for _, rep := range reps {
		st.Reports[rep.Round.ID] = rep
		byKey[fmt.Sprintf("%d/%s", rep.Round.Year, rep.Round.Community)] = rep
	}
	sort.Slice(comms, func(i, j int) bool { return comms[i].Name < comms[j].Name })
	for _, tr := range f.Tranches {
		st.Years = append(st.Years, tr.Year)
		for _, cm := range comms {
			if cm.Fund != id {
				continue
			}
			row := TurnoutRow{Year: tr.Year, Community: cm, Ballots: -1}
			if rep, ok := byKey[fmt.Sprintf("%d/%s", tr.Year, cm.ID)]; ok {
				r := rep.Round
				row.Round = &r
				row.HandedOut = r.TurnoutBase()
				if rep.Result != nil {
					row.Ballots = rep.Result.Ballots
				}
			} else if cm.Removed {
				continue
			}
			st.Turnout = append(st.Turnout, row)
		}
	}
	cats := map[string]*CategoryStat{}
	var order []string
	for _, rep := range reps {
		if rep.Result == nil {
			continue
		}
		names := map[string]string{}
		for _, c := range rep.Round.Categories {
			names[c.ID] = c.Name
		}
		for _, p := range rep.Projects {
			c, ok := cats[p.Category]
			if !ok {
				c = &CategoryStat{ID: p.Category, Name: names[p.Category]}
				cats[p.Category] = c
				order = append(order, p.Category)
			}
			c.Projects++
			c.Votes += p.Votes
			c.RequestedAmount += p.Cost
			if p.Funded {
				c.Funded++
				c.Amount += p.Amount
			}
		}
	}
	sort.Strings(order)
	for _, k := range order {
		st.Categories = append(st.Categories, *cats[k])
	}
	return st, nil
}
