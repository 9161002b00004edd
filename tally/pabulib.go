package tally

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// ErrPabulib is wrapped by every error about a malformed pabulib .pb file.
var ErrPabulib = errors.New("malformed pabulib file")

// A PabulibError reports where a .pb file is malformed. It matches
// [ErrPabulib] with [errors.Is].
type PabulibError struct {
	Line int // 1-based line number in the file, 0 when not tied to a line
	Msg  string
}

func (e *PabulibError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("pabulib line %d: %s", e.Line, e.Msg)
	}
	return "pabulib: " + e.Msg
}

// Unwrap returns [ErrPabulib].
func (e *PabulibError) Unwrap() error { return ErrPabulib }

func pbErr(line int, format string, args ...any) error {
	return &PabulibError{Line: line, Msg: fmt.Sprintf(format, args...)}
}

// A PB is a pabulib .pb file (https://pabulib.org/format) as text: every
// META entry and every column of PROJECTS and VOTES is kept, known or not,
// in file order, so a file can be read, inspected and written back.
// [PB.Election] interprets it for counting.
//
// Values are stored as [ReadPB] found them after CSV unquoting and removal
// of surrounding white space, which is how pabutools reads them too.
type PB struct {
	Meta           []MetaEntry // META section, in file order
	ProjectColumns []string    // PROJECTS header; starts with "project_id"
	Projects       []PBRow     // one per project, each with len(ProjectColumns) fields
	VoteColumns    []string    // VOTES header; starts with "voter_id"
	Votes          []PBRow     // one per voter, each with len(VoteColumns) fields
}

// A MetaEntry is one key;value line of the META section.
type MetaEntry struct {
	Key, Value string
	Line       int // line number in the file read, 0 for entries built in code
}

// A PBRow is one line of the PROJECTS or VOTES section.
type PBRow struct {
	Fields []string
	Line   int // line number in the file read, 0 for rows built in code
}

// MetaValue returns the value of the last META entry named key.
func (pb *PB) MetaValue(key string) (value string, ok bool) {
	for i := len(pb.Meta) - 1; i >= 0; i-- {
		if pb.Meta[i].Key == key {
			return pb.Meta[i].Value, true
		}
	}
	return "", false
}

// metaLine returns the line of the last META entry named key (0 if none).
func (pb *PB) metaLine(key string) int {
	for i := len(pb.Meta) - 1; i >= 0; i-- {
		if pb.Meta[i].Key == key {
			return pb.Meta[i].Line
		}
	}
	return 0
}

// SetMeta sets the value of the META entry named key, replacing the last
// such entry or appending a new one.
func (pb *PB) SetMeta(key, value string) {
	for i := len(pb.Meta) - 1; i >= 0; i-- {
		if pb.Meta[i].Key == key {
			pb.Meta[i].Value = value
			return
		}
	}
	pb.Meta = append(pb.Meta, MetaEntry{Key: key, Value: value})
}

// column returns the index of the named column, or -1.
func column(cols []string, name string) int {
	for i, c := range cols {
		if c == name {
			return i
		}
	}
	return -1
}

// ReadPB reads a pabulib .pb file. It accepts what pabutools accepts in
// practice: an optional UTF-8 byte order mark, LF or CRLF line ends, blank
// lines anywhere, ';'-separated CSV fields with '"' quoting ('""' inside
// quotes is one '"'), and white space around values, which is removed.
//
// The file must hold the sections META, PROJECTS and VOTES in this order,
// each a title line and a header line; META's header is "key;value",
// PROJECTS' header starts with "project_id" and has a "cost" column, VOTES'
// header starts with "voter_id" and has a "vote" column. Every row must have
// as many fields as its header. ReadPB checks only this structure; values
// are interpreted by [PB.Election]. Errors are [*PabulibError] values with
// the line number.
func ReadPB(r io.Reader) (*PB, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read pabulib file: %w", err)
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if !utf8.Valid(data) {
		line := 1 + bytes.Count(data[:firstInvalidUTF8(data)], []byte("\n"))
		return nil, pbErr(line, "not valid UTF-8")
	}
	sc := csvScanner{data: data, line: 1}
	pb := &PB{}
	section := ""
	seen := map[string]bool{}
	for {
		fields, line, ok := sc.next()
		if !ok {
			break
		}
		for i := range fields {
			fields[i] = strings.TrimSpace(fields[i])
		}
		if len(fields) == 0 || len(fields) == 1 && fields[0] == "" {
			continue // blank line
		}
		if name := strings.ToLower(fields[0]); name == "meta" || name == "projects" || name == "votes" {
			if seen[name] {
				return nil, pbErr(line, "second %s section", strings.ToUpper(name))
			}
			want := map[string]string{"meta": "", "projects": "meta", "votes": "projects"}[name]
			if section != want {
				return nil, pbErr(line, "section %s out of order (want META, PROJECTS, VOTES)", strings.ToUpper(name))
			}
			seen[name], section = true, name
			header, hline, err := sc.header()
			if err != nil {
				return nil, pbErr(line, "%s section without a header line", strings.ToUpper(name))
			}
			if err := pb.setHeader(name, header, hline); err != nil {
				return nil, err
			}
			continue
		}
		switch section {
		case "":
			return nil, pbErr(line, "line before the META section")
		case "meta":
			if len(fields) != 2 {
				return nil, pbErr(line, "META line has %d fields, want 2 (key;value)", len(fields))
			}
			if fields[0] == "" {
				return nil, pbErr(line, "META line with an empty key")
			}
			pb.Meta = append(pb.Meta, MetaEntry{Key: fields[0], Value: fields[1], Line: line})
		case "projects":
			if len(fields) != len(pb.ProjectColumns) {
				return nil, pbErr(line, "PROJECTS line has %d fields, the header has %d", len(fields), len(pb.ProjectColumns))
			}
			pb.Projects = append(pb.Projects, PBRow{Fields: fields, Line: line})
		case "votes":
			if len(fields) != len(pb.VoteColumns) {
				return nil, pbErr(line, "VOTES line has %d fields, the header has %d", len(fields), len(pb.VoteColumns))
			}
			pb.Votes = append(pb.Votes, PBRow{Fields: fields, Line: line})
		}
	}
	if sc.err != nil {
		return nil, sc.err
	}
	for _, s := range []string{"meta", "projects", "votes"} {
		if !seen[s] {
			return nil, pbErr(0, "no %s section", strings.ToUpper(s))
		}
	}
	return pb, nil
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

func (pb *PB) setHeader(section string, header []string, line int) error {
	for i := range header {
		header[i] = strings.TrimSpace(header[i])
	}
	for i, h := range header {
		if h == "" {
			return pbErr(line, "empty column name in the %s header", strings.ToUpper(section))
		}
		if column(header[:i], h) >= 0 {
			return pbErr(line, "column %q appears twice in the %s header", h, strings.ToUpper(section))
		}
	}
	switch section {
	case "meta":
		if len(header) != 2 || header[0] != "key" || header[1] != "value" {
			return pbErr(line, "META header is %q, want \"key;value\"", strings.Join(header, ";"))
		}
	case "projects":
		if header[0] != "project_id" || column(header, "cost") < 0 {
			return pbErr(line, "PROJECTS header must start with project_id and have a cost column")
		}
		pb.ProjectColumns = header
	case "votes":
		if header[0] != "voter_id" || column(header, "vote") < 0 {
			return pb.votesHeaderErr(line)
		}
		pb.VoteColumns = header
	}
	return nil
}

func (pb *PB) votesHeaderErr(line int) error {
	return pbErr(line, "VOTES header must start with voter_id and have a vote column")
}

// csvScanner splits data into ';'-separated CSV records, tracking lines.
type csvScanner struct {
	data []byte
	pos  int
	line int // line number at pos
	err  error
}

// next returns the fields of the next record and the line it starts on.
func (s *csvScanner) next() (fields []string, line int, ok bool) {
	if s.pos >= len(s.data) || s.err != nil {
		return nil, 0, false
	}
	line = s.line
	var field []byte
	quoted := false // inside a quoted part of a field
	atStart := true // nothing read yet for this field
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		s.pos++
		if quoted {
			switch {
			case c == '"' && s.pos < len(s.data) && s.data[s.pos] == '"':
				field = append(field, '"')
				s.pos++
			case c == '"':
				quoted = false
			default:
				if c == '\n' {
					s.line++
				}
				field = append(field, c)
			}
			continue
		}
		switch c {
		case '"':
			if atStart {
				quoted, atStart = true, false
				continue
			}
			field = append(field, c)
		case ';':
			fields = append(fields, string(field))
			field, atStart = field[:0], true
			continue
		case '\r':
			if s.pos < len(s.data) && s.data[s.pos] == '\n' {
				s.pos++
			}
			s.line++
			return append(fields, string(field)), line, true
		case '\n':
			s.line++
			return append(fields, string(field)), line, true
		default:
			field = append(field, c)
		}
		atStart = false
	}
	if quoted {
		s.err = pbErr(line, "quoted field not closed before the end of the file")
		return nil, 0, false
	}
	return append(fields, string(field)), line, true
}

// header returns the next non-blank record.
func (s *csvScanner) header() ([]string, int, error) {
	for {
		f, line, ok := s.next()
		if !ok {
			return nil, 0, errors.New("no header")
		}
		if len(f) == 1 && strings.TrimSpace(f[0]) == "" {
			continue
		}
		return f, line, nil
	}
}

// WriteTo writes pb as a .pb file: the three sections in order, fields
// separated by ';', quoted only when they contain ';', '"', a line break,
// or begin with '"', lines ending in LF, no byte order mark. Reading the
// output with [ReadPB] gives back the same entries, columns and fields.
// WriteTo returns an error if a row's length differs from its header's.
func (pb *PB) WriteTo(w io.Writer) (int64, error) {
	if len(pb.ProjectColumns) == 0 || len(pb.VoteColumns) == 0 {
		return 0, pbErr(0, "missing PROJECTS or VOTES header")
	}
	cw := &countWriter{w: bufio.NewWriterSize(w, 64<<10)}
	bw := cw.w.(*bufio.Writer)
	row := func(fields []string) {
		for i, f := range fields {
			if i > 0 {
				cw.writeString(";")
			}
			cw.writeString(quoteField(f))
		}
		cw.writeString("\n")
	}
	cw.writeString("META\nkey;value\n")
	for _, m := range pb.Meta {
		row([]string{m.Key, m.Value})
	}
	cw.writeString("PROJECTS\n")
	row(pb.ProjectColumns)
	for _, r := range pb.Projects {
		if len(r.Fields) != len(pb.ProjectColumns) {
			return cw.n, pbErr(0, "project row has %d fields, the header has %d", len(r.Fields), len(pb.ProjectColumns))
		}
		row(r.Fields)
	}
	cw.writeString("VOTES\n")
	row(pb.VoteColumns)
	for _, r := range pb.Votes {
		if len(r.Fields) != len(pb.VoteColumns) {
			return cw.n, pbErr(0, "vote row has %d fields, the header has %d", len(r.Fields), len(pb.VoteColumns))
		}
		row(r.Fields)
	}
	if cw.err != nil {
		return cw.n, cw.err
	}
	if err := bw.Flush(); err != nil {
		return cw.n, err
	}
	return cw.n, nil
}

func quoteField(f string) string {
	if f == "" || !strings.ContainsAny(f, ";\"\r\n") && strings.TrimSpace(f) == f {
		return f
	}
	return `"` + strings.ReplaceAll(f, `"`, `""`) + `"`
}

type countWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countWriter) writeString(s string) {
	if c.err != nil {
		return
	}
	n, err := io.WriteString(c.w, s)
	c.n += int64(n)
	c.err = err
}
