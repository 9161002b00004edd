package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/hedensted-pb/pb/tally/ledger"
)

// httpClient fetches records: no limit on a whole download (a city's
// leaves.txt is hundreds of megabytes), but on connecting and on waiting
// for an answer.
var httpClient = &http.Client{Transport: &http.Transport{
	Proxy:                 http.ProxyFromEnvironment,
	DialContext:           (&net.Dialer{Timeout: 30 * time.Second}).DialContext,
	TLSHandshakeTimeout:   30 * time.Second,
	ResponseHeaderTimeout: 2 * time.Minute,
}}

// openStream opens the record at path for [ledger.VerifyStream]: a record
// directory, an archive file, the URL of an archive (ending in .tar), or an
// http(s) URL prefix under which the four files are served. The returned
// function releases what it opened.
func openStream(path string) (ledger.RecordStream, func() error, error) {
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		return fetchStream(path)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return ledger.RecordStream{}, nil, err
	}
	if fi.IsDir() {
		return ledger.StreamDir(os.DirFS(path))
	}
	f, err := os.Open(path)
	if err != nil {
		return ledger.RecordStream{}, nil, err
	}
	s, err := ledger.StreamArchive(f)
	if err != nil {
		f.Close()
		return ledger.RecordStream{}, nil, err
	}
	return s, f.Close, nil
}

// get fetches u and returns the response, whose body the caller closes.
func get(u string) (*http.Response, error) {
	resp, err := httpClient.Get(u)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("fetch %s: %s", u, resp.Status)
	}
	return resp, nil
}

// getWhole fetches a record file other than leaves.txt, at most
// ledger.MaxRecordFile bytes.
func getWhole(u string) ([]byte, error) {
	resp, err := get(u)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, ledger.MaxRecordFile+1))
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", u, err)
	}
	if len(b) > ledger.MaxRecordFile {
		return nil, fmt.Errorf("fetch %s: larger than %d bytes", u, ledger.MaxRecordFile)
	}
	return b, nil
}

// fetchStream opens a record served over HTTP: the archive when the URL's
// path ends in .tar (docs/api.md's /rounds/ROUND/record.tar), otherwise
// the four files under the URL as a prefix.
func fetchStream(raw string) (ledger.RecordStream, func() error, error) {
	base, err := url.Parse(raw)
	if err != nil || base.Host == "" {
		return ledger.RecordStream{}, nil, fmt.Errorf("record URL %q is not valid", raw)
	}
	if strings.HasSuffix(base.Path, ".tar") {
		resp, err := get(raw)
		if err != nil {
			return ledger.RecordStream{}, nil, err
		}
		s, err := ledger.StreamArchive(resp.Body)
		if err != nil {
			resp.Body.Close()
			return ledger.RecordStream{}, nil, err
		}
		return s, resp.Body.Close, nil
	}
	prefix := strings.TrimSuffix(raw, "/") + "/"
	roll, err := getWhole(prefix + ledger.RollFile)
	if err != nil {
		return ledger.RecordStream{}, nil, err
	}
	resp, err := get(prefix + ledger.LeavesFile)
	if err != nil {
		return ledger.RecordStream{}, nil, err
	}
	body := resp.Body
	lr := ledger.NewLineReader(body, ledger.LeavesFile)
	return ledger.RecordStream{
		Roll:       roll,
		LeavesSize: max(resp.ContentLength, 0),
		Next: func() ([]byte, error) {
			b, err := lr.Next()
			var fe *ledger.FileError
			if err != nil && !errors.Is(err, io.EOF) && !errors.As(err, &fe) {
				err = fmt.Errorf("fetch %s: %w", prefix+ledger.LeavesFile, err)
			}
			return b, err
		},
		Tail: func() ([][]byte, [][]byte, error) {
			var items [2][][]byte
			for k, name := range []string{ledger.CheckpointsFile, ledger.ResultsFile} {
				b, err := getWhole(prefix + name)
				if err != nil {
					return nil, nil, err
				}
				if items[k], err = ledger.ParseLines(name, b); err != nil {
					return nil, nil, err
				}
			}
			return items[0], items[1], nil
		},
	}, body.Close, nil
}

// loadRecord reads a whole record into memory (for commands that need
// every leaf, such as paper-audit): [openStream], collected.
func loadRecord(path string) (*ledger.Record, error) {
	s, closeFn, err := openStream(path)
	if err != nil {
		return nil, err
	}
	rec, err := s.Collect()
	return rec, errors.Join(err, closeFn())
}
