package ui

import (
	"strings"
	"testing"

	"github.com/hedensted-pb/pb/ui/service"
)

// TestHandedOutAPI: PUT /api/rounds/R/handed-out {"count": N} sets the
// turnout base, for the community's coordinator or an admin, with the CSRF
// token; a negative, absurd or missing count is 400.
func TestHandedOutAPI(t *testing.T) {
	e := newTestEnv(t)
	admin := e.seed()
	co, _ := e.votingRound("barrit-2026", 6, service.RoundRequest{})
	path := "/api/rounds/barrit-2026/handed-out"

	r := co.must(200, "PUT", path, map[string]int{"count": 4})
	var got struct {
		Round       string `json:"round"`
		HandedOut   int    `json:"handed_out"`
		TurnoutBase int    `json:"turnout_base"`
	}
	r.JSON(t, &got)
	if got.Round != "barrit-2026" || got.HandedOut != 4 || got.TurnoutBase != 4 {
		t.Errorf("answer %s", r)
	}
	// 0 is the default again: every slip (no reserve slips in this roll).
	admin.must(200, "PUT", path, map[string]int{"count": 0}).JSON(t, &got)
	if got.HandedOut != 0 || got.TurnoutBase != 6 {
		t.Errorf("after 0: %+v", got)
	}
	for _, body := range []any{map[string]int{"count": -1}, map[string]int64{"count": 1 << 40}, map[string]int{"count": 7},
		map[string]string{"count": "4"}, map[string]int{}, map[string]int{"count": 3, "extra": 1}} {
		if r := co.do("PUT", path, body); r.Status != 400 {
			t.Errorf("PUT %v = %s, want 400", body, r)
		}
	}
	// Another community's coordinator, no session, no CSRF token.
	if r := e.coordinator("glud").do("PUT", path, map[string]int{"count": 3}); r.Status != 403 {
		t.Errorf("glud's coordinator = %s, want 403", r)
	}
	if r := e.client().do("PUT", path, map[string]int{"count": 3}); r.Status != 401 {
		t.Errorf("anonymous = %s, want 401", r)
	}
	noCSRF := *co
	noCSRF.csrf = ""
	if r := noCSRF.do("PUT", path, map[string]int{"count": 3}); r.Status != 403 || !strings.Contains(r.errorMsg(), "CSRF") {
		t.Errorf("without CSRF = %s, want 403", r)
	}
}
