package main

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadmeDemoExample runs the README's example of "pbverify
// demo-record" (the indented command lines after "### `pbverify
// demo-record`") in a temporary directory, the shell's glob expanded, and
// requires the exit status its comment gives (0 when none).
func TestReadmeDemoExample(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cmds []string
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "### "):
			in = line == "### `pbverify demo-record`"
		case in && strings.HasPrefix(line, "    pbverify ") && !strings.Contains(line, "["):
			cmds = append(cmds, strings.TrimPrefix(line, "    pbverify "))
		}
	}
	if len(cmds) < 3 {
		t.Fatalf("README: %d example commands under pbverify demo-record, want 3", len(cmds))
	}
	dir := t.TempDir()
	t.Chdir(dir)
	for _, c := range cmds {
		c, _, _ = strings.Cut(c, "#")
		var args []string
		for _, a := range strings.Fields(c) {
			if strings.ContainsAny(a, "*?[") {
				m, err := filepath.Glob(a)
				if err != nil || len(m) == 0 {
					t.Fatalf("%s: glob %s matches nothing", c, a)
				}
				args = append(args, m...)
				continue
			}
			args = append(args, a)
		}
		if code, out, stderr := pbverify(t, args...); code != exitOK {
			t.Errorf("pbverify %s: exit %d\n%s%s", c, code, out, stderr)
		}
	}
}
