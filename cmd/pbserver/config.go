package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"
)

// config is the server's configuration from flags and the environment.
type config struct {
	Addr          string        // listen address, host:port
	Data          string        // data directory ("" with Demo: a temporary one)
	BaseURL       string        // public URL; default http://<addr>
	Batch         time.Duration // sequencer batch period
	Demo          bool          // seed demo data
	LogFormat     string        // text or json
	AdminName     string        // the first administrator's account
	AdminPassword string        // from PB_ADMIN_PASSWORD; generated when empty
	MaxConns      int           // connections served at once; 0: from the descriptor limit
	MaxConnsPerIP int           // connections per client address; 0: no limit
}

const usageText = `usage: pbserver [flags]
       pbserver backup -url URL -o FILE
       pbserver check DIR

Serves the participatory-budgeting platform. Every flag may also be set
from the environment variable in brackets; flags win.

`

// parseConfig reads flags, with defaults from the environment.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fs := flag.NewFlagSet("pbserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usageText)
		fs.PrintDefaults()
	}
	var c config
	fs.StringVar(&c.Addr, "addr", env("PB_ADDR", "localhost:8080"), "listen address HOST:PORT [PB_ADDR]")
	fs.StringVar(&c.Data, "data", env("PB_DATA", ""), "data directory: database and keys [PB_DATA] (default ./pb-data; with -demo a temporary directory)")
	fs.StringVar(&c.BaseURL, "base-url", env("PB_BASE_URL", ""), "public URL of the server, e.g. https://pb.example.dk [PB_BASE_URL] (default http://ADDR)")
	batch := env("PB_BATCH", "1s")
	fs.StringVar(&batch, "batch", batch, "ballot batch period [PB_BATCH]")
	demoDefault, err := strconv.ParseBool(env("PB_DEMO", "false"))
	if err != nil {
		return c, fmt.Errorf("%w: PB_DEMO must be true or false", errUsage)
	}
	fs.BoolVar(&c.Demo, "demo", demoDefault, "seed a throw-away demo municipality and print how to try it [PB_DEMO]")
	fs.StringVar(&c.LogFormat, "log-format", env("PB_LOG_FORMAT", "text"), "log format: text or json [PB_LOG_FORMAT]")
	maxConns, err := strconv.Atoi(env("PB_MAX_CONNS", "0"))
	if err != nil || maxConns < 0 {
		return c, fmt.Errorf("%w: PB_MAX_CONNS must be a number ≥ 0", errUsage)
	}
	fs.IntVar(&c.MaxConns, "max-conns", maxConns, "connections served at once; more are answered 503 (0: 4096, or fewer when ulimit -n is lower) [PB_MAX_CONNS]")
	perIP, err := strconv.Atoi(env("PB_MAX_CONNS_PER_IP", "1024"))
	if err != nil || perIP < 0 {
		return c, fmt.Errorf("%w: PB_MAX_CONNS_PER_IP must be a number ≥ 0", errUsage)
	}
	fs.IntVar(&c.MaxConnsPerIP, "max-conns-per-ip", perIP, "connections one client address may hold; more are answered 429 (0: no limit; behind a reverse proxy on this host use 0 and limit clients in the proxy) [PB_MAX_CONNS_PER_IP]")
	c.AdminName = env("PB_ADMIN_NAME", "admin")
	c.AdminPassword = getenv("PB_ADMIN_PASSWORD")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return c, fmt.Errorf("%w: help requested", errUsage)
		}
		return c, fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if c.Batch, err = time.ParseDuration(batch); err != nil || c.Batch < 10*time.Millisecond || c.Batch > time.Minute {
		return c, fmt.Errorf("%w: -batch / PB_BATCH must be a duration from 10ms to 1m", errUsage)
	}
	if c.MaxConns < 0 || c.MaxConnsPerIP < 0 {
		return c, fmt.Errorf("%w: -max-conns and -max-conns-per-ip must be ≥ 0", errUsage)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return c, fmt.Errorf("%w: -log-format must be text or json", errUsage)
	}
	if c.Data == "" && !c.Demo {
		c.Data = "pb-data"
	}
	return c, nil
}
