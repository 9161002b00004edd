package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStartRefusesBrokenKeys: a data directory whose round has lost its
// key file, or whose key file is garbage, is refused at start with a
// message naming the round and the key (not a 404 or 500 later); "pbserver
// check" passes the whole directory and fails the garbage key.
func TestStartRefusesBrokenKeys(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir, false)
	admin := newClient(t, s.base)
	admin.login("admin", e2ePassword)
	admin.must(201, "POST", "/api/funds", map[string]any{"id": "pulje", "name": "Landdistriktspuljen", "total": 600_000,
		"years": []int{2026, 2027, 2028}, "formula": "equal"})
	admin.must(201, "POST", "/api/communities", map[string]any{"id": "barrit", "name": "Barrit", "population": 720, "fund": "pulje"})
	admin.must(201, "POST", "/api/rounds", map[string]any{"id": "r1", "community": "barrit", "year": 2026, "title": "R1"})
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if err := runCheck([]string{dir}, &out, &errb); err != nil {
		t.Fatalf("check of a whole directory: %v", err)
	}
	if !strings.Contains(out.String(), "database whole") {
		t.Errorf("check output: %q", out.String())
	}

	key := filepath.Join(dir, "keys", "log-r1.key")
	good, err := os.ReadFile(key)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		damage func() error
		want   string
	}{
		{"missing", func() error { return os.Remove(key) }, "round r1: store: key log-r1: not found"},
		{"garbage", func() error { return os.WriteFile(key, []byte("garbage\n"), 0o600) }, "round r1: store: key log-r1: malformed"},
		{"no-keys-dir", func() error { return os.RemoveAll(filepath.Join(dir, "keys")) }, "round r1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.damage(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				os.MkdirAll(filepath.Dir(key), 0o700)
				os.WriteFile(key, good, 0o600)
			})
			err := serveOnce(t, dir)
			if err == nil || !strings.Contains(err.Error(), "signing keys missing or damaged") || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("serve = %v, want a refusal naming %q", err, tt.want)
			}
		})
	}
	if err := os.WriteFile(key, []byte("garbage\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err = runCheck([]string{dir}, io.Discard, io.Discard)
	if err == nil || errors.Is(err, errIO) || !strings.Contains(err.Error(), "log-r1.key") {
		t.Errorf("check with a garbage key = %v, want a failure naming the file", err)
	}
}

// serveOnce runs serve on dir and returns its error; it fails the test if
// the server starts serving.
func serveOnce(t *testing.T, dir string) error {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config{Addr: ln.Addr().String(), Data: dir, Batch: 50 * time.Millisecond,
		LogFormat: "text", AdminName: "admin", AdminPassword: e2ePassword}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, ln, &out, io.Discard) }()
	for {
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Millisecond):
			if strings.Contains(out.String(), "pbserver: serving") {
				cancel()
				<-done
				t.Fatal("served despite the broken keys")
			}
		}
	}
}
