package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/ballot/canon"
	"github.com/hedensted-pb/pb/tally/ledger"
	"github.com/hedensted-pb/pb/tally/recount"
)

const paperAuditUsage = `usage: pbverify paper-audit -record PATH (-anchors FILE | -log-key VKEY -council-key VKEY [-round ID] [-manifest FP])
                            -sample N [-seed HEX|B64] [-paper FILE]

After the close: compares a random sample of the paper ballots in the box
with the log (docs/record.md §10.4). The record is verified first (as
'pbverify record'); then the counted ballots entered from paper ("source
paper", §6.1) are ranked with the seed, by default the final checkpoint's
root, and the first N are printed: each slip's tag (printed on the paper),
key, position in roll.txt and the counted choices, to find and compare with
the paper in the box.

With -paper FILE the comparison is made here. FILE holds one line per paper
looked at: the slip (its tag XXXX-XXXX, its b64 key, or its roll position, a number
of at most 7 digits),
then the project IDs ticked on the paper (cumulative: ID:POINTS), nothing or
"-" when none. Blank lines and lines starting with # are skipped.

Exit status: 0 the sample was printed (with -paper: every sampled paper
matches), 1 the record does not verify, or a paper differs or is missing,
2 usage or I/O error.

flags (one or two dashes):
`

// cmdPaperAudit implements "pbverify paper-audit".
func cmdPaperAudit(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("paper-audit", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() {
		fmt.Fprint(stderr, paperAuditUsage)
		fl.PrintDefaults()
	}
	var af anchorFlags
	af.register(fl)
	record := fl.String("record", "", "the round record `PATH` (directory, .tar archive or http(s) URL prefix)")
	sample := fl.Int("sample", 0, "the sample size `N` (at least 1)")
	seedFlag := fl.String("seed", "", "the 32-byte `SEED` in hex or b64 (default: the final checkpoint's root)")
	paperFile := fl.String("paper", "", "what the sampled papers say, one `FILE` line per paper")
	pos, code := parseInterleaved(fl, args, stderr)
	if code >= 0 {
		return code
	}
	switch {
	case len(pos) > 0:
		return usageError(stderr, "paper-audit", "unexpected argument %q", pos[0])
	case *record == "":
		return usageError(stderr, "paper-audit", "missing -record PATH")
	case *sample < 1:
		return usageError(stderr, "paper-audit", "-sample N must be at least 1")
	}
	var seed tlog.Hash
	customSeed := *seedFlag != ""
	if customSeed {
		var ok bool
		if seed, ok = parseSeed(*seedFlag); !ok {
			return usageError(stderr, "paper-audit", "-seed must be 32 bytes in hex (64 digits) or b64")
		}
	}
	var papers []paperLine
	if *paperFile != "" {
		b, err := os.ReadFile(*paperFile)
		if err != nil {
			errorf(stderr, "read paper file: %v", err)
			return exitUsage
		}
		if papers, err = parsePaperFile(b); err != nil {
			errorf(stderr, "%s: %v", *paperFile, err)
			return exitUsage
		}
	}
	opts, code := af.options(stderr, "paper-audit")
	if code >= 0 {
		return code
	}
	opts.Count = recount.Count
	rec, err := loadRecord(*record)
	if err != nil {
		if rep := ledger.ReportReadError(err, opts); rep != nil {
			return printReport(stdout, stderr, rep, false)
		}
		errorf(stderr, "%v", err)
		return exitUsage
	}
	rep := ledger.Verify(rec, opts)
	if !rep.OK() {
		// The paper is compared only with a record that verifies.
		return printReport(stdout, stderr, rep, false)
	}
	if !customSeed {
		seed = rep.Tree.Root
	}
	all := ledger.PaperBallots(rec, opts.Anchors)
	picked := ledger.SamplePaper(all, seed, *sample)
	fmt.Fprintf(stdout, "round %s: record verified (%d counted ballots, %d entered from paper)\n", rep.Round, rep.Counts.Counted, len(all))
	if customSeed {
		fmt.Fprintf(stdout, "seed %s (agreed by the auditors)\n", hex.EncodeToString(seed[:]))
	} else {
		fmt.Fprintf(stdout, "seed %s (the root of the final checkpoint, size %d)\n", hex.EncodeToString(seed[:]), rep.Tree.Size)
	}
	fmt.Fprintf(stdout, "sample: %d of %d paper ballots (docs/record.md §10.4)\n\n", len(picked), len(all))
	for i, pb := range picked {
		fmt.Fprintf(stdout, "%d. slip %s  position %d  leaf %d  key %s\n   counted: %s\n", i+1, pb.Tag, pb.Position, pb.Index,
			canon.EncodeB64(pb.Ballot.Key[:]), paperChoices(pb.Ballot))
	}
	if *paperFile == "" {
		if len(picked) > 0 {
			fmt.Fprintf(stdout, "\nfind each slip's paper in the box by its tag and compare the boxes ticked; record them in a file and run again with -paper FILE\n")
		}
		return exitOK
	}
	return comparePapers(stdout, stderr, picked, papers)
}

// comparePapers compares the sampled ballots with what the papers say.
func comparePapers(stdout, stderr io.Writer, picked []ledger.PaperBallot, papers []paperLine) int {
	fmt.Fprintln(stdout)
	used := make([]bool, len(papers))
	var matched, differ, missing int
	for _, pb := range picked {
		j := slices.IndexFunc(papers, func(p paperLine) bool { return p.names(pb) })
		if j < 0 {
			missing++
			fmt.Fprintf(stdout, "MISSING   slip %s: no line for its paper\n", pb.Tag)
			continue
		}
		used[j] = true
		if got, want := papers[j].choices, paperChoices(pb.Ballot); got == want {
			matched++
			fmt.Fprintf(stdout, "match     slip %s: %s\n", pb.Tag, want)
		} else {
			differ++
			fmt.Fprintf(stdout, "MISMATCH  slip %s: the paper says %s, the log counted %s\n", pb.Tag, got, want)
		}
	}
	for j, p := range papers {
		if !used[j] {
			fmt.Fprintf(stdout, "note      line %d names slip %s, which is not in the sample: ignored\n", p.line, p.slip)
		}
	}
	fmt.Fprintf(stdout, "\n%d matched, %d mismatched, %d missing\n", matched, differ, missing)
	if differ > 0 || missing > 0 {
		errorf(stderr, "paper audit failed: %d of %d sampled papers differ from the log or are missing", differ+missing, len(picked))
		return exitFailed
	}
	fmt.Fprintln(stdout, "PAPER AUDIT PASSED")
	return exitOK
}

// paperChoices writes a ballot's choices as a paper line does: the
// project IDs (cumulative: ID:POINTS) separated by spaces, "-" when none.
func paperChoices(b *ballot.Ballot) string {
	var f []string
	if b.Cumulative {
		for _, p := range b.Points {
			f = append(f, p.Project+":"+canon.FormatDecimal(p.N))
		}
	} else {
		f = append(f, b.Approve...)
	}
	if len(f) == 0 {
		return "-"
	}
	return strings.Join(f, " ")
}

// paperLine is one line of a -paper file.
type paperLine struct {
	line     int
	slip     string // as written
	tag      string // 8 Crockford digits, when the slip is a tag
	key      [32]byte
	isKey    bool
	position int
	choices  string // canonical: sorted, "-" when none
}

// names reports whether the line is about pb's slip.
func (p paperLine) names(pb ledger.PaperBallot) bool {
	switch {
	case p.isKey:
		return p.key == pb.Ballot.Key
	case p.position > 0:
		return p.position == pb.Position
	}
	return p.tag == strings.ReplaceAll(pb.Tag, "-", "")
}

// parsePaperFile reads a -paper file. Errors name the line.
func parsePaperFile(b []byte) ([]paperLine, error) {
	var out []paperLine
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		f := strings.Fields(sc.Text())
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		p := paperLine{line: n, slip: f[0]}
		if k, ok := canon.Decode32(f[0]); ok {
			p.key, p.isKey = k, true
		} else if v, err := strconv.Atoi(f[0]); err == nil && v > 0 && len(f[0]) < 8 {
			p.position = v
		} else if t, ok := parseTag(f[0]); ok {
			p.tag = t
		} else {
			return nil, fmt.Errorf("line %d: %q is not a slip tag (XXXX-XXXX), key or roll position", n, f[0])
		}
		ids := f[1:]
		if len(ids) == 1 && ids[0] == "-" {
			ids = nil
		}
		slices.Sort(ids)
		for i, id := range ids {
			name, _, _ := strings.Cut(id, ":")
			if !ballot.ValidID(name) {
				return nil, fmt.Errorf("line %d: %q is not a project ID", n, id)
			}
			if i > 0 && ids[i-1] == id {
				return nil, fmt.Errorf("line %d: project %s twice", n, id)
			}
		}
		p.choices = "-"
		if len(ids) > 0 {
			p.choices = strings.Join(ids, " ")
		}
		out = append(out, p)
	}
	return out, sc.Err()
}

// parseTag reads a slip tag: 8 Crockford digits, hyphens and case free,
// with the usual reading of O, I and L.
func parseTag(s string) (string, bool) {
	s = strings.ToUpper(strings.ReplaceAll(s, "-", ""))
	s = strings.NewReplacer("O", "0", "I", "1", "L", "1").Replace(s)
	if len(s) != 8 {
		return "", false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789ABCDEFGHJKMNPQRSTVWXYZ", c) {
			return "", false
		}
	}
	return s, true
}

// parseSeed reads 32 bytes in hex or strict b64.
func parseSeed(s string) (tlog.Hash, bool) {
	if b, err := hex.DecodeString(s); err == nil && len(b) == 32 {
		return tlog.Hash(b), true
	}
	return canon.Decode32(s)
}
