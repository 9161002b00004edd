package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/hedensted-pb/pb/tally/ledger"
	"github.com/hedensted-pb/pb/tally/recount"
)

const receiptUsage = `usage: pbverify receipt FILE... -record PATH (-anchors FILE | -log-key VKEY -council-key VKEY [-round ID] [-manifest FP])
                        [-json]

Checks voters' receipts (.tlog-proof files, docs/record.md §8), one or
more: each checkpoint is signed by the log key, each inclusion proof
holds, the record holds the same ballot at the same index, and the record
extends each receipt's checkpoint (otherwise a fork proof is printed). The
whole record is verified too, once.

Exit status: 0 verified, 1 a check failed, 2 usage or I/O error.

flags (one or two dashes):
`

// cmdReceipt implements "pbverify receipt".
func cmdReceipt(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("receipt", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() {
		fmt.Fprint(stderr, receiptUsage)
		fl.PrintDefaults()
	}
	var af anchorFlags
	af.register(fl)
	record := fl.String("record", "", "the round record `PATH` (directory, .tar archive or http(s) URL prefix)")
	asJSON := fl.Bool("json", false, "print the machine-readable JSON report")
	pos, code := parseInterleaved(fl, args, stderr)
	if code >= 0 {
		return code
	}
	if len(pos) == 0 {
		return usageError(stderr, "receipt", "want one or more receipt FILEs")
	}
	if *record == "" {
		return usageError(stderr, "receipt", "missing -record PATH")
	}
	opts, code := af.options(stderr, "receipt")
	if code >= 0 {
		return code
	}
	for _, name := range pos {
		b, err := os.ReadFile(name)
		if err != nil {
			errorf(stderr, "read receipt: %v", err)
			return exitUsage
		}
		opts.Receipts = append(opts.Receipts, ledger.Source{Name: name, Bytes: b})
	}
	opts.Count = recount.Count
	rep, code := verifyPath(*record, opts, stderr)
	if code >= 0 {
		return code
	}
	if !*asJSON {
		printReceiptSummary(stdout, rep, pos)
	}
	return printReport(stdout, stderr, rep, *asJSON)
}

// printReceiptSummary writes each receipt's verdict before the full report.
func printReceiptSummary(w io.Writer, rep *ledger.Report, names []string) {
	if len(rep.Receipts) == 0 {
		for _, name := range names {
			fmt.Fprintf(w, "receipt %s: NOT CHECKED: the record could not be verified far enough\n", name)
		}
		fmt.Fprintln(w)
		return
	}
	for _, r := range rep.Receipts {
		if r.Problem != "" || !r.Included {
			fmt.Fprintf(w, "receipt %s: FAIL: %s\n", r.Source, r.Problem)
			continue
		}
		fmt.Fprintf(w, "receipt %s: ok: ballot %s is leaf %d of the record, status %s\n", r.Source, r.Tracker, r.Index, r.Status)
	}
	fmt.Fprintln(w)
}
