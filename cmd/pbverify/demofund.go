package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/hedensted-pb/pb/tally/fund"
	"github.com/hedensted-pb/pb/tally/recount"
)

const demoFundUsage = `usage: pbverify demo-fund -out DIR [-ballots N] [-seed S]

Writes a valid sample fund, built deterministically from the seed, laid
out as a server publishes it:

  DIR/funds/demo-pulje/ledger/leaves.txt, checkpoints.txt   the fund's ledger
  DIR/funds/demo-pulje/anchors.txt                         its trust anchors
  DIR/rounds/ROUND/record/                                 each round's record

Three tranches of 300,000 DKK shared by bakke, dal and skov (eng joins from
2027, dal's population changes), five rounds: two published and one
cancelled in 2026, which closes; one published and one still reserved in
2027; 2028 not opened. Try:
pbverify fund DIR/funds/demo-pulje/ledger -anchors DIR/funds/demo-pulje/anchors.txt -rounds

The demo's keys come from a public seed: never use them for a real fund.

flags (one or two dashes):
`

// cmdDemoFund implements "pbverify demo-fund".
func cmdDemoFund(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("demo-fund", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() {
		fmt.Fprint(stderr, demoFundUsage)
		fl.PrintDefaults()
	}
	out := fl.String("out", "", "output `DIR`ectory (created if missing)")
	ballots := fl.Int("ballots", 5, "ballots cast in each round")
	seed := fl.Uint64("seed", 1, "seed of the deterministic generator")
	pos, code := parseInterleaved(fl, args, stderr)
	if code >= 0 {
		return code
	}
	switch {
	case len(pos) > 0:
		return usageError(stderr, "demo-fund", "unexpected argument %q", pos[0])
	case *out == "":
		return usageError(stderr, "demo-fund", "missing -out DIR")
	case *ballots < 1 || *ballots > maxDemoBallots:
		return usageError(stderr, "demo-fund", "-ballots must be between 1 and %d", maxDemoBallots)
	}
	d, err := fund.BuildDemo(fund.DemoOptions{Seed: *seed, Ballots: *ballots, Count: recount.Count})
	if err != nil {
		errorf(stderr, "%v", err)
		return exitUsage
	}
	l, err := d.Ledger()
	if err != nil {
		errorf(stderr, "%v", err)
		return exitUsage
	}
	if err := writeDemoFund(*out, d, l); err != nil {
		errorf(stderr, "%v", err)
		return exitUsage
	}
	fdir := filepath.Join(*out, "funds", d.Anchors.Fund)
	fmt.Fprintf(stdout, "wrote fund %s to %s: %d ledger leaves, %d checkpoints, %d rounds\n",
		d.Anchors.Fund, fdir, len(l.Leaves), len(l.Checkpoints), len(d.Rounds))
	fmt.Fprintf(stdout, "verify with: pbverify fund %s -anchors %s -rounds\n",
		filepath.Join(fdir, "ledger"), filepath.Join(fdir, "anchors.txt"))
	return exitOK
}

// writeDemoFund writes the demo's ledger, anchors and round records.
func writeDemoFund(out string, d *fund.Demo, l *fund.Ledger) error {
	fdir := filepath.Join(out, "funds", d.Anchors.Fund)
	if err := os.MkdirAll(filepath.Join(fdir, "ledger"), 0o755); err != nil {
		return err
	}
	for _, name := range []string{fund.LeavesFile, fund.CheckpointsFile} {
		b, err := l.File(name)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(fdir, "ledger", name), b, 0o644); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(fdir, "anchors.txt"), d.Anchors.Marshal(), 0o644); err != nil {
		return err
	}
	ids := make([]string, 0, len(d.Rounds))
	for id := range d.Rounds {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		rd := d.Rounds[id]
		dir := filepath.Join(out, "rounds", id, "record")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := rd.Record.WriteFiles(func(name string, b []byte) error {
			return os.WriteFile(filepath.Join(dir, name), b, 0o644)
		}); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(out, "rounds", id, "anchors.txt"), rd.Anchors.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}
