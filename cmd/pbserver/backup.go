package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// runBackup is "pbserver backup": it signs in to a running server as an
// administrator and streams GET /admin/backup, a consistent copy of the
// database, into a file. The file appears only when the download is
// complete (written to FILE.part, synced, renamed).
func runBackup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("pbserver backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", getenv("PB_BASE_URL"), "server URL, e.g. https://pb.example.dk [PB_BASE_URL]")
	out := fs.String("o", "", "output file (required)")
	user := fs.String("user", firstNonEmpty(getenv("PB_ADMIN_NAME"), "admin"), "administrator account [PB_ADMIN_NAME]")
	fs.Usage = func() {
		fmt.Fprint(stderr, "usage: pbserver backup -url URL -o FILE [-user NAME]\n\nThe password is read from PB_ADMIN_PASSWORD.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	password := getenv("PB_ADMIN_PASSWORD")
	switch {
	case *url == "":
		return fmt.Errorf("%w: missing -url", errUsage)
	case *out == "":
		return fmt.Errorf("%w: missing -o FILE", errUsage)
	case password == "":
		return fmt.Errorf("%w: set PB_ADMIN_PASSWORD to the administrator's password", errUsage)
	case fs.NArg() > 0:
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	base := strings.TrimSuffix(*url, "/")
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 30 * time.Minute}

	body, _ := json.Marshal(map[string]string{"name": *user, "password": password})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/login", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("sign in: %w", err)
	}
	var sess struct {
		CSRF string `json:"csrf"`
	}
	derr := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&sess)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("sign in as %s: server answered %s", *user, resp.Status)
	}
	if derr != nil {
		return fmt.Errorf("sign in as %s: %w", *user, derr)
	}
	// Sign out when done, whatever happens: no session is left behind.
	defer logout(client, base, sess.CSRF, stderr)

	req, err = http.NewRequestWithContext(ctx, http.MethodGet, base+"/admin/backup", nil)
	if err != nil {
		return err
	}
	resp, err = client.Do(req)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("backup: server answered %s", resp.Status)
	}
	part := *out + ".part"
	f, err := os.OpenFile(part, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	n, err := io.Copy(f, resp.Body)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n == 0 {
		err = fmt.Errorf("empty backup")
	}
	if err != nil {
		os.Remove(part)
		return fmt.Errorf("backup: %w", err)
	}
	if err := os.Rename(part, *out); err != nil {
		return err
	}
	abs, _ := filepath.Abs(*out)
	fmt.Fprintf(stdout, "pbserver: backup of %s written to %s (%d bytes)\n", base, abs, n)
	return nil
}

// logout ends the backup's session (POST /api/logout with its CSRF
// token). A failure is reported but does not fail the backup: the session
// expires on its own.
func logout(client *http.Client, base, csrf string, stderr io.Writer) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/logout", nil)
	if err != nil {
		return
	}
	req.Header.Set("X-CSRF-Token", csrf)
	resp, err := client.Do(req)
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("server answered %s", resp.Status)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "pbserver: warning: sign out after the backup: %v\n", err)
	}
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
