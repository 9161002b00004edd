package ui

import (
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hedensted-pb/pb/ui/core"
	"github.com/hedensted-pb/pb/ui/service"
)

// TestLoginThrottle: a client's failed sign-ins are limited before any
// hashing (429 with Retry-After and the reason), on the API and the form
// alike (one count); a device that signed in before keeps its own count,
// so a guesser at the same address cannot keep it out.
func TestLoginThrottle(t *testing.T) {
	e := newTestEnv(t)
	if _, err := e.app.svc.EnsureAdmin(context.Background(), "admin", adminPW); err != nil {
		t.Fatal(err)
	}
	// The real administrator signed in once from this browser.
	r := e.client().must(200, "POST", "/api/login", map[string]string{"name": "admin", "password": adminPW})
	var device string
	for _, ck := range strings.Split(strings.Join(r.Header.Values("Set-Cookie"), "\n"), "\n") {
		if v, ok := strings.CutPrefix(ck, DeviceCookie+"="); ok {
			device, _, _ = strings.Cut(v, ";")
		}
	}
	if device == "" {
		t.Fatalf("no %s cookie after sign-in: %v", DeviceCookie, r.Header.Values("Set-Cookie"))
	}

	guesser := e.client()
	for i := range loginFailures {
		// A new name each time: the accounts' own locks stay out of it.
		name := fmt.Sprintf("guess-%d", i)
		path, body := "/api/login", any(map[string]string{"name": name, "password": "guess"})
		if i%2 == 1 {
			path, body = "/admin/login", "name="+name+"&password=guess"
		}
		hdr := []string{}
		if path == "/admin/login" {
			hdr = []string{"Content-Type", "application/x-www-form-urlencoded"}
		}
		if r := guesser.do("POST", path, body, hdr...); r.Status != 401 {
			t.Fatalf("guess %d on %s = %s, want 401", i, path, r)
		}
	}
	r = guesser.do("POST", "/api/login", map[string]string{"name": "admin", "password": adminPW})
	if r.Status != 429 || r.errorCode() != "too_many_logins" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("sign-in over the client's limit = %s (Retry-After %q), want 429 too_many_logins", r, r.Header.Get("Retry-After"))
	}
	r = guesser.do("POST", "/admin/login", "name=admin&password=x", "Content-Type", "application/x-www-form-urlencoded")
	if r.Status != 429 || !strings.Contains(string(r.Body), "<form") {
		t.Fatalf("form sign-in over the limit = %d, want 429 with the form again", r.Status)
	}
	// The known device, at the same address, still gets in.
	r = e.client().do("POST", "/api/login", map[string]string{"name": "admin", "password": adminPW}, "Cookie", DeviceCookie+"="+device)
	if r.Status != 200 {
		t.Fatalf("known device at the guesser's address = %s, want 200", r)
	}
	// Successful sign-ins do not count: one client may sign in often.
	e2 := newTestEnv(t)
	if _, err := e2.app.svc.EnsureAdmin(context.Background(), "admin", adminPW); err != nil {
		t.Fatal(err)
	}
	for range loginFailures + 2 {
		e2.client().must(200, "POST", "/api/login", map[string]string{"name": "admin", "password": adminPW})
	}
}

// TestSameOrigin: the Origin must match in scheme and host; "null" is
// another site unless the browser says Sec-Fetch-Site: same-origin; no
// Origin passes (scripts).
func TestSameOrigin(t *testing.T) {
	e := newTestEnv(t)
	for _, tc := range []struct {
		origin string
		want   bool
	}{
		{"http://pb.test", true},
		{"https://pb.test", false}, // scheme differs from the base URL and the request
		{"http://evil.example", false},
		{"null", false},
		{"http://pb.test/path", false},
		{"pb.test", false},
		{"http://example.com", true}, // the host the request came to (httptest's)
		{"https://example.com", false},
	} {
		if got := e.app.sameOriginAs(tc.origin, "http", "example.com"); got != tc.want {
			t.Errorf("sameOriginAs(%q) = %v, want %v", tc.origin, got, tc.want)
		}
	}
	c := e.client()
	for origin, want := range map[string]int{"null": 403, "https://pb.test": 403, "http://pb.test": 401} {
		if r := c.do("POST", "/api/logout", nil, "Origin", origin); r.Status != want {
			t.Errorf("POST with Origin %q = %s, want %d", origin, r, want)
		}
	}
	for site, want := range map[string]int{"same-origin": 401, "same-site": 403, "cross-site": 403, "none": 403} {
		if r := c.do("POST", "/api/logout", nil, "Origin", "null", "Sec-Fetch-Site", site); r.Status != want {
			t.Errorf("POST with Origin null and Sec-Fetch-Site %s = %s, want %d", site, r, want)
		}
	}
}

// TestHSTS: Strict-Transport-Security only with an https base URL.
func TestHSTS(t *testing.T) {
	for base, want := range map[string]string{"http://pb.test": "", "https://pb.test": "max-age=63072000"} {
		e := newTestEnv(t, func(c *service.Config) { c.BaseURL = base })
		resp, err := e.app.Test(httptest.NewRequest("GET", "/api/funds", nil), -1)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Strict-Transport-Security"); got != want {
			t.Errorf("base %s: Strict-Transport-Security %q, want %q", base, got, want)
		}
	}
}

// TestRevoteLimitText: a ballot over the revote cap is explained on the
// vote page and to vote.js by its reason.
func TestRevoteLimitText(t *testing.T) {
	if got := castErrorKey(core.ErrTooManyBallots); got != "js.revoteLimit" {
		t.Errorf("castErrorKey(too_many_ballots) = %q", got)
	}
	if got := castCode(core.ErrTooManyBallots); got != "too-many-ballots" {
		t.Errorf("castCode(too_many_ballots) = %q", got)
	}
	if status, _, _, _ := PublicError(core.ErrTooManyBallots); status != 429 {
		t.Errorf("status of too_many_ballots = %d, want 429", status)
	}
}

// TestClientAddr: behind a proxy on the same host the client is the
// address the proxy added last; otherwise the peer, whatever it claims.
func TestClientAddr(t *testing.T) {
	for _, tc := range []struct {
		peer, xff, want string
	}{
		{"127.0.0.1", "203.0.113.7", "203.0.113.7"},
		{"127.0.0.1", "10.0.0.1, 203.0.113.7", "203.0.113.7"}, // the client's own claim first, the proxy's last
		{"::1", "2001:db8::1", "2001:db8::1"},
		{"127.0.0.1", "", "127.0.0.1"}, // a local client without a proxy
		{"127.0.0.1", "garbage", "127.0.0.1"},
		{"198.51.100.2", "203.0.113.7", "198.51.100.2"}, // not from a local proxy: the header is ignored
	} {
		if got := clientAddr(net.ParseIP(tc.peer), tc.xff); got != tc.want {
			t.Errorf("clientAddr(%s, %q) = %s, want %s", tc.peer, tc.xff, got, tc.want)
		}
	}
}
