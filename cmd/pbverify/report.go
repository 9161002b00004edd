package main

import (
	"io"

	"github.com/hedensted-pb/pb/tally/ledger"
)

// printReport writes rep to stdout (text or JSON) and returns the exit
// code: exitOK when every check passed, exitFailed otherwise (with an
// error line on stderr naming the first failing check).
func printReport(stdout, stderr io.Writer, rep *ledger.Report, asJSON bool) int {
	if asJSON {
		b, err := rep.JSON()
		if err != nil {
			errorf(stderr, "%v", err)
			return exitUsage
		}
		if _, err := stdout.Write(b); err != nil {
			errorf(stderr, "%v", err)
			return exitUsage
		}
	} else if err := rep.WriteText(stdout); err != nil {
		errorf(stderr, "%v", err)
		return exitUsage
	}
	return verdict(stderr, rep)
}

// verdict is the exit code of a verification, saying on stderr which check
// failed first when one did.
func verdict(stderr io.Writer, rep interface {
	OK() bool
	FirstFailure() string
}) int {
	if !rep.OK() {
		errorf(stderr, "verification failed: first failing check: %s", rep.FirstFailure())
		return exitFailed
	}
	return exitOK
}
