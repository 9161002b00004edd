package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// The command-line scripts, testdata/script/*.txtar (testscript, as in
// cmd/pbverify and FiloSottile/age's cmd/age), cover the flags, usage and
// exit status: 0, 1 for a failure at run time, 2 for a usage error. Besides
// the built-in commands:
//
//	pbserver ARGS...     runs pbserver: this test binary, started again as
//	                     a process that calls main (see TestMain), in the
//	                     script's directory, with the script's PB_*
//	                     variables; "! pbserver" expects a non-zero exit
//	status N             the last pbserver exited with N
//
// The scripts never start a server: a pbserver that has not exited after
// a minute is killed and fails the script.

// asMain makes the test binary run main instead of the tests (TestMain).
const asMain = "PBSERVER_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMain) == "1" {
		if n := os.Getenv(nofileVar); n != "" {
			setNofile(n)
		}
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestScript(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("testdata", "script"),
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"pbserver": runAsMain,
			"status":   checkStatus,
		},
		RequireUniqueNames: true,
	})
}

// statusVar holds the last exit status in the script's environment.
const statusVar = "PBSERVER_STATUS"

// envVars are the variables pbserver reads, passed on from the script.
var envVars = []string{"PB_ADDR", "PB_DATA", "PB_BASE_URL", "PB_BATCH", "PB_DEMO", "PB_LOG_FORMAT", "PB_ADMIN_NAME", "PB_ADMIN_PASSWORD"}

// runAsMain runs pbserver as a process: the test binary with asMain set,
// in the script's current directory, with the script's PATH, HOME, TMPDIR
// and PB_* variables. Its output becomes the script's stdout and stderr,
// and its exit status is kept for "status".
func runAsMain(ts *testscript.TestScript, neg bool, args []string) {
	exe, err := os.Executable()
	ts.Check(err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Dir = ts.MkAbs(".")
	cmd.Env = []string{asMain + "=1"}
	for _, k := range append([]string{"PATH", "HOME", "TMPDIR"}, envVars...) {
		if v := ts.Getenv(k); v != "" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	if v, ok := os.LookupEnv("GOCOVERDIR"); ok {
		cmd.Env = append(cmd.Env, "GOCOVERDIR="+v)
	}
	// Under -race the runtime may sleep a second before exiting (GORACE
	// atexit_sleep_ms): 0 unless set.
	race := os.Getenv("GORACE")
	if !strings.Contains(race, "atexit_sleep_ms") {
		race = strings.TrimSpace(race + " atexit_sleep_ms=0")
	}
	cmd.Env = append(cmd.Env, "GORACE="+race)
	cmd.Stdout, cmd.Stderr = ts.Stdout(), ts.Stderr()
	err = cmd.Run()
	if ctx.Err() != nil {
		ts.Fatalf("pbserver did not exit within a minute (is it serving?)")
	}
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("pbserver: %v", err)
		}
		code = ee.ExitCode()
	}
	ts.Setenv(statusVar, strconv.Itoa(code))
	switch {
	case neg && code == 0:
		ts.Fatalf("pbserver succeeded unexpectedly")
	case !neg && code != 0:
		ts.Fatalf("pbserver exited with status %d", code)
	}
}

// checkStatus: "status N" fails unless the last pbserver exited with N.
func checkStatus(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 || neg {
		ts.Fatalf("usage: status N")
	}
	got := ts.Getenv(statusVar)
	if got == "" {
		ts.Fatalf("status: pbserver has not run")
	}
	if got != args[0] {
		ts.Fatalf("pbserver exited with status %s, want %s", got, args[0])
	}
}
