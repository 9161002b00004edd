// Command pbverify checks a participatory-budgeting round without trusting
// the server that ran it: it verifies a published round record against
// trust anchors printed on posters and slips, checks voters' receipts,
// recounts with the published rule, counts any pabulib .pb file, and
// generates voting codes offline.
//
// pbverify imports neither Fiber nor bbolt: it reads only published bytes
// (a record directory, an archive file or a server URL).
//
// Exit status: 0 when everything verified, 1 when a check failed, 2 for a
// usage or I/O error.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime/pprof"
)

// Exit codes shared by every subcommand.
const (
	exitOK     = 0 // verified / done
	exitFailed = 1 // a verification check failed
	exitUsage  = 2 // bad usage, unreadable input, I/O error
)

const usage = `usage: pbverify <command> [flags] [args]

commands:
  record PATH        verify a round record (directory, .tar archive or http(s) URL)
  receipt FILE       check one voter receipt (.tlog-proof) against a record
  count FILE.pb      count a pabulib .pb file with a counting rule
  codes              generate voting codes and printable slips offline
  demo-record        write a valid sample round record with its trust anchors
  fund PATH          verify a fund's ledger (directory or http(s) URL), with -rounds every round's record
  demo-fund          write a valid sample fund: its ledger, anchors and round records
  paper-audit        compare a random sample of paper ballots with a closed round's record

Run 'pbverify <command> -h' for the flags of a command.
`

// command is one pbverify subcommand. It returns the process exit code.
type command func(args []string, stdout, stderr io.Writer) int

func commands() map[string]command {
	return map[string]command{
		// Each subcommand lives in its own file: record.go, receipt.go,
		// count.go, codes.go, demorecord.go.
		"codes":       cmdCodes,
		"count":       cmdCount,
		"record":      cmdRecord,
		"receipt":     cmdReceipt,
		"demo-record": cmdDemoRecord,
		"fund":        cmdFund,
		"demo-fund":   cmdDemoFund,
		"paper-audit": cmdPaperAudit,
	}
}

func main() {
	// PB_CPUPROFILE=FILE writes a CPU profile of the whole run to FILE, for
	// go tool pprof (scripts/bench-verify -profile uses it).
	if path := os.Getenv("PB_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "pbverify: error: PB_CPUPROFILE: %v\n", err)
			os.Exit(exitUsage)
		}
		code := run(os.Args[1:], os.Stdout, os.Stderr)
		pprof.StopCPUProfile()
		f.Close()
		os.Exit(code)
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches to a subcommand; it is main without the process exit, so
// tests can call it.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	cmd, ok := commands()[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "pbverify: error: unknown command %q\n\n%s", args[0], usage)
		return exitUsage
	}
	return cmd(args[1:], stdout, stderr)
}

// errorf prints an error in the house style: "pbverify: error: ..." on stderr.
func errorf(stderr io.Writer, format string, args ...any) {
	fmt.Fprintf(stderr, "pbverify: error: "+format+"\n", args...)
}

// hintf prints a hint line after an error.
func hintf(stderr io.Writer, format string, args ...any) {
	fmt.Fprintf(stderr, "pbverify: hint: "+format+"\n", args...)
}
