package ledger

import (
	"strings"
	"testing"

	"github.com/hedensted-pb/pb/ballot"
)

// TestAttendance: the head count bounds the counted ballots.
func TestAttendance(t *testing.T) {
	d, err := BuildDemo(DemoOptions{Seed: 3, Ballots: 20})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		attendance int64
		ok         bool
	}{{20, true}, {25, true}, {19, false}} {
		rep := verify(d, d.Record, func(o *VerifyOptions) { o.Attendance = tt.attendance })
		c := rep.Check(CheckAttendance)
		if c == nil || (c.Status == StatusPass) != tt.ok || rep.OK() != tt.ok {
			t.Errorf("attendance %d: check %+v, report ok %v; want ok %v", tt.attendance, c, rep.OK(), tt.ok)
		}
		if !tt.ok {
			wantFirst(t, rep, CheckAttendance)
		}
	}
	if rep := verify(d, d.Record); rep.Check(CheckAttendance) != nil || len(rep.Checks) != len(CheckNames()) {
		t.Errorf("without a head count the report has %d checks", len(rep.Checks))
	}
}

// TestUnusedCodes is tamper case 20 of the research notes: a ballot
// stuffed with a slip nobody took passes every signature check, and only
// the audit of the collected unused slips finds it.
func TestUnusedCodes(t *testing.T) {
	d, err := BuildDemo(DemoOptions{Seed: 4, Ballots: 10})
	if err != nil {
		t.Fatal(err)
	}
	used, unused := d.SplitCodes()
	if len(unused) == 0 || len(used) == 0 {
		t.Fatalf("demo has %d unused and %d used codes", len(unused), len(used))
	}
	stranger, err := ballot.NewCode(strings.NewReader(strings.Repeat("x", 16)))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name  string
		codes []ballot.Code
		msg   string
	}{
		{"all unused", unused, ""},
		{"none collected", []ballot.Code{}, ""},
		{"one of them voted", append([]ballot.Code{used[0]}, unused...), "unused slip 1 (key "},
		{"not on the roll", append(unused[:1:1], stranger), "unused slip 2 (key "},
		{"the same slip twice", []ballot.Code{unused[0], unused[0]}, "same code as slip 1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rep := verify(d, d.Record, func(o *VerifyOptions) { o.Unused = tt.codes })
			c := rep.Check(CheckUnused)
			if c == nil {
				t.Fatal("no unused-codes check")
			}
			if tt.msg == "" {
				if !rep.OK() {
					t.Fatalf("check %+v", c)
				}
				return
			}
			wantFirst(t, rep, CheckUnused)
			if !strings.Contains(strings.Join(c.Messages, "\n"), tt.msg) {
				t.Errorf("messages %q lack %q", c.Messages, tt.msg)
			}
			for _, m := range c.Messages {
				for _, code := range tt.codes {
					if strings.Contains(m, code.Compact()) || strings.Contains(m, code.String()) {
						t.Errorf("message %q reveals a voting code", m)
					}
				}
			}
		})
	}
}
