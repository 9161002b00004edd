package core

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestLifecycleTable checks every phase × every action against the
// lifecycle written out by hand: "+" allowed, "F" refused because the
// round is frozen, "O" refused because voting is not open yet, "C"
// refused because voting has closed, "-" refused for the phase.
func TestLifecycleTable(t *testing.T) {
	//                         draft proposals review frozen voting closed published
	want := map[Action]string{
		ActEdit:          "+ + + F F F F",
		ActPropose:       "+ + + + + + +", // replaced below: only proposals
		ActReview:        "- - + F F F F",
		ActEditProjects:  "+ + + F F F F",
		ActUploadRoll:    "+ + + F F F F",
		ActAdvance:       "+ + - - - - -",
		ActFreeze:        "- - + F F F F",
		ActScheduleOpen:  "+ + + + - - -",
		ActScheduleClose: "+ + + + + - -",
		ActOpen:          "- - - + - - -",
		ActVote:          "O O O O + C C",
		ActVoid:          "O O O O + C C",
		ActClose:         "- - - - + - -",
		ActHandedOut:     "- - - + + + -",
		ActPublish:       "- - - - - + -",
		ActReadRecord:    "- - - - - + +",
		ActReadResult:    "- - - - - - +",
		ActCancel:        "+ + + + - + -",
	}
	want[ActPropose] = "- + - - - - -"
	if len(want) != len(Actions()) {
		t.Fatalf("the table lists %d actions, Actions() %d", len(want), len(Actions()))
	}
	for _, a := range Actions() {
		row := strings.Fields(want[a])
		if len(row) != len(Phases()) {
			t.Fatalf("%s: row has %d phases", a, len(row))
		}
		for i, p := range Phases() {
			err := Allows(p, a)
			switch row[i] {
			case "+":
				if err != nil {
					t.Errorf("%s in %s: %v, want allowed", a, p, err)
				}
				continue
			case "F":
				if !errors.Is(err, ErrFrozen) {
					t.Errorf("%s in %s: %v, want frozen", a, p, err)
				}
			case "O":
				if !errors.Is(err, ErrNotOpen) {
					t.Errorf("%s in %s: %v, want not open", a, p, err)
				}
			case "C":
				if !errors.Is(err, ErrClosed) {
					t.Errorf("%s in %s: %v, want closed", a, p, err)
				}
			case "-":
				if !errors.Is(err, ErrWrongPhase) {
					t.Errorf("%s in %s: %v, want wrong phase", a, p, err)
				}
			}
			if KindOf(err) != Conflict {
				t.Errorf("%s in %s: kind %v, want conflict", a, p, KindOf(err))
			}
			if err != nil && !strings.Contains(err.Error(), string(p)) {
				t.Errorf("%s in %s: message %q does not name the phase", a, p, err)
			}
		}
	}
}

func TestLifecycleUnknown(t *testing.T) {
	if err := Allows("nonsense", ActVote); err == nil || KindOf(err) != Internal {
		t.Errorf("unknown phase: %v", err)
	}
	if err := Allows(PhaseVoting, "nonsense"); err == nil || KindOf(err) != Internal {
		t.Errorf("unknown action: %v", err)
	}
}

func TestNext(t *testing.T) {
	ps := Phases()
	for i, p := range ps {
		next, ok := Next(p)
		if i+1 < len(ps) && (!ok || next != ps[i+1]) {
			t.Errorf("Next(%s) = %s, %v", p, next, ok)
		}
		if i+1 == len(ps) && ok {
			t.Errorf("Next(%s) = %s, want none", p, next)
		}
		if p.Order() != i || !p.Valid() {
			t.Errorf("%s: order %d", p, p.Order())
		}
	}
	if _, ok := Next("nonsense"); ok {
		t.Error("Next of an unknown phase")
	}
	if Phase("x").Valid() || Phase("x").Frozen() {
		t.Error("unknown phase is valid or frozen")
	}
}

func TestFreezeBlockers(t *testing.T) {
	tests := []struct {
		s    FreezeState
		want string
	}{
		{FreezeState{Phase: PhaseReview, Projects: 2, Roll: true}, ""},
		{FreezeState{Phase: PhaseReview, Projects: 0, Roll: true}, "no_projects"},
		{FreezeState{Phase: PhaseReview, Pending: 3, Projects: 1}, "pending no_roll"},
		{FreezeState{Phase: PhaseProposals, Pending: 1}, "phase pending no_projects no_roll"},
		{FreezeState{Phase: PhaseFrozen, Projects: 1, Roll: true}, "phase"},
		// Regression (issue 10): Aale froze a budget of 8,688 with projects
		// of 12,000–60,000 and the result funded nothing.
		{FreezeState{Phase: PhaseReview, Projects: 2, Roll: true, Budget: 8_688, Left: 8_688, Cheapest: 12_000, Cost: 72_000}, "nothing_fits"},
		{FreezeState{Phase: PhaseReview, Projects: 2, Roll: true, Budget: 20_000, Left: 20_000, Cheapest: 12_000, Cost: 72_000}, ""},
		// Regression (issue 10): the freeze re-checks the reservation.
		{FreezeState{Phase: PhaseReview, Projects: 1, Roll: true, Budget: 25_000, Left: 24_999, Cheapest: 1, Cost: 1}, "over_budget"},
		// An exclusion group naming a project deleted since it was set.
		{FreezeState{Phase: PhaseReview, Projects: 1, Roll: true, Budget: 5, Left: 5, Cheapest: 1, Cost: 1, Ungrouped: "gone"}, "groups"},
	}
	for _, tt := range tests {
		var got []string
		for _, b := range FreezeBlockers(tt.s) {
			got = append(got, string(b.Reason))
			err := BlockerError("r", tt.s.Phase, b)
			if KindOf(err) != Conflict {
				t.Errorf("%+v: blocker %s is a %v error", tt.s, b.Reason, KindOf(err))
			}
			if b.Reason == "pending" && (b.N != tt.s.Pending || !strings.Contains(err.Error(), fmt.Sprint(b.N))) {
				t.Errorf("pending blocker %+v: %v", b, err)
			}
		}
		if strings.Join(got, " ") != tt.want {
			t.Errorf("FreezeBlockers(%+v) = %v, want %q", tt.s, got, tt.want)
		}
	}
	// Every reason of BlockerReasons is given, in its order ("no_projects"
	// and "nothing_fits" exclude each other, hence two states).
	seen := map[Reason]bool{}
	for _, s := range []FreezeState{{Phase: PhaseDraft, Pending: 1, Budget: 1, Ungrouped: "gone"},
		{Phase: PhaseReview, Projects: 1, Cheapest: 5, Budget: 1, Left: 1, Roll: true}} {
		bs := FreezeBlockers(s)
		for i, b := range bs {
			seen[b.Reason] = true
			if i > 0 && slices.Index(BlockerReasons(), b.Reason) < slices.Index(BlockerReasons(), bs[i-1].Reason) {
				t.Errorf("blockers %v are not in the order of BlockerReasons", bs)
			}
		}
	}
	if len(seen) != len(BlockerReasons()) {
		t.Errorf("BlockerReasons lists %d, the freeze gives %d", len(BlockerReasons()), len(seen))
	}
	if err := BlockerError("r", PhaseVoting, Blocker{Reason: "phase"}); !errors.Is(err, ErrFrozen) {
		t.Errorf("phase blocker after freeze: %v", err)
	}
}

func TestErrorsIs(t *testing.T) {
	e := ErrCodeUsed.With("custom message %d", 1)
	if !errors.Is(e, ErrCodeUsed) || errors.Is(e, ErrVoided) || e.Msg != "custom message 1" {
		t.Errorf("With: %v", e)
	}
	if errors.Is(Conflictf("x"), ErrCodeUsed) {
		t.Error("a plain conflict matches a sentinel")
	}
	if ReasonOf(e) != "code_used" || KindOf(errors.New("x")) != Internal || ReasonOf(errors.New("x")) != "" {
		t.Error("ReasonOf/KindOf")
	}
	if ErrCodeUsed.Msg != "this voting code has already been used: under this round's rules only the first ballot counts" {
		t.Error("With changed the sentinel")
	}
}

func TestFreezeWarnings(t *testing.T) {
	tests := []struct {
		s    FreezeState
		want int
	}{
		{FreezeState{Projects: 2, Budget: 10, Cheapest: 4, Cost: 11}, 1},
		{FreezeState{Projects: 2, Budget: 10, Cheapest: 4, Cost: 10}, 0},
		{FreezeState{}, 0},
	}
	for _, tt := range tests {
		ws := FreezeWarnings(tt.s)
		if len(ws) != tt.want || tt.want == 1 && ws[0].Reason != WarningReasons()[0] {
			t.Errorf("FreezeWarnings(%+v) = %v", tt.s, ws)
		}
	}
}
