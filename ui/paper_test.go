package ui

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestPaperKiosk: the kiosk carries kiosk.js and its texts in the page's
// language; /k/ROUND/paper is paper mode; the voting page has neither;
// paper mode's form without JavaScript says it needs JavaScript.
func TestPaperKiosk(t *testing.T) {
	e := newPageEnv(t)
	e.setupRound(approvalRules)
	for _, tc := range []struct {
		path, lang   string
		kiosk, paper bool
		scan         string
	}{
		{"/k/hornsyld-2026", "da", true, false, "Scan sedlen med kameraet"},
		{"/k/hornsyld-2026/paper", "da", true, true, "Scan sedlen med kameraet"},
		{"/k/hornsyld-2026/paper", "en", true, true, "Scan the slip with the camera"},
		{"/v/hornsyld-2026", "da", false, false, ""},
	} {
		res, body := e.do("GET", tc.path, nil, "Accept-Language", tc.lang)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d", tc.path, res.StatusCode)
		}
		var d voteScript
		scriptData(t, body, &d)
		if d.Paper != tc.paper || d.Scan["scan"] != tc.scan || strings.Contains(body, "js/kiosk.js") != tc.kiosk {
			t.Errorf("GET %s (%s): paper %v, scan %q, kiosk.js %v", tc.path, tc.lang, d.Paper, d.Scan["scan"], strings.Contains(body, "js/kiosk.js"))
		}
		for _, k := range kioskTexts {
			if tc.kiosk && d.Scan[k] == "" {
				t.Errorf("GET %s: no kiosk text %s", tc.path, k)
			}
		}
		if tc.paper && !strings.Contains(body, `action="/k/hornsyld-2026/paper"`) {
			t.Errorf("GET %s: the form does not post to paper mode", tc.path)
		}
	}
	res, body := e.do("POST", "/k/hornsyld-2026/paper", url.Values{"code": {"x"}}, "Accept-Language", "da")
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "kun tastes ind med JavaScript") {
		t.Errorf("POST paper mode without JavaScript = %d\n%s", res.StatusCode, body)
	}
	// Paper ballots come from the sealed copy of the slips: this round was
	// frozen without a passphrase, so there is none.
	if res, _ := e.adminPost("/admin/rounds/hornsyld-2026/paper", url.Values{"passphrase": {"korn og kaffe i hallen"}}); res.StatusCode < 400 || res.StatusCode >= 500 {
		t.Errorf("paper ballots without a copy = %d, want a 4xx refusal", res.StatusCode)
	}
}
