package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/hedensted-pb/pb/tally/ledger"
	"github.com/hedensted-pb/pb/tally/recount"
)

const receiptUsage = `usage: pbverify receipt FILE -record PATH (-anchors FILE | -log-key VKEY -council-key VKEY [-round ID] [-manifest FP])
                        [-json]

Checks a voter's receipt (a .tlog-proof file, docs/record.md §8): the
checkpoint is signed by the log key, the inclusion proof holds, the record
holds the same ballot at the same index, and the record extends the
receipt's checkpoint (otherwise a fork proof is printed). The whole record
is verified too.

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
	if len(pos) != 1 {
		return usageError(stderr, "receipt", "want exactly one receipt FILE, got %d arguments", len(pos))
	}
	if *record == "" {
		return usageError(stderr, "receipt", "missing -record PATH")
	}
	opts, code := af.options(stderr, "receipt")
	if code >= 0 {
		return code
	}
	b, err := os.ReadFile(pos[0])
	if err != nil {
		errorf(stderr, "read receipt: %v", err)
		return exitUsage
	}
	opts.Receipts = []ledger.Source{{Name: pos[0], Bytes: b}}
	opts.Count = recount.Count
	rep, code := verifyPath(*record, opts, stderr)
	if code >= 0 {
		return code
	}
	if !*asJSON {
		printReceiptSummary(stdout, rep, pos[0])
	}
	return printReport(stdout, stderr, rep, *asJSON)
}

// printReceiptSummary writes the receipt's verdict before the full report.
func printReceiptSummary(w io.Writer, rep *ledger.Report, name string) {
	if len(rep.Receipts) == 0 {
		fmt.Fprintf(w, "receipt %s: NOT CHECKED: the record could not be verified far enough\n\n", name)
		return
	}
	r := rep.Receipts[0]
	if r.Problem != "" || !r.Included {
		fmt.Fprintf(w, "receipt %s: FAIL: %s\n\n", name, r.Problem)
		return
	}
	fmt.Fprintf(w, "receipt %s: ok: ballot %s is leaf %d of the record, status %s\n\n", name, r.Tracker, r.Index, r.Status)
}
