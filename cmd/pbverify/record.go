package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/tally"
	"github.com/hedensted-pb/pb/tally/ledger"
	"github.com/hedensted-pb/pb/tally/recount"
)

const recordUsage = `usage: pbverify record PATH (-anchors FILE | -log-key VKEY -council-key VKEY [-round ID] [-manifest FP])
                       [-checkpoint FILE]... [-attendance N] [-unused FILE] [-json]

Verifies a round's record: the manifest and roll against the trust anchors,
every ballot's key, signature and limits, the one-ballot rule, the close
leaf, the Merkle tree against the final checkpoint, every checkpoint the log
signed (and those given with -checkpoint), the result notes, and the count.
With -attendance, the counted ballots must not exceed the head count; with
-unused, the codes of slips collected unused must be on the roll and must
not have voted (a ballot from a slip nobody took was stuffed).

PATH is a record directory, a record archive (.tar), or an http(s) URL
prefix under which roll.txt, leaves.txt, checkpoints.txt and results.txt
are served. The trust anchors come from the poster or slip (anchors.txt or
the flags), never from the record.

Exit status: 0 verified, 1 a check failed, 2 usage or I/O error.

flags (one or two dashes):
`

// cmdRecord implements "pbverify record".
func cmdRecord(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("record", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() {
		fmt.Fprint(stderr, recordUsage)
		fl.PrintDefaults()
	}
	var af anchorFlags
	af.register(fl)
	var cps listFlag
	fl.Var(&cps, "checkpoint", "a checkpoint note `FILE` seen outside the record (projector, watcher); repeatable")
	asJSON := fl.Bool("json", false, "print the machine-readable JSON report")
	attendance := fl.Int64("attendance", 0, "the meeting's head count `N`: fail when more ballots are counted")
	unused := fl.String("unused", "", "`FILE` of the codes of slips collected unused (one per line): fail if one is off the roll or voted")
	pos, code := parseInterleaved(fl, args, stderr)
	if code >= 0 {
		return code
	}
	if len(pos) != 1 {
		return usageError(stderr, "record", "want exactly one record PATH, got %d arguments", len(pos))
	}
	if *attendance < 0 {
		return usageError(stderr, "record", "-attendance must not be negative")
	}
	opts, code := af.options(stderr, "record")
	if code >= 0 {
		return code
	}
	var why explained
	opts.Count = why.count
	opts.Attendance = *attendance
	if *unused != "" {
		b, err := os.ReadFile(*unused)
		if err != nil {
			errorf(stderr, "read unused codes: %v", err)
			return exitUsage
		}
		if opts.Unused, err = parseCodeList(b); err != nil {
			errorf(stderr, "%s: %v", *unused, err)
			return exitUsage
		}
	}
	for _, f := range cps {
		b, err := os.ReadFile(f)
		if err != nil {
			errorf(stderr, "read checkpoint: %v", err)
			return exitUsage
		}
		opts.Checkpoints = append(opts.Checkpoints, ledger.Source{Name: f, Bytes: b})
	}
	rep, code := verifyPath(pos[0], opts, stderr)
	if code >= 0 {
		return code
	}
	if !*asJSON {
		why.write(stdout)
	} else if why.o != nil {
		return printJSONWhy(stdout, stderr, rep, why.json())
	}
	return printReport(stdout, stderr, rep, *asJSON)
}

// whyJSON is the recount's explanation in the JSON report ("why").
type whyJSON struct {
	Rule      string           `json:"rule"`
	Tiebreak  string           `json:"tiebreak"`
	Minimum   int64            `json:"minimum,omitempty"`
	Exclusive [][]string       `json:"exclusive,omitempty"`
	Note      string           `json:"note,omitempty"`
	Projects  []whyProjectJSON `json:"projects"`
}

type whyProjectJSON struct {
	ID          string `json:"id"`
	Funded      bool   `json:"funded"`
	Reason      string `json:"reason"`
	Step        int    `json:"step,omitempty"`
	Minimum     int64  `json:"minimum,omitempty"`
	ExcludedBy  string `json:"excluded_by,omitempty"`
	Explanation string `json:"explanation"`
}

// json returns the explanations for the JSON report.
func (x *explained) json() whyJSON {
	w := whyJSON{Rule: x.m.Rule, Tiebreak: x.m.Tiebreak, Minimum: x.m.Minimum, Exclusive: x.m.Exclusive, Note: x.o.Note}
	for i, p := range x.m.Projects {
		e := x.o.Explanations[i]
		w.Projects = append(w.Projects, whyProjectJSON{ID: p.ID, Funded: e.Funded, Reason: string(e.Reason), Step: e.Step,
			Minimum: e.Minimum, ExcludedBy: e.ExcludedBy, Explanation: e.Text})
	}
	return w
}

// printJSONWhy prints the JSON report with the recount's explanations as
// its last member "why", and returns the exit code as printReport does.
func printJSONWhy(stdout, stderr io.Writer, rep *ledger.Report, why whyJSON) int {
	b, err := rep.JSON()
	if err != nil {
		errorf(stderr, "%v", err)
		return exitUsage
	}
	w, err := json.MarshalIndent(why, "  ", "  ")
	if err != nil {
		errorf(stderr, "%v", err)
		return exitUsage
	}
	b = bytes.TrimRight(b, "\n")
	if len(b) == 0 || b[len(b)-1] != '}' {
		errorf(stderr, "malformed JSON report")
		return exitUsage
	}
	out := append(append(append([]byte(nil), b[:len(b)-1]...), []byte(",\n  \"why\": ")...), w...)
	out = append(bytes.TrimRight(out, " \n"), []byte("\n}\n")...)
	if _, err := stdout.Write(out); err != nil {
		errorf(stderr, "%v", err)
		return exitUsage
	}
	return verdict(stderr, rep)
}

// explained keeps the recount's explanations: the rule's reason for every
// project (docs/counting.md §4), the minimum and exclusion groups
// included (§2.8), from the one count check recount makes.
type explained struct {
	m *ballot.Manifest
	o *tally.Outcome
}

// count is the ledger.CountFunc of pbverify record: recount.Count, keeping
// the explanations.
func (x *explained) count(m *ballot.Manifest, counted []*ballot.Ballot, seed tlog.Hash) (*ledger.Outcome, error) {
	res, o, err := recount.Explain(m, counted, seed)
	x.m, x.o = m, o
	return res, err
}

// write prints why the recount funded each project or not, before the
// report (whose last line stays the verdict); nothing when no recount ran.
func (x *explained) write(w io.Writer) {
	if x.o == nil {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "recount with %s, tie-break %s", x.m.Rule, x.m.Tiebreak)
	if x.m.Minimum > 0 {
		unit := "votes"
		if x.m.Ballot.Kind == ballot.KindCumulative {
			unit = "points"
		}
		fmt.Fprintf(&b, ", minimum %d %s to be funded", x.m.Minimum, unit)
	}
	for _, g := range x.m.Exclusive {
		fmt.Fprintf(&b, ", at most one of %s", strings.Join(g, " "))
	}
	b.WriteString(":\n")
	if x.o.Note != "" {
		fmt.Fprintf(&b, "  %s\n", x.o.Note)
	}
	for i, p := range x.m.Projects {
		e := x.o.Explanations[i]
		word := "not funded"
		if e.Funded {
			word = "funded"
		}
		fmt.Fprintf(&b, "  %-24s %-10s %s (%s)\n", p.ID, word, e.Text, p.Title)
	}
	b.WriteString("\n")
	io.WriteString(w, b.String())
}

// verifyGCPercent is the Go runtime's GOGC while a record is verified
// (unless GOGC is set).
const verifyGCPercent = 50

// verifyPath verifies the record at path as it streams in. A record whose
// files are malformed gives a failing report; an unreadable one exits 2
// (code ≥ 0).
func verifyPath(path string, opts ledger.VerifyOptions, stderr io.Writer) (*ledger.Report, int) {
	rep, err := streamVerify(path, opts, stderr)
	if err == nil {
		return rep, -1
	}
	if rep := ledger.ReportReadError(err, opts); rep != nil {
		return rep, -1
	}
	errorf(stderr, "%v", err)
	if errors.Is(err, ledger.ErrArchive) {
		hintf(stderr, "the archive must be exactly as the platform exports it (docs/record.md §10.1)")
	}
	return nil, exitUsage
}

// streamVerify opens the record at path and runs ledger.VerifyStream on
// it, with a progress line on stderr when stderr is a terminal.
func streamVerify(path string, opts ledger.VerifyOptions, stderr io.Writer) (*ledger.Report, error) {
	if os.Getenv("GOGC") == "" {
		// What a verification keeps is about 140 bytes per voter; the
		// garbage of a million leaves passing through is collected when
		// the heap is half again what is live, not twice (a third less
		// memory for a city's record, for about 1% more CPU).
		debug.SetGCPercent(verifyGCPercent)
	}
	s, closeFn, err := openStream(path)
	if err != nil {
		return nil, err
	}
	p := startProgress(stderr, s.LeavesSize)
	s.Next = p.count(s.Next)
	rep, err := ledger.VerifyStream(s, opts)
	p.stop()
	return rep, errors.Join(err, closeFn())
}

// anchorFlags are the trust-anchor flags shared by record and receipt.
type anchorFlags struct {
	file, logKey, councilKey, round, manifest string
}

func (a *anchorFlags) register(fl *flag.FlagSet) {
	fl.StringVar(&a.file, "anchors", "", "trust anchors `FILE` (anchors.txt from the poster or slip)")
	fl.StringVar(&a.logKey, "log-key", "", "the log's verifier key `VKEY` (instead of -anchors)")
	fl.StringVar(&a.councilKey, "council-key", "", "the council's verifier key `VKEY` (instead of -anchors)")
	fl.StringVar(&a.round, "round", "", "the round `ID` (with -log-key)")
	fl.StringVar(&a.manifest, "manifest", "", "the manifest fingerprint `FP` XXXX-XXXX-XXXX-XXXX (with -log-key)")
}

// options builds the verify options from the anchor flags. A missing or
// unreadable anchors file, or a mix of -anchors with key flags, is a usage
// error (code ≥ 0); anchors that do not parse fail the anchors check.
func (a *anchorFlags) options(stderr io.Writer, cmd string) (ledger.VerifyOptions, int) {
	var opts ledger.VerifyOptions
	keys := a.logKey != "" || a.councilKey != "" || a.round != "" || a.manifest != ""
	switch {
	case a.file != "" && keys:
		return opts, usageError(stderr, cmd, "give either -anchors or -log-key/-council-key, not both")
	case a.file != "":
		b, err := os.ReadFile(a.file)
		if err != nil {
			errorf(stderr, "read anchors: %v", err)
			return opts, exitUsage
		}
		opts.Anchors, opts.AnchorsError = ledger.ParseAnchors(b)
		if opts.AnchorsError != nil {
			opts.AnchorsError = fmt.Errorf("%s: %w", a.file, opts.AnchorsError)
		}
	case a.logKey == "" || a.councilKey == "":
		return opts, usageError(stderr, cmd, "the trust anchors are missing: give -anchors FILE, or -log-key and -council-key")
	default:
		opts.Anchors = &ledger.Anchors{Round: a.round, LogKey: a.logKey, CouncilKey: a.councilKey}
		if a.manifest != "" {
			opts.Anchors.Manifest, opts.AnchorsError = ledger.ParseFingerprint(a.manifest)
		}
	}
	return opts, -1
}

// parseCodeList reads voting codes, one per line, in any form ParseCode
// accepts; blank lines and lines starting with # are skipped. Errors name
// the line, never its text (it may be a code).
func parseCodeList(b []byte) ([]ballot.Code, error) {
	codes := []ballot.Code{}
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		c, err := ballot.ParseCode(line)
		if err != nil {
			return nil, fmt.Errorf("line %d is not a voting code: %w", i+1, err)
		}
		codes = append(codes, c)
	}
	return codes, nil
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// parseInterleaved parses flags that may come before or after positional
// arguments ("record DIR -json"). It returns the positional arguments, or
// an exit code ≥ 0 when parsing failed or help was asked for. A lone "--"
// ends the flags.
func parseInterleaved(fl *flag.FlagSet, args []string, stderr io.Writer) ([]string, int) {
	var pos []string
	for {
		if err := fl.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitOK
			}
			return nil, exitUsage
		}
		rest := fl.Args()
		if len(rest) == 0 {
			return pos, -1
		}
		// flag stops at "--" (consumed) or at the first non-flag.
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), -1
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// usageError prints a usage error with a hint and returns exitUsage.
func usageError(stderr io.Writer, cmd, format string, a ...any) int {
	errorf(stderr, format, a...)
	hintf(stderr, "run 'pbverify %s -h' for usage", cmd)
	return exitUsage
}
