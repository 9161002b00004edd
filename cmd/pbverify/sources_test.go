package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRecordTarURL: "pbverify record http://…/record.tar" fetches the
// archive (docs/api.md's /rounds/ID/record.tar), as a stream; a damaged
// archive served there is unreadable input (exit 2), a missing one too.
func TestRecordTarURL(t *testing.T) {
	d := demoDir(t, 30)
	anchors := filepath.Join(d, "anchors.txt")
	archive := filepath.Join(t.TempDir(), "record.tar")
	if code, _, stderr := pbverify(t, "demo-record", "-out", t.TempDir(), "-ballots", "30", "-archive", archive); code != 0 {
		t.Fatal(stderr)
	}
	good, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(good)
	bad[len(bad)-1] = 1 // the end blocks are not NUL
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/rounds/demo/record.tar":
			w.Write(good)
		case "/rounds/bad/record.tar":
			w.Write(bad)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	if code, out, stderr := pbverify(t, "record", srv.URL+"/rounds/demo/record.tar", "-anchors", anchors); code != exitOK || !strings.Contains(out, "VERIFIED") {
		t.Fatalf("tar URL: exit %d\n%s%s", code, out, stderr)
	}
	code, _, stderr := pbverify(t, "record", srv.URL+"/rounds/bad/record.tar", "-anchors", anchors)
	if code != exitUsage || !strings.Contains(stderr, "not a canonical record archive") {
		t.Errorf("damaged archive: exit %d, %s", code, stderr)
	}
	if code, _, _ := pbverify(t, "record", srv.URL+"/rounds/none/record.tar", "-anchors", anchors); code != exitUsage {
		t.Errorf("missing archive: exit %d, want %d", code, exitUsage)
	}
}
