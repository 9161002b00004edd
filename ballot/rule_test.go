package ballot

import (
	"strings"
	"testing"
)

// TestManifestRules signs and opens a manifest with every rule the table of
// docs/record.md §11 allows for each ballot kind: rule names with '/' (the
// equalshares/add1 family) are rule names, not IDs, and a round frozen
// with one verifies.
func TestManifestRules(t *testing.T) {
	council, _ := mustNoteKey(t, testCouncilKey)
	for _, spec := range []BallotSpec{specApproval, specApprovalCost, specCumulative} {
		rules := ManifestRules(spec.Kind)
		if len(rules) == 0 {
			t.Fatalf("ManifestRules(%s) is empty", spec.Kind)
		}
		for _, rule := range rules {
			m := testManifest(t, spec)
			m.Rule = rule
			leaf, err := SignManifest(m, council)
			if err != nil {
				t.Errorf("%s %s: SignManifest: %v", spec.Kind, rule, err)
				continue
			}
			got, err := OpenManifest(leaf, councilVerifier(t))
			if err != nil {
				t.Errorf("%s %s: OpenManifest: %v", spec.Kind, rule, err)
				continue
			}
			if got.Rule != rule {
				t.Errorf("%s: rule %q, want %q", spec.Kind, got.Rule, rule)
			}
			if !strings.Contains(string(leaf), "\nrule "+rule+"\n") {
				t.Errorf("%s %s: no rule line in the manifest", spec.Kind, rule)
			}
		}
	}
	// The other kinds' rules do not fit.
	for _, rule := range ManifestRules(KindCumulative) {
		if RuleFits(rule, KindApproval) || RuleFits(rule, KindApprovalCost) {
			t.Errorf("RuleFits(%s, approval) = true", rule)
		}
	}
	for _, rule := range ManifestRules(KindApproval) {
		if RuleFits(rule, KindCumulative) {
			t.Errorf("RuleFits(%s, cumulative) = true", rule)
		}
	}
	if RuleFits("greedy-threshold", KindApproval) || RuleFits("greedy", "ranked") {
		t.Error("RuleFits accepts greedy-threshold or an unknown kind")
	}
}

func TestValidRuleName(t *testing.T) {
	for _, s := range []string{"greedy", "equalshares/add1", "equalshares/add1-comparison", "a", "a/b-c"} {
		if !ValidRuleName(s) {
			t.Errorf("ValidRuleName(%q) = false", s)
		}
	}
	for _, s := range []string{"", "/a", "a/", "-a", "a-", "Greedy", "a b", "a_b", strings.Repeat("a", 65)} {
		if ValidRuleName(s) {
			t.Errorf("ValidRuleName(%q) = true", s)
		}
	}
	for _, kind := range []Kind{KindApproval, KindApprovalCost, KindCumulative} {
		for _, r := range ManifestRules(kind) {
			if !ValidRuleName(r) {
				t.Errorf("table rule %q is not a rule name", r)
			}
		}
	}
}

// TestManifestLimits: the largest values the limits allow make a valid
// manifest.
func TestManifestLimits(t *testing.T) {
	council, _ := mustNoteKey(t, testCouncilKey)
	m := testManifest(t, BallotSpec{Kind: KindCumulative, Total: MaxPoints, Cap: MaxPoints})
	m.Budget = MaxAmount
	m.Projects[0].Cost = MaxAmount
	if _, err := SignManifest(m, council); err != nil {
		t.Fatalf("manifest at the limits: %v", err)
	}
	m = testManifest(t, BallotSpec{Kind: KindApprovalCost, Limit: MaxAmount})
	if _, err := SignManifest(m, council); err != nil {
		t.Fatalf("approval-cost at the limit: %v", err)
	}
}
