package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/ballot/slipsheet"
)

const codesUsage = `usage: pbverify codes -round ID -n N [-reserve R] -out DIR -base-url URL [-title TEXT]

Generates N voting codes plus R reserve codes offline, from crypto/rand, and
writes two files:

  DIR/roll.txt     the roll: the public keys of all N+R codes (public; give
                   it to whoever freezes the round's manifest)
  DIR/slips.html   printable A4 slips with each code as QR code and text
                   (SECRET, mode 0600: print it, then delete it)

The codes are never printed to the terminal. The output shows the roll hash
and key count, as they appear on the manifest's roll line.

flags:
`

// maxCodes bounds N+R so that the slip sheet stays printable.
const maxCodes = 50000

// cmdCodes implements "pbverify codes".
func cmdCodes(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("codes", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() {
		fmt.Fprint(stderr, codesUsage)
		fl.PrintDefaults()
	}
	round := fl.String("round", "", "round `ID` the codes are for (keys are derived per round)")
	n := fl.Int("n", 0, "number of ordinary voting codes")
	reserve := fl.Int("reserve", 0, "number of extra reserve codes, marked RESERVE on their slips")
	out := fl.String("out", "", "output `DIR`ectory (created if missing; must not hold roll.txt or slips.html)")
	baseURL := fl.String("base-url", "", "platform `URL` for the QR codes, which hold URL/v/ROUND#CODE")
	title := fl.String("title", "", "round title printed on the slips (default: the round ID)")
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	usageErr := func(format string, a ...any) int {
		errorf(stderr, format, a...)
		hintf(stderr, "run 'pbverify codes -h' for usage")
		return exitUsage
	}
	switch {
	case fl.NArg() > 0:
		return usageErr("unexpected argument %q", fl.Arg(0))
	case !ballot.ValidID(*round):
		return usageErr("-round %q is not a round ID (lower-case letters, digits and hyphens)", *round)
	case *n < 1:
		return usageErr("-n must be at least 1")
	case *reserve < 0:
		return usageErr("-reserve must not be negative")
	case *n > maxCodes || *reserve > maxCodes-*n:
		return usageErr("at most %d codes in all", maxCodes)
	case *out == "":
		return usageErr("missing -out DIR")
	case *baseURL == "":
		return usageErr("missing -base-url (for example https://pb.hedensted.dk)")
	case *title != "" && !ballot.ValidText(*title):
		return usageErr("-title is not a valid text (1 to 200 bytes, no control characters, single spaces)")
	}

	rollPath := filepath.Join(*out, "roll.txt")
	slipsPath := filepath.Join(*out, "slips.html")
	for _, p := range []string{rollPath, slipsPath} {
		if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
			errorf(stderr, "%s already exists", p)
			hintf(stderr, "use a new -out directory: printed slips must match exactly one roll")
			return exitUsage
		}
	}

	sheet := slipsheet.Sheet{Round: *round, Title: *title, BaseURL: *baseURL}
	keys := make([][32]byte, 0, *n+*reserve)
	for i := range *n + *reserve {
		c, err := ballot.NewCode(rand.Reader)
		if err != nil {
			errorf(stderr, "%v", err)
			return exitUsage
		}
		sheet.Slips = append(sheet.Slips, slipsheet.Slip{Code: c, Reserve: i >= *n})
		keys = append(keys, ballot.PublicKey(ballot.DeriveKey(c, *round)))
	}
	roll, err := ballot.NewRoll(*round, keys)
	if err != nil {
		// Only a broken random source gives two equal keys.
		errorf(stderr, "%v", err)
		return exitUsage
	}
	var html bytes.Buffer
	if err := slipsheet.Render(&html, sheet); err != nil {
		if errors.Is(err, slipsheet.ErrInvalidSheet) {
			return usageErr("%v", err)
		}
		errorf(stderr, "%v", err)
		return exitUsage
	}

	if err := os.MkdirAll(*out, 0o700); err != nil {
		errorf(stderr, "%v", err)
		return exitUsage
	}
	if err := writeNew(slipsPath, html.Bytes(), 0o600); err != nil {
		errorf(stderr, "%v", err)
		return exitUsage
	}
	if err := writeNew(rollPath, roll.Bytes(), 0o644); err != nil {
		os.Remove(slipsPath) // slips without their roll are useless
		errorf(stderr, "%v", err)
		return exitUsage
	}
	h := roll.Hash()
	fmt.Fprintf(stdout, "round %s\n", *round)
	fmt.Fprintf(stdout, "keys %d (%d codes, %d reserve)\n", len(roll.Keys), *n, *reserve)
	fmt.Fprintf(stdout, "roll %s %d\n", base64.StdEncoding.EncodeToString(h[:]), len(roll.Keys))
	fmt.Fprintf(stdout, "wrote %s (public)\n", rollPath)
	fmt.Fprintf(stdout, "wrote %s (SECRET: holds the voting codes; print it, then delete it)\n", slipsPath)
	return exitOK
}

// writeNew creates path with perm, failing if it exists, and writes b. On a
// write error it removes the partial file.
func writeNew(path string, b []byte, perm fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
