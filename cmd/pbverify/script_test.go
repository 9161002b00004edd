package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// The command-line scripts, in the style of FiloSottile/age's cmd/age:
// testdata/script/*.txtar are testscript files (see
// github.com/rogpeppe/go-internal/testscript). Each runs in its own work
// directory with these commands besides the built-in ones:
//
//	pbverify ARGS...     runs pbverify: this test binary, started again as
//	                     a process that calls main (see TestMain), in the
//	                     script's directory; "! pbverify" expects a
//	                     non-zero exit
//	status N             the last pbverify exited with N (0 verified, 1 a
//	                     check failed, 2 usage or I/O error)
//	onefile VAR GLOB     sets $VAR to the one file matching GLOB
//
// and $TAMPER is the tamper corpus, tally/ledger/testdata/tamper.
//
// age maps its commands to main with testscript.Main, whose commands run
// through "exec": a script can only tell that one failed, not whether it
// exited with 1 or 2. Here "pbverify" starts the process itself and keeps
// the status.
// Run one script with go test ./cmd/pbverify -run TestScript/NAME.

// asMain makes the test binary run main instead of the tests (TestMain).
const asMain = "PBVERIFY_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMain) == "1" {
		main() // exits
	}
	os.Exit(m.Run())
}

func TestScript(t *testing.T) {
	tamper, err := filepath.Abs(filepath.Join("..", "..", "tally", "ledger", "testdata", "tamper"))
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("testdata", "script"),
		Setup: func(e *testscript.Env) error {
			e.Setenv("TAMPER", tamper)
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"pbverify": runAsMain,
			"status":   checkStatus,
			"onefile":  oneFile,
		},
		RequireUniqueNames: true,
	})
}

// statusVar holds the last exit status in the script's environment.
const statusVar = "PBVERIFY_STATUS"

// runAsMain runs pbverify as a process: the test binary with asMain set,
// in the script's current directory, with the script's PATH, HOME and
// TMPDIR. Its output becomes the script's stdout and stderr, and its exit
// status is kept for "status". Running it as a process (not calling run)
// resolves relative paths against the script's directory and checks the
// real exit status.
func runAsMain(ts *testscript.TestScript, neg bool, args []string) {
	exe, err := os.Executable()
	ts.Check(err)
	cmd := exec.Command(exe, args...)
	cmd.Dir = ts.MkAbs(".")
	cmd.Env = []string{asMain + "=1"}
	for _, k := range []string{"PATH", "HOME", "TMPDIR"} {
		cmd.Env = append(cmd.Env, k+"="+ts.Getenv(k))
	}
	if v, ok := os.LookupEnv("GOCOVERDIR"); ok {
		cmd.Env = append(cmd.Env, "GOCOVERDIR="+v)
	}
	// Under -race the runtime sleeps a second before exiting (GORACE
	// atexit_sleep_ms, default 1000): 0 unless set, or the scripts take
	// minutes.
	race := os.Getenv("GORACE")
	if !strings.Contains(race, "atexit_sleep_ms") {
		race = strings.TrimSpace(race + " atexit_sleep_ms=0")
	}
	cmd.Env = append(cmd.Env, "GORACE="+race)
	cmd.Stdout, cmd.Stderr = ts.Stdout(), ts.Stderr()
	err = cmd.Run()
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("pbverify: %v", err)
		}
		code = ee.ExitCode()
	}
	ts.Setenv(statusVar, strconv.Itoa(code))
	switch {
	case neg && code == 0:
		ts.Fatalf("pbverify succeeded unexpectedly")
	case !neg && code != 0:
		ts.Fatalf("pbverify exited with status %d", code)
	}
}

// checkStatus: "status N" fails unless the last pbverify exited with N.
func checkStatus(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 || neg {
		ts.Fatalf("usage: status N")
	}
	got := ts.Getenv(statusVar)
	if got == "" {
		ts.Fatalf("status: pbverify has not run")
	}
	if got != args[0] {
		ts.Fatalf("pbverify exited with status %s, want %s", got, args[0])
	}
}

// oneFile: "onefile VAR GLOB" sets $VAR to the only file matching GLOB
// (relative to the script's directory, as given).
func oneFile(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 || neg {
		ts.Fatalf("usage: onefile VAR GLOB")
	}
	abs, err := filepath.Glob(ts.MkAbs(args[1]))
	ts.Check(err)
	if len(abs) != 1 {
		ts.Fatalf("onefile: %d files match %s, want 1", len(abs), args[1])
	}
	rel, err := filepath.Rel(ts.MkAbs("."), abs[0])
	ts.Check(err)
	ts.Setenv(args[0], rel)
}
