// Command pbserver runs the participatory-budgeting platform: the web
// server with its JSON API, ballot intake and public round records, on an
// embedded bbolt database in a data directory.
//
// Usage:
//
//	pbserver [flags]                       serve
//	pbserver -demo                         serve a throw-away demo municipality
//	pbserver backup -url URL -o FILE       download a hot backup from a running server
//	pbserver check DIR                     check a data directory (database and keys)
//
// Every flag can also be set from the environment (PB_ADDR, PB_DATA,
// PB_BASE_URL, PB_BATCH, PB_DEMO, PB_LOG_FORMAT); flags win. The first
// administrator's password comes from PB_ADMIN_PASSWORD, or is generated
// and printed once when the account is created. PB_CPUPROFILE=FILE writes
// a CPU profile of the run to FILE (for scripts/loadtest). See
// docs/operations.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pbserver: error: %v\n", err)
		if errors.Is(err, errUsage) || errors.Is(err, errIO) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// errUsage marks errors in the command line.
var errUsage = errors.New("usage")

// run is main without the process: it parses args (and the environment
// through getenv), then serves until ctx is cancelled or runs a
// subcommand.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "backup" {
		return runBackup(ctx, args[1:], getenv, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "check" {
		return runCheck(args[1:], stdout, stderr)
	}
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	if path := getenv("PB_CPUPROFILE"); path != "" {
		// A CPU profile of the whole run, for scripts/loadtest.
		f, err := os.Create(path)
		if err != nil {
			return fmt.Errorf("%w: PB_CPUPROFILE: %v", errIO, err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return fmt.Errorf("%w: PB_CPUPROFILE: %v", errIO, err)
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	return serve(ctx, cfg, nil, stdout, stderr)
}
