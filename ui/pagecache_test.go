package ui

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	"github.com/hedensted-pb/pb/ui/service"
)

// TestPageCache: the public pages kept in memory are the same bytes as a
// fresh rendering, per language and encoding, change as soon as the data
// does, and never hold what belongs to a signed-in account (its admin
// links and CSRF token).
func TestPageCache(t *testing.T) {
	e := newTestEnv(t)
	admin := e.seed()
	anon := e.client()
	da := anon.must(200, "GET", "/", nil, "Accept-Language", "da")
	if again := anon.must(200, "GET", "/", nil, "Accept-Language", "da"); !bytes.Equal(again.Body, da.Body) {
		t.Error("GET / twice: different pages")
	}
	en := anon.must(200, "GET", "/", nil, "Accept-Language", "en")
	if bytes.Equal(en.Body, da.Body) || en.Header.Get("Content-Language") != "en" {
		t.Error("GET / in English served the Danish page")
	}
	// A signed-in account's page is its own, and is not kept.
	mine := admin.must(200, "GET", "/", nil, "Accept-Language", "da")
	if bytes.Equal(mine.Body, da.Body) {
		t.Error("the administrator got the anonymous page")
	}
	after := anon.must(200, "GET", "/", nil, "Accept-Language", "da")
	if admin.csrf != "" && bytes.Contains(after.Body, []byte(admin.csrf)) {
		t.Error("an anonymous page holds the administrator's CSRF token")
	}
	// A change shows at once.
	admin.must(201, "POST", "/api/communities", service.CommunityRequest{ID: "hornsyld", Name: "Hornsyld", Population: 500, Fund: "pulje"})
	if r := anon.must(200, "GET", "/", nil, "Accept-Language", "da"); !strings.Contains(string(r.Body), "Hornsyld") {
		t.Error("GET / after a new community: the old page")
	}
	// Compressed as sent, per Accept-Encoding.
	gz := anon.must(200, "GET", "/", nil, "Accept-Language", "da", "Accept-Encoding", "gzip")
	gz2 := anon.must(200, "GET", "/", nil, "Accept-Language", "da", "Accept-Encoding", "gzip")
	if gz.Header.Get("Content-Encoding") != "gzip" || gz2.Header.Get("Content-Encoding") != "gzip" || !bytes.Equal(gz.Body, gz2.Body) {
		t.Errorf("gzip: %q %q", gz.Header.Get("Content-Encoding"), gz2.Header.Get("Content-Encoding"))
	}
	if plain := anon.must(200, "GET", "/", nil, "Accept-Language", "da"); plain.Header.Get("Content-Encoding") != "" {
		t.Error("a client without Accept-Encoding got a compressed page")
	}

	// The projector follows the log.
	_, v := e.votingRound("barrit-2026", 4, service.RoundRequest{})
	p1 := anon.must(200, "GET", "/p/barrit-2026", nil)
	r1 := anon.must(200, "GET", "/r/barrit-2026", nil)
	anon.must(201, "POST", "/api/rounds/barrit-2026/ballots", e.ballotLeaf("barrit-2026", v, 0, "shelter"))
	if p2 := anon.must(200, "GET", "/p/barrit-2026", nil); bytes.Equal(p1.Body, p2.Body) {
		t.Error("the projector did not change after a ballot")
	}
	if r2 := anon.must(200, "GET", "/r/barrit-2026", nil); r2.Status != 200 || len(r2.Body) == 0 || len(r1.Body) == 0 {
		t.Error("round page")
	}

	// Many first views at once get the same page.
	admin.must(201, "POST", "/api/communities", service.CommunityRequest{ID: "stouby", Name: "Stouby", Population: 900, Fund: "pulje"})
	var wg sync.WaitGroup
	bodies := make([][]byte, 16)
	for i := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.client().do("GET", "/", nil, "Accept-Language", "da")
			bodies[i] = r.Body
		}()
	}
	wg.Wait()
	for i, b := range bodies {
		if !bytes.Equal(b, bodies[0]) || !strings.Contains(string(b), "Stouby") {
			t.Errorf("concurrent view %d differs", i)
		}
	}
}
