package ledger

import (
	"archive/tar"
	"bytes"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

func TestAnchorsGolden(t *testing.T) {
	d := smallDemo(t)
	b := d.Anchors.Bytes()
	golden(t, "anchors.golden", b)
	a, err := ParseAnchors(b)
	if err != nil {
		t.Fatal(err)
	}
	if *a != *d.Anchors {
		t.Fatalf("ParseAnchors = %+v, want %+v", a, d.Anchors)
	}
	// Without the manifest line (before freeze).
	pre := *a
	pre.Manifest = ""
	if got, err := ParseAnchors(pre.Bytes()); err != nil || *got != pre {
		t.Fatalf("anchors without manifest: %+v, %v", got, err)
	}
	// Every single-byte change is rejected or changes a field.
	for _, x := range []byte{0x01, 0x20, 0x80} {
		flipEach(b, x, func(i int, mod []byte) {
			got, err := ParseAnchors(mod)
			if err == nil && *got == *a {
				t.Errorf("flip %#x at %d gives the same anchors", x, i)
			}
			if err == nil && !bytes.Equal(got.Bytes(), mod) {
				t.Errorf("flip %#x at %d: not canonical but accepted", x, i)
			}
		})
	}
}

func TestParseAnchorsBad(t *testing.T) {
	good := string(smallDemo(t).Anchors.Bytes())
	bad := map[string]string{
		"lower-case fingerprint": strings.Replace(good, "manifest ", "manifest ", 1)[:len(good)-17] + strings.ToLower(good[len(good)-17:]),
		"hyphenated fingerprint": good[:len(good)-17] + good[len(good)-17:len(good)-13] + "-" + good[len(good)-13:],
		"upper-case key hash":    strings.Replace(good, "+", "+X", 1),
		"missing round":          strings.Replace(good, "round demo-2026\n", "", 1),
		"keys swapped":           strings.Replace(strings.Replace(good, "log-key", "tmp-key", 1), "council-key", "log-key", 1),
		"CRLF":                   strings.ReplaceAll(good, "\n", "\r\n"),
		"extra line":             good + "comment x\n",
		"wrong header":           strings.Replace(good, "v1", "v2", 1),
		"CR in key":              strings.Replace(good, "\ncouncil-key", "\r\ncouncil-key", 1),
		"CR inside key":          strings.Replace(good, "council-key council.example/demo-2026+541acac1+A", "council-key council.example/demo-2026+541acac1+\rA", 1),
		"no final LF":            strings.TrimSuffix(good, "\n"),
	}
	for name, b := range bad {
		t.Run(name, func(t *testing.T) {
			if a, err := ParseAnchors([]byte(b)); err == nil {
				t.Errorf("ParseAnchors(%q) = %+v, want an error", b, a)
			}
		})
	}
	if fp, err := ParseFingerprint("5dh3-51ss m214-qah3"); err != nil || fp != "5DH351SSM214QAH3" {
		t.Errorf("ParseFingerprint = %q, %v", fp, err)
	}
	if _, err := ParseFingerprint("5DH3-51SS-M214-QAH"); err == nil {
		t.Error("ParseFingerprint(15 digits) succeeded")
	}
}

func FuzzParseAnchors(f *testing.F) {
	f.Add(readGolden("anchors.golden"))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ParseAnchors(b)
		if err != nil {
			return
		}
		if got := a.Bytes(); !bytes.Equal(got, b) {
			t.Fatalf("Bytes(ParseAnchors(%q)) = %q", b, got)
		}
	})
}

func recordFS(tb testing.TB, r *Record) fstest.MapFS {
	fsys := fstest.MapFS{}
	if err := r.WriteFiles(func(name string, data []byte) error {
		fsys[name] = &fstest.MapFile{Data: data, Mode: 0o644}
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	return fsys
}

func TestRecordArchiveGolden(t *testing.T) {
	d := smallDemo(t)
	var buf bytes.Buffer
	if err := d.Record.WriteArchive(&buf); err != nil {
		t.Fatal(err)
	}
	golden(t, "record.tar.golden", buf.Bytes())
	// Deterministic: a second write gives the same bytes.
	var again bytes.Buffer
	if err := d.Record.WriteArchive(&again); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Fatal("WriteArchive is not deterministic")
	}
	// The archive's entries are as §10.1 says.
	tr := tar.NewReader(bytes.NewReader(buf.Bytes()))
	for _, name := range RecordFiles() {
		h, err := tr.Next()
		if err != nil {
			t.Fatal(err)
		}
		if h.Name != name || h.Mode != 0o644 || h.Uid != 0 || h.Gid != 0 || !h.ModTime.Equal(time.Unix(0, 0)) || h.Uname != "" || h.Gname != "" || h.Format != tar.FormatUSTAR {
			t.Errorf("entry %+v", h)
		}
	}
	got, err := ReadArchive(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	fromDir, err := ReadRecord(recordFS(t, d.Record))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*Record{got, fromDir} {
		if !recordsEqual(r, d.Record) {
			t.Fatal("record read back differs")
		}
	}
}

func recordsEqual(a, b *Record) bool {
	eq := func(x, y [][]byte) bool {
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if !bytes.Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return bytes.Equal(a.Roll, b.Roll) && eq(a.Leaves, b.Leaves) && eq(a.Checkpoints, b.Checkpoints) && eq(a.Results, b.Results)
}

func TestReadArchiveStrict(t *testing.T) {
	d := smallDemo(t)
	var buf bytes.Buffer
	if err := d.Record.WriteArchive(&buf); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	// Every byte of the archive matters: a flip gives an archive error, a
	// file error, or a record that differs.
	for i := 0; i < len(good); i += 7 {
		mod := bytes.Clone(good)
		mod[i] ^= 1
		r, err := ReadArchive(bytes.NewReader(mod))
		if err == nil && recordsEqual(r, d.Record) {
			t.Errorf("flip at %d gives the same record", i)
		}
	}
	// Extra padding (as GNU tar writes) is not canonical.
	if _, err := ReadArchive(bytes.NewReader(append(bytes.Clone(good), make([]byte, 512)...))); !errors.Is(err, ErrArchive) {
		t.Errorf("padded archive: %v, want ErrArchive", err)
	}
	// Wrong order of entries.
	var w bytes.Buffer
	tw := tar.NewWriter(&w)
	for _, name := range []string{LeavesFile, RollFile, CheckpointsFile, ResultsFile} {
		b, _ := d.Record.File(name)
		tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Size: int64(len(b)), Mode: 0o644, ModTime: time.Unix(0, 0), Format: tar.FormatUSTAR})
		tw.Write(b)
	}
	tw.Close()
	if _, err := ReadArchive(&w); !errors.Is(err, ErrArchive) {
		t.Errorf("reordered archive: %v, want ErrArchive", err)
	}
	if _, err := ReadArchive(strings.NewReader("not a tar")); !errors.Is(err, ErrArchive) {
		t.Errorf("garbage: %v, want ErrArchive", err)
	}
}

func TestReadRecordErrors(t *testing.T) {
	d := smallDemo(t)
	for _, tc := range []struct {
		name, file, data string
		line             int
	}{
		{"missing final LF", LeavesFile, "YQ==", 0},
		{"empty line", CheckpointsFile, "YQ==\n\nYQ==\n", 2},
		{"not b64", ResultsFile, "YQ==\nYQ=\n", 2},
		{"non-strict b64", LeavesFile, "YR==\n", 1},
		{"CR", LeavesFile, "YQ==\r\n", 1},
		{"space", LeavesFile, "YQ== \n", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := recordFS(t, d.Record)
			fsys[tc.file] = &fstest.MapFile{Data: []byte(tc.data)}
			_, err := ReadRecord(fsys)
			var fe *FileError
			if !errors.As(err, &fe) || fe.Name != tc.file || fe.Line != tc.line || !errors.Is(err, ErrNotCanonical) {
				t.Fatalf("ReadRecord = %v, want FileError for %s line %d", err, tc.file, tc.line)
			}
			rep := ReportReadError(err, VerifyOptions{Anchors: d.Anchors})
			if rep == nil || rep.OK() {
				t.Fatalf("ReportReadError = %+v", rep)
			}
		})
	}
	fsys := recordFS(t, d.Record)
	delete(fsys, ResultsFile)
	_, err := ReadRecord(fsys)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: %v, want fs.ErrNotExist", err)
	}
	if ReportReadError(err, VerifyOptions{}) != nil {
		t.Fatal("ReportReadError of an I/O error is not nil")
	}
	// An empty results.txt is a valid file (before publication).
	fsys = recordFS(t, d.Record)
	fsys[ResultsFile] = &fstest.MapFile{Data: nil}
	if r, err := ReadRecord(fsys); err != nil || len(r.Results) != 0 {
		t.Fatalf("empty results.txt: %v", err)
	}
}

func FuzzRecordLines(f *testing.F) {
	d, _ := BuildDemo(DemoOptions{Seed: 7, Ballots: 2})
	if d != nil {
		b, _ := d.Record.File(LeavesFile)
		f.Add(b)
		b, _ = d.Record.File(CheckpointsFile)
		f.Add(b)
	}
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, b []byte) {
		items, err := decodeLines(LeavesFile, b)
		if err != nil {
			return
		}
		if got := encodeLines(items); !bytes.Equal(got, b) {
			t.Fatalf("encodeLines(decodeLines(%q)) = %q", b, got)
		}
	})
}

func FuzzReadArchive(f *testing.F) {
	f.Add(readGolden("record.tar.golden"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ReadArchive(bytes.NewReader(b))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := r.WriteArchive(&buf); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), b) {
			t.Fatal("WriteArchive(ReadArchive(b)) != b")
		}
	})
}
