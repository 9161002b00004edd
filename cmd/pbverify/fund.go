package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hedensted-pb/pb/tally/fund"
	"github.com/hedensted-pb/pb/tally/ledger"
	"github.com/hedensted-pb/pb/tally/recount"
)

const fundUsage = `usage: pbverify fund PATH -anchors FILE [-rounds] [-checkpoint FILE]... [-json]

Verifies a fund's ledger (docs/record.md §14): the checkpoints the fund key
signed (a fork gives a fork proof), the Merkle tree, that every entry is
canonical and signed, every allocation recomputed exactly, every
reservation within what its community had left, every cancellation,
closing and carry-over, and the chain of the rounds' results. With
-rounds it also verifies every published round's record with the anchors
its reservation gives (never the server's), and that the record's result
is the ledger's. Prints the fund per tranche and community (carry-in,
allocated, reserved, spent, carried over; projections marked *) and every
round.

PATH is a ledger directory .../funds/FUND/ledger or the URL prefix a server
publishes it under (https://HOST/funds/FUND/ledger/), holding leaves.txt
and checkpoints.txt; with -rounds the rounds' records are read next to it,
at .../rounds/ROUND/record. The anchors come from the fund's poster
(anchors.txt, pb-fund-anchors/v1), never from the server.

Exit status: 0 verified, 1 a check failed, 2 usage or I/O error.

flags (one or two dashes):
`

// maxFundFile bounds each ledger file read or fetched (256 MiB).
const maxFundFile = 256 << 20

// cmdFund implements "pbverify fund".
func cmdFund(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("fund", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() {
		fmt.Fprint(stderr, fundUsage)
		fl.PrintDefaults()
	}
	anchors := fl.String("anchors", "", "the fund's trust anchors `FILE` (anchors.txt from the fund's poster)")
	rounds := fl.Bool("rounds", false, "also verify every reserved round's record, next to the ledger")
	var cps listFlag
	fl.Var(&cps, "checkpoint", "a fund checkpoint note `FILE` seen outside the ledger; repeatable")
	asJSON := fl.Bool("json", false, "print the machine-readable JSON report")
	pos, code := parseInterleaved(fl, args, stderr)
	if code >= 0 {
		return code
	}
	if len(pos) != 1 {
		return usageError(stderr, "fund", "want exactly one ledger PATH, got %d arguments", len(pos))
	}
	if *anchors == "" {
		return usageError(stderr, "fund", "the fund's anchors are missing: give -anchors FILE")
	}
	b, err := os.ReadFile(*anchors)
	if err != nil {
		errorf(stderr, "read anchors: %v", err)
		return exitUsage
	}
	var opts fund.VerifyOptions
	a, err := fund.ParseAnchors(b)
	if err != nil {
		opts.AnchorsError = fmt.Errorf("%s: %w", *anchors, err)
	} else {
		opts.Anchors = &a
	}
	for _, f := range cps {
		b, err := os.ReadFile(f)
		if err != nil {
			errorf(stderr, "read checkpoint: %v", err)
			return exitUsage
		}
		opts.Checkpoints = append(opts.Checkpoints, ledger.Source{Name: f, Bytes: b})
	}
	src, err := newFundSource(pos[0])
	if err != nil {
		errorf(stderr, "%v", err)
		return exitUsage
	}
	if *rounds {
		if src.roundsAt == "" {
			errorf(stderr, "-rounds: %s is not a ledger at .../funds/FUND/ledger, so its rounds cannot be found", pos[0])
			hintf(stderr, "give the ledger's path or URL as the server publishes it")
			return exitUsage
		}
		opts.Rounds = src.round
		opts.Count = recount.Count
	}
	l, err := fund.ParseLedger(src.read)
	var rep *fund.Report
	switch {
	case err == nil:
		rep = fund.VerifyLedger(l, opts)
	default:
		if rep = fund.ReportReadError(err, opts); rep == nil {
			errorf(stderr, "%v", err)
			return exitUsage
		}
	}
	if *asJSON {
		b, err := rep.JSON()
		if err == nil {
			_, err = stdout.Write(b)
		}
		if err != nil {
			errorf(stderr, "%v", err)
			return exitUsage
		}
	} else if err := rep.WriteText(stdout); err != nil {
		errorf(stderr, "%v", err)
		return exitUsage
	}
	if len(rep.ReadErrors) > 0 {
		for _, e := range rep.ReadErrors {
			errorf(stderr, "%s", e)
		}
		hintf(stderr, "a round's record could not be read: the verdict is incomplete")
		return exitUsage
	}
	return verdict(stderr, rep)
}

// fundSource reads a ledger's files and its rounds' records from a
// directory or a URL prefix.
type fundSource struct {
	read     func(name string) ([]byte, error)
	roundsAt string // the directory or URL prefix holding rounds/, or "" when PATH is not …/funds/ID/ledger
	web      bool
	client   *http.Client
}

// newFundSource returns the source of the ledger at path (a directory or
// an http(s) URL prefix).
func newFundSource(path string) (*fundSource, error) {
	s := &fundSource{}
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		u, err := url.Parse(path)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("ledger URL %q is not valid", path)
		}
		s.web, s.client = true, &http.Client{Timeout: 2 * time.Minute}
		prefix := strings.TrimSuffix(path, "/")
		s.read = func(name string) ([]byte, error) { return s.fetch(prefix + "/" + name) }
		if i := strings.LastIndex(prefix, "/funds/"); i >= 0 && strings.HasSuffix(prefix, "/ledger") &&
			!strings.Contains(prefix[i+len("/funds/"):len(prefix)-len("/ledger")], "/") {
			s.roundsAt = prefix[:i]
		}
		return s, nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a ledger directory", path)
	}
	s.read = func(name string) ([]byte, error) { return readFile(filepath.Join(path, name)) }
	clean := filepath.Clean(path)
	if abs, err := filepath.Abs(clean); err == nil {
		clean = abs
	}
	if filepath.Base(clean) == "ledger" && filepath.Base(filepath.Dir(filepath.Dir(clean))) == "funds" {
		s.roundsAt = filepath.Dir(filepath.Dir(filepath.Dir(clean)))
	}
	return s, nil
}

// readFile reads a file of at most maxFundFile bytes.
func readFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFundFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxFundFile {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, maxFundFile)
	}
	return b, nil
}

// fetch downloads one file; a 404 is an error wrapping fs.ErrNotExist.
func (s *fundSource) fetch(u string) ([]byte, error) {
	resp, err := s.client.Get(u)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, fmt.Errorf("fetch %s: %s: %w", u, resp.Status, fs.ErrNotExist)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch %s: %s", u, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxFundFile+1))
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", u, err)
	}
	if len(b) > maxFundFile {
		return nil, fmt.Errorf("fetch %s: larger than %d bytes", u, maxFundFile)
	}
	return b, nil
}

// round reads the record of round id next to the ledger (the contract of
// fund.VerifyOptions.Rounds): …/rounds/ID/record.
func (s *fundSource) round(id string) (*ledger.Record, error) {
	if s.web {
		prefix := s.roundsAt + "/rounds/" + id + "/record/"
		return ledger.ParseRecord(func(name string) ([]byte, error) { return s.fetch(prefix + name) })
	}
	dir := filepath.Join(s.roundsAt, "rounds", id, "record")
	if _, err := os.Stat(dir); err != nil {
		return nil, err
	}
	rec, err := ledger.ReadRecord(os.DirFS(dir))
	var fe *ledger.FileError
	if err != nil && !errors.As(err, &fe) && errors.Is(err, fs.ErrNotExist) {
		// A record directory without one of its files is malformed, not
		// missing.
		return nil, fmt.Errorf("%s: %v", dir, err)
	}
	return rec, err
}
