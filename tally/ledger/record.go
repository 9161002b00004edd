package ledger

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"time"

	"github.com/hedensted-pb/pb/ballot/canon"
)

// The files of a round record (docs/record.md §10.1), in archive order.
const (
	RollFile        = "roll.txt"
	LeavesFile      = "leaves.txt"
	CheckpointsFile = "checkpoints.txt"
	ResultsFile     = "results.txt"
)

// RecordFiles returns the names of a record's files in archive order.
func RecordFiles() []string { return []string{RollFile, LeavesFile, CheckpointsFile, ResultsFile} }

// MaxRecordFile bounds the size of roll.txt, checkpoints.txt and
// results.txt when reading (512 MiB: a roll of the largest size a manifest
// allows, ballot.MaxRollKeys keys, is 450 MB). leaves.txt has no such
// bound: it is read as a stream ([LineReader], [VerifyStream]).
const MaxRecordFile = 512 << 20

// A Record is a round's public record (docs/record.md §10): the roll, every
// leaf, every checkpoint note the log signed and every result note, as
// exact bytes.
type Record struct {
	Roll        []byte   // roll.txt
	Leaves      [][]byte // leaf bytes, index order
	Checkpoints [][]byte // checkpoint notes, increasing size, the final one last
	Results     [][]byte // result notes, chain order
}

// encodeLines returns one strict b64 line per item.
func encodeLines(items [][]byte) []byte {
	n := 0
	for _, it := range items {
		n += (len(it)+2)/3*4 + 1
	}
	out := make([]byte, 0, n)
	for _, it := range items {
		out = canon.AppendB64(out, it)
		out = append(out, '\n')
	}
	return out
}

// decodeLines parses a b64-lines file strictly: empty, or lines of
// non-empty strict b64 each ending in LF ([LineReader]).
func decodeLines(name string, data []byte) ([][]byte, error) {
	return ReadLines(bytes.NewReader(data), name)
}

// File returns the bytes of one record file by name.
func (r *Record) File(name string) ([]byte, error) {
	switch name {
	case RollFile:
		return r.Roll, nil
	case LeavesFile:
		return encodeLines(r.Leaves), nil
	case CheckpointsFile:
		return encodeLines(r.Checkpoints), nil
	case ResultsFile:
		return encodeLines(r.Results), nil
	}
	return nil, fmt.Errorf("record: no file %q", name)
}

// ParseRecord builds a record from its files' contents; read returns the
// bytes of a named file. I/O errors from read are returned wrapped; a file
// whose content is malformed gives a [*FileError]. Only the framing is
// checked here (strict b64 lines); [Verify] checks the content.
func ParseRecord(read func(name string) ([]byte, error)) (*Record, error) {
	r := &Record{}
	var err error
	if r.Roll, err = read(RollFile); err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	for _, f := range []struct {
		name string
		dst  *[][]byte
	}{{LeavesFile, &r.Leaves}, {CheckpointsFile, &r.Checkpoints}, {ResultsFile, &r.Results}} {
		data, err := read(f.name)
		if err != nil {
			return nil, fmt.Errorf("record: %w", err)
		}
		if *f.dst, err = decodeLines(f.name, data); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// ReadRecord reads a record directory into memory: the four files at the
// root of fsys ([StreamDir], every leaf collected).
func ReadRecord(fsys fs.FS) (*Record, error) {
	s, closeFn, err := StreamDir(fsys)
	if err != nil {
		return nil, err
	}
	rec, err := s.Collect()
	return rec, errors.Join(err, closeFn())
}

// readWhole reads a record file other than leaves.txt, at most
// [MaxRecordFile] bytes.
func readWhole(fsys fs.FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Read into a buffer of the file's size, plus one byte to see the end
	// without growing it: io.ReadAll would copy a 50 MB roll several times.
	size := 512
	if st, err := f.Stat(); err == nil && st.Size() > 0 && st.Size() <= MaxRecordFile {
		size = int(st.Size()) + 1
	}
	b := make([]byte, 0, size)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := f.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if len(b) > MaxRecordFile {
			return nil, fmt.Errorf("%s: larger than %d bytes", name, MaxRecordFile)
		}
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// StreamDir opens a record directory (the four files at the root of fsys)
// as a stream: roll.txt is read whole, leaves.txt leaf by leaf, the other
// two when the leaves are done. The returned function closes leaves.txt.
// I/O errors are returned wrapped; malformed framing is a [*FileError].
func StreamDir(fsys fs.FS) (RecordStream, func() error, error) {
	roll, err := readWhole(fsys, RollFile)
	if err != nil {
		return RecordStream{}, nil, fmt.Errorf("record: %w", err)
	}
	f, err := fsys.Open(LeavesFile)
	if err != nil {
		return RecordStream{}, nil, fmt.Errorf("record: %w", err)
	}
	lr := NewLineReader(f, LeavesFile)
	var size int64
	if fi, err := f.Stat(); err == nil {
		size = fi.Size()
	}
	return RecordStream{
		Roll:       roll,
		LeavesSize: size,
		Next: func() ([]byte, error) {
			b, err := lr.Next()
			if err != nil && !errors.Is(err, io.EOF) {
				if _, ok := asFileError(err); !ok {
					err = fmt.Errorf("record: %s: %w", LeavesFile, err)
				}
			}
			return b, err
		},
		Tail: func() ([][]byte, [][]byte, error) {
			var items [2][][]byte
			for k, name := range []string{CheckpointsFile, ResultsFile} {
				b, err := readWhole(fsys, name)
				if err != nil {
					return nil, nil, fmt.Errorf("record: %w", err)
				}
				if items[k], err = decodeLines(name, b); err != nil {
					return nil, nil, err
				}
			}
			return items[0], items[1], nil
		},
	}, f.Close, nil
}

// WriteFiles writes the record's four files through write, in archive
// order.
func (r *Record) WriteFiles(write func(name string, data []byte) error) error {
	for _, name := range RecordFiles() {
		b, err := r.File(name)
		if err != nil {
			return err
		}
		if err := write(name, b); err != nil {
			return fmt.Errorf("record: write %s: %w", name, err)
		}
	}
	return nil
}

// WriteArchive writes the record as a POSIX ustar archive (§10.1): the four
// files at top level in order, mode 0644, uid and gid 0, mtime 0, empty
// user and group names, then the two zero blocks that end the archive. The
// bytes depend only on the record.
func (r *Record) WriteArchive(w io.Writer) error {
	files := make(map[string][]byte)
	for _, name := range RecordFiles() {
		b, err := r.File(name)
		if err != nil {
			return err
		}
		files[name] = b
	}
	if err := writeArchive(w, files); err != nil {
		return fmt.Errorf("record: archive: %w", err)
	}
	return nil
}

// writeArchive writes files (keyed by name) in the canonical archive form.
func writeArchive(w io.Writer, files map[string][]byte) error {
	tw := tar.NewWriter(w)
	for _, name := range RecordFiles() {
		b := files[name]
		hdr := &tar.Header{
			Typeflag: tar.TypeReg,
			Name:     name,
			Size:     int64(len(b)),
			Mode:     0o644,
			ModTime:  time.Unix(0, 0),
			Format:   tar.FormatUSTAR,
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(b); err != nil {
			return err
		}
	}
	return tw.Close()
}

// ErrArchive reports an archive that is not the canonical ustar form of a
// record (§10.1).
var ErrArchive = errors.New("not a canonical record archive")

// ReadArchive reads a record archive strictly into memory: it must hold
// exactly the four files in order and be byte for byte what
// [Record.WriteArchive] writes for them ([StreamArchive]). Structural
// problems wrap [ErrArchive]; malformed file content gives a [*FileError].
func ReadArchive(r io.Reader) (*Record, error) {
	s, err := StreamArchive(r)
	if err != nil {
		return nil, err
	}
	return s.Collect()
}
