package main

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hedensted-pb/pb/ballot"
	"github.com/hedensted-pb/pb/ui"
	"github.com/hedensted-pb/pb/ui/demo"
	"github.com/hedensted-pb/pb/ui/service"
	"github.com/hedensted-pb/pb/ui/store"
)

// shutdownTimeout bounds the graceful shutdown.
const shutdownTimeout = 15 * time.Second

// fdReserve is how many file descriptors are kept for other than client
// connections (the database, key files, the listener, logs, backups).
const fdReserve = 128

// maxConns is the number of connections to serve at once: the configured
// one, or ui.DefaultMaxConns lowered to fit the descriptor limit. It
// fails when the limit leaves too few.
func maxConns(configured, openFiles int, logger *slog.Logger) (int, error) {
	if openFiles > 0 && openFiles-fdReserve < 64 {
		return 0, fmt.Errorf("the open-file limit (ulimit -n) is %d: too low to serve; raise it to at least 1024 (docs/operations.md)", openFiles)
	}
	if configured > 0 {
		if openFiles > 0 && configured > openFiles-fdReserve {
			logger.Warn("-max-conns is above what the open-file limit allows; accepting will pause when descriptors run out (raise ulimit -n)",
				"max_conns", configured, "open_files", openFiles)
		}
		return configured, nil
	}
	n := ui.DefaultMaxConns
	if openFiles > 0 && openFiles-fdReserve < n {
		n = openFiles - fdReserve
	}
	return n, nil
}

// serve runs the server until ctx is done: it opens the data directory,
// builds the app, makes sure an administrator exists, seeds the demo when
// asked, serves on ln (or on cfg.Addr when ln is nil) and shuts down in
// order: stop accepting and finish requests in flight, append the batch in
// flight and sign the final checkpoints, close the store. It prints how to
// use the server to stdout and logs to stderr.
func serve(ctx context.Context, cfg config, ln net.Listener, stdout, stderr io.Writer) (err error) {
	logger, sink := newLogger(cfg.LogFormat, stderr)
	defer sink.Flush()
	data := cfg.Data
	temporary := false
	if data == "" {
		if data, err = os.MkdirTemp("", "pb-demo-"); err != nil {
			return fmt.Errorf("demo data directory: %w", err)
		}
		temporary = true
		defer func() {
			if rerr := os.RemoveAll(data); rerr != nil && err == nil {
				err = rerr
			}
		}()
	}
	if err := os.MkdirAll(data, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if err := checkDataDir(data); err != nil {
		return err
	}
	st, err := store.Open(filepath.Join(data, "pb.db"))
	if err != nil {
		return err
	}
	defer func() {
		if cerr := st.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	keys, err := store.OpenKeyring(filepath.Join(data, "keys"))
	if err != nil {
		return err
	}
	if ln == nil {
		if ln, err = net.Listen("tcp", cfg.Addr); err != nil {
			return fmt.Errorf("listen: %w", err)
		}
	}
	defer ln.Close()
	baseURL := cfg.BaseURL
	if baseURL == "" {
		baseURL = "http://" + publicAddr(cfg.Addr, ln.Addr())
	}
	svc, err := service.New(service.Config{Store: st, Keys: keys, BaseURL: baseURL, Logger: logger, Batch: cfg.Batch})
	if err != nil {
		return err
	}
	if err := svc.CheckKeys(ctx); err != nil {
		svc.Close()
		return err
	}
	conns, err := maxConns(cfg.MaxConns, openFileLimit(), logger)
	if err != nil {
		svc.Close()
		return err
	}
	app, err := ui.New(svc, ui.Config{Logger: logger, MaxConns: conns, MaxConnsPerIP: cfg.MaxConnsPerIP})
	if err != nil {
		svc.Close()
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		if serr := app.Shutdown(sctx); serr != nil && err == nil {
			err = fmt.Errorf("shutdown: %w", serr)
		}
		logger.Info("stopped")
	}()

	password, generated := cfg.AdminPassword, false
	if password == "" {
		password, generated = newPassword(), true
	}
	created, err := svc.EnsureAdmin(ctx, cfg.AdminName, password)
	if err != nil {
		return fmt.Errorf("administrator account: %w", err)
	}
	var info *demo.Info
	if cfg.Demo {
		start := time.Now()
		if info, err = demo.Seed(ctx, svc, cfg.AdminName); err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
		logger.Info("demo data ready", "seeded", info.Seeded, "took", time.Since(start).Round(time.Millisecond).String())
	}

	served := make(chan error, 1)
	go func() { served <- app.Listener(ln) }()
	logger.Info("serving", "url", baseURL, "data", data, "max_conns", conns, "max_conns_per_ip", cfg.MaxConnsPerIP, "open_files", openFileLimit())
	printBanner(stdout, baseURL, data, temporary, cfg.AdminName, password, created, generated, info)

	select {
	case <-ctx.Done():
		logger.Info("shutting down")
		return nil
	case err := <-served:
		if err != nil && !errors.Is(err, net.ErrClosed) {
			return fmt.Errorf("serve: %w", err)
		}
		return nil
	}
}

// newLogger builds the server's one logger, writing to w through a
// logSink (access lines in bursts, everything else at once); the caller
// flushes the sink when it stops.
func newLogger(format string, w io.Writer) (*slog.Logger, *logSink) {
	sink := newLogSink(w)
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	var h slog.Handler = slog.NewTextHandler(sink, opts)
	if format == "json" {
		h = slog.NewJSONHandler(sink, opts)
	}
	return slog.New(sinkHandler{h, sink}), sink
}

// publicAddr is the host:port to put in URLs: the configured host (so
// "localhost" stays readable) with the port actually bound.
func publicAddr(configured string, bound net.Addr) string {
	host, _, err := net.SplitHostPort(configured)
	_, port, err2 := net.SplitHostPort(bound.String())
	if err != nil || err2 != nil {
		return bound.String()
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// newPassword returns a random password of 24 base32 characters.
func newPassword() string {
	b := make([]byte, 15)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported systems
	}
	return strings.ToLower(base32.StdEncoding.EncodeToString(b))
}

// printBanner tells the operator how to use the server.
func printBanner(w io.Writer, baseURL, data string, temporary bool, admin, password string, created, generated bool, demo *demo.Info) {
	fmt.Fprintf(w, "pbserver: serving %s\n", baseURL)
	if temporary {
		fmt.Fprintf(w, "  data:          %s (temporary, removed when the server stops)\n", data)
	} else {
		fmt.Fprintf(w, "  data:          %s\n", data)
	}
	switch {
	case created && generated:
		fmt.Fprintf(w, "  administrator: %s / %s  (printed only now: note it down)\n", admin, password)
	case created:
		fmt.Fprintf(w, "  administrator: %s (password from PB_ADMIN_PASSWORD)\n", admin)
	default:
		fmt.Fprintf(w, "  administrator: %s (existing account)\n", admin)
	}
	fmt.Fprintf(w, "  sign in:       %s/admin/login\n", baseURL)
	if demo == nil {
		return
	}
	if !demo.Seeded {
		fmt.Fprintf(w, "  demo data was already in %s; its voting codes were printed at the first start\n", data)
		return
	}
	fmt.Fprintf(w, "\nDemo: %d local areas share Landdistriktspuljen 2026–2028 (1.500.000 kr.); rounds: %s\n",
		demo.Communities, strings.Join(demo.Rounds, ", "))
	fmt.Fprintf(w, "  vote in %s:    %s/r/%s\n", demo.VotingRound, baseURL, demo.VotingRound)
	fmt.Fprintf(w, "  voting codes to try (each votes once):\n")
	for _, c := range demo.Codes {
		code, _ := ballot.ParseCode(c)
		fmt.Fprintf(w, "    %s   %s/v/%s#%s\n", code, baseURL, demo.VotingRound, c)
	}
	fmt.Fprintf(w, "  published result:  %s/r/%s/results\n", baseURL, demo.Published)
	fmt.Fprintf(w, "  verify it:\n")
	fmt.Fprintf(w, "    curl -s %s/rounds/%s/anchors.txt > anchors.txt\n", baseURL, demo.Published)
	fmt.Fprintf(w, "    go run ./cmd/pbverify record %s/rounds/%s/record/ --anchors anchors.txt\n", baseURL, demo.Published)
	fmt.Fprintf(w, "  the whole fund (its poster: %s/f/%s/poster):\n", baseURL, demo.Fund)
	fmt.Fprintf(w, "    curl -s %s/funds/%s/anchors.txt > fund-anchors.txt\n", baseURL, demo.Fund)
	fmt.Fprintf(w, "    go run ./cmd/pbverify fund %s/funds/%s/ledger/ --anchors fund-anchors.txt --rounds\n", baseURL, demo.Fund)
}
