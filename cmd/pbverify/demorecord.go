package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/tally/ledger"
	"github.com/hedensted-pb/pb/tally/recount"
)

const demoRecordUsage = `usage: pbverify demo-record -out DIR -ballots N [-seed S] [-kind KIND] [-archive FILE] [-paper K]

Writes a valid sample round record, built deterministically from the seed:
DIR/roll.txt, leaves.txt, checkpoints.txt and results.txt, the trust
anchors in DIR/anchors.txt, and a few voters' receipts in DIR/receipts/.
With -paper K the first K voters vote on paper (docs/record.md §6.4), and
DIR/paper.txt says what each paper in the box says, for paper-audit.
Try: pbverify record DIR -anchors DIR/anchors.txt

The demo's keys come from a public seed: never use them for a real round.

flags (one or two dashes):
`

// maxDemoBallots bounds -ballots.
const maxDemoBallots = 1000000

// cmdDemoRecord implements "pbverify demo-record".
func cmdDemoRecord(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("demo-record", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() {
		fmt.Fprint(stderr, demoRecordUsage)
		fl.PrintDefaults()
	}
	out := fl.String("out", "", "output `DIR`ectory (created if missing)")
	ballots := fl.Int("ballots", 0, "number of voters who cast a ballot")
	seed := fl.Uint64("seed", 1, "seed of the deterministic generator")
	kind := fl.String("kind", string(ballot.KindApproval), "ballot `KIND`: approval, approval-cost or cumulative")
	archive := fl.String("archive", "", "also write the record archive (.tar) to `FILE`")
	receipts := fl.Int("receipts", 3, "number of receipts to write")
	paper := fl.Int("paper", 0, "number of voters (the first ones) who vote on paper")
	pos, code := parseInterleaved(fl, args, stderr)
	if code >= 0 {
		return code
	}
	switch {
	case len(pos) > 0:
		return usageError(stderr, "demo-record", "unexpected argument %q", pos[0])
	case *out == "":
		return usageError(stderr, "demo-record", "missing -out DIR")
	case *ballots < 0 || *ballots > maxDemoBallots:
		return usageError(stderr, "demo-record", "-ballots must be between 0 and %d", maxDemoBallots)
	case *receipts < 0:
		return usageError(stderr, "demo-record", "-receipts must not be negative")
	case *paper < 0 || *paper > *ballots:
		return usageError(stderr, "demo-record", "-paper must be between 0 and -ballots")
	}
	switch k := ballot.Kind(*kind); k {
	case ballot.KindApproval, ballot.KindApprovalCost, ballot.KindCumulative:
	default:
		return usageError(stderr, "demo-record", "unknown -kind %q", *kind)
	}
	nr := *receipts
	if nr == 0 {
		nr = -1 // DemoOptions: 0 means the default, negative none
	}
	d, err := ledger.BuildDemo(ledger.DemoOptions{Seed: *seed, Ballots: *ballots, Kind: ballot.Kind(*kind), Receipts: nr, Count: recount.Count, Paper: *paper})
	if err != nil {
		errorf(stderr, "%v", err)
		return exitUsage
	}
	if err := writeDemo(d, *out, *archive); err != nil {
		errorf(stderr, "%v", err)
		return exitUsage
	}
	fmt.Fprintf(stdout, "wrote round %s to %s: %d leaves, %d checkpoints, %d receipts\n",
		d.Manifest.Round, *out, len(d.Record.Leaves), len(d.Record.Checkpoints), len(d.Receipts))
	fmt.Fprintf(stdout, "manifest fingerprint %s\n", ballot.FormatFingerprint(d.Anchors.Manifest))
	fmt.Fprintf(stdout, "verify with: pbverify record %s -anchors %s\n", *out, filepath.Join(*out, "anchors.txt"))
	return exitOK
}

// writeDemo writes the demo's files.
func writeDemo(d *ledger.Demo, out, archive string) error {
	if err := os.MkdirAll(filepath.Join(out, "receipts"), 0o755); err != nil {
		return err
	}
	write := func(name string, b []byte) error { return os.WriteFile(filepath.Join(out, name), b, 0o644) }
	if err := d.Record.WriteFiles(write); err != nil {
		return err
	}
	if err := write("anchors.txt", d.Anchors.Bytes()); err != nil {
		return err
	}
	// Only a round with paper ballots (the leaf line "source paper") has a
	// box to describe; finding its counted ones verifies the record again.
	hasPaper := d.Record != nil && slices.ContainsFunc(d.Record.Leaves, func(l []byte) bool {
		return bytes.Contains(l, []byte("\nsource "+ballot.SourcePaper+"\n"))
	})
	if hasPaper {
		if pbs := ledger.PaperBallots(d.Record, d.Anchors); len(pbs) > 0 {
			var b strings.Builder
			b.WriteString("# what the paper ballots in the box say: slip tag, then the projects ticked\n")
			for _, pb := range pbs {
				b.WriteString(pb.Tag + " " + paperChoices(pb.Ballot) + "\n")
			}
			if err := write("paper.txt", []byte(b.String())); err != nil {
				return err
			}
		}
	}
	for _, r := range d.Receipts {
		name := filepath.Join("receipts", r.Tracker()+".tlog-proof")
		if err := write(name, r.Bytes()); err != nil {
			return err
		}
	}
	if archive == "" {
		return nil
	}
	f, err := os.Create(archive)
	if err != nil {
		return err
	}
	err = d.Record.WriteArchive(f)
	return errors.Join(err, f.Close())
}
