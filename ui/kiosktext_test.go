package ui

import (
	"strings"
	"testing"

	"github.com/hedensted-pb/pb/ui/service"
)

// TestKioskOfflineText: the kiosk, the council's tablet, does not tell a
// resident that "your phone" is offline; the voting page does.
func TestKioskOfflineText(t *testing.T) {
	e := newTestEnv(t)
	e.seed()
	e.votingRound("barrit-2026", 3, service.RoundRequest{})
	for lang, want := range map[string][2]string{"da": {"Stemmestationen har ingen forbindelse", "Din telefon har ingen forbindelse"},
		"en": {"The voting station has no connection", "Your phone cannot reach the server"}} {
		kiosk := string(e.client().must(200, "GET", "/k/barrit-2026", nil, "Accept-Language", lang).Body)
		vote := string(e.client().must(200, "GET", "/v/barrit-2026", nil, "Accept-Language", lang).Body)
		if !strings.Contains(kiosk, want[0]) || strings.Contains(kiosk, want[1]) {
			t.Errorf("%s kiosk: the offline text is not the station's", lang)
		}
		if !strings.Contains(vote, want[1]) || strings.Contains(vote, want[0]) {
			t.Errorf("%s voting page: the offline text is not the phone's", lang)
		}
	}
}
