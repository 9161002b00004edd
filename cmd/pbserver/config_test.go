package main

import (
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	tests := []struct {
		name string
		args []string
		env  func(string) string
		want config
	}{
		{"defaults", nil, env(), config{Addr: "localhost:8080", Data: "pb-data", Batch: time.Second, LogFormat: "text", AdminName: "admin", MaxConnsPerIP: 1024}},
		{"demo uses a temporary directory", []string{"-demo"}, env(), config{Addr: "localhost:8080", Batch: time.Second, Demo: true, LogFormat: "text", AdminName: "admin", MaxConnsPerIP: 1024}},
		{"flags", []string{"-addr", ":9000", "-data", "/srv/pb", "-base-url", "https://pb.example.dk", "-batch", "250ms", "-log-format", "json"}, env(),
			config{Addr: ":9000", Data: "/srv/pb", BaseURL: "https://pb.example.dk", Batch: 250 * time.Millisecond, LogFormat: "json", AdminName: "admin", MaxConnsPerIP: 1024}},
		{"environment", nil, env("PB_ADDR", "0.0.0.0:80", "PB_DATA", "/d", "PB_BASE_URL", "https://x.dk", "PB_BATCH", "2s", "PB_DEMO", "true",
			"PB_LOG_FORMAT", "json", "PB_ADMIN_NAME", "root", "PB_ADMIN_PASSWORD", "secret-password"),
			config{Addr: "0.0.0.0:80", Data: "/d", BaseURL: "https://x.dk", Batch: 2 * time.Second, Demo: true, LogFormat: "json", AdminName: "root", AdminPassword: "secret-password", MaxConnsPerIP: 1024}},
		{"limits", []string{"-max-conns", "500", "-max-conns-per-ip", "0"}, env("PB_MAX_CONNS", "9"),
			config{Addr: "localhost:8080", Data: "pb-data", Batch: time.Second, LogFormat: "text", AdminName: "admin", MaxConns: 500}},
		{"limits from the environment", nil, env("PB_MAX_CONNS", "9", "PB_MAX_CONNS_PER_IP", "3"),
			config{Addr: "localhost:8080", Data: "pb-data", Batch: time.Second, LogFormat: "text", AdminName: "admin", MaxConns: 9, MaxConnsPerIP: 3}},
		{"flags win", []string{"-addr", ":1", "-demo=false"}, env("PB_ADDR", ":2", "PB_DEMO", "1"),
			config{Addr: ":1", Data: "pb-data", Batch: time.Second, LogFormat: "text", AdminName: "admin", MaxConnsPerIP: 1024}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseConfig(tt.args, tt.env, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("parseConfig = %+v\nwant %+v", got, tt.want)
			}
		})
	}
	for _, bad := range []struct {
		args []string
		env  func(string) string
	}{
		{[]string{"-batch", "fast"}, env()},
		{[]string{"-batch", "1ms"}, env()},
		{[]string{"-log-format", "xml"}, env()},
		{[]string{"-nope"}, env()},
		{[]string{"extra"}, env()},
		{nil, env("PB_DEMO", "maybe")},
		{nil, env("PB_BATCH", "2 hours")},
		{[]string{"-h"}, env()},
		{[]string{"-max-conns", "-1"}, env()},
		{nil, env("PB_MAX_CONNS_PER_IP", "many")},
	} {
		if _, err := parseConfig(bad.args, bad.env, io.Discard); !errors.Is(err, errUsage) {
			t.Errorf("parseConfig(%q) error = %v, want a usage error", bad.args, err)
		}
	}
}

func TestPublicAddr(t *testing.T) {
	tests := []struct{ configured, bound, want string }{
		{"localhost:8080", "127.0.0.1:8080", "localhost:8080"},
		{"localhost:0", "127.0.0.1:41234", "localhost:41234"},
		{":8080", "[::]:8080", "localhost:8080"},
		{"0.0.0.0:80", "0.0.0.0:80", "localhost:80"},
		{"127.0.0.1:0", "127.0.0.1:5555", "127.0.0.1:5555"},
	}
	for _, tt := range tests {
		if got := publicAddr(tt.configured, fakeAddr(tt.bound)); got != tt.want {
			t.Errorf("publicAddr(%q, %q) = %q, want %q", tt.configured, tt.bound, got, tt.want)
		}
	}
}

func TestMaxConns(t *testing.T) {
	tests := []struct{ configured, openFiles, want int }{
		{0, 0, 4096},       // limit unknown
		{0, 1 << 20, 4096}, // ample
		{0, 1024, 1024 - fdReserve},
		{0, 256, 256 - fdReserve},
		{100, 1024, 100},   // configured
		{5000, 1024, 5000}, // configured above the limit: a warning
	}
	for _, tt := range tests {
		got, err := maxConns(tt.configured, tt.openFiles, slog.New(slog.DiscardHandler))
		if err != nil || got != tt.want {
			t.Errorf("maxConns(%d, %d) = %d, %v; want %d", tt.configured, tt.openFiles, got, err, tt.want)
		}
	}
	if _, err := maxConns(0, 150, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "ulimit -n") {
		t.Errorf("maxConns with 150 open files = %v, want a refusal", err)
	}
}

type fakeAddr string

func (a fakeAddr) Network() string { return "tcp" }
func (a fakeAddr) String() string  { return string(a) }
