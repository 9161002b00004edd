package ui

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// onePluralRE finds a count of 1 followed by a plural noun, in Danish or
// English ("1 projekter", "1 projects", "1 stemmer", ...).
var onePluralRE = regexp.MustCompile(`\b1 (projekter|projects|stemmer|votes|ballots|stemmesedler|sedler|slips|nøgler|keys|elementer|entries|points|sekunder|seconds|years|tilhængere|supporters|indbyggere|inhabitants)\b`)

// pluralExempt are texts where a count of 1 in every place cannot happen:
// "between %d and %d projects" has min < max, so the noun follows a count > 1.
var pluralExempt = map[string]bool{"rule.approval": true}

// TestSingularForOne: every text with a count and a noun has a ".one" form
// that reads right with 1, in both languages, and the voting page of a round
// with "choose 1 project" says so in the singular, in the page and in the
// texts it hands to vote.js.
func TestSingularForOne(t *testing.T) {
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	ones := func(s string) string {
		n := strings.Count(s, "%d") + strings.Count(s, "%s")
		args := make([]any, n)
		for i := range args {
			args[i] = 1
		}
		return fmt.Sprintf(strings.ReplaceAll(s, "%s", "%d"), args...)
	}
	for _, lang := range langs {
		for k, s := range cat[lang] {
			if strings.HasSuffix(k, ".one") || pluralExempt[k] || !onePluralRE.MatchString(ones(s)) {
				continue
			}
			one, ok := cat[lang][k+".one"]
			if !ok {
				t.Errorf("%s %s: %q with 1 reads %q, and there is no %s.one", lang, k, s, ones(s), k)
			} else if onePluralRE.MatchString(ones(one)) {
				t.Errorf("%s %s.one with 1 reads %q", lang, k, ones(one))
			}
		}
	}

	e := newPageEnv(t)
	rules := url.Values{}
	for k, v := range approvalRules {
		rules[k] = v
	}
	rules.Set("min", "1")
	rules.Set("max", "1")
	e.setupRound(rules)
	for _, tc := range []struct{ lang, rule, tooFew string }{
		{"da", "Vælg 1 projekt.", "Vælg mindst %d projekt."},
		{"en", "Choose 1 project.", "Choose at least %d project."},
	} {
		for _, path := range []string{"/v/hornsyld-2026", "/k/hornsyld-2026", "/r/hornsyld-2026"} {
			_, body := e.do("GET", path, nil, "Accept-Language", tc.lang)
			if m := onePluralRE.FindString(body); m != "" {
				t.Errorf("%s %s says %q", tc.lang, path, m)
			}
			if path == "/v/hornsyld-2026" {
				if !strings.Contains(body, tc.rule) {
					t.Errorf("%s voting page lacks %q", tc.lang, tc.rule)
				}
				var d voteScript
				scriptData(t, body, &d)
				if d.Texts["tooFew.one"] != tc.tooFew {
					t.Errorf("%s vote.js texts: tooFew.one = %q, want %q", tc.lang, d.Texts["tooFew.one"], tc.tooFew)
				}
			}
		}
	}
	// The review without JavaScript: 1 point.
	v := &view{Lang: "en", cat: cat}
	if got := v.plural("js.pointsFor", 1, "Bench", 1); got != "Bench: 1 point" {
		t.Errorf("pointsFor 1 = %q", got)
	}
	if got := v.TN("admin.codes.have", 1, 1); got != "There is 1 slip." {
		t.Errorf("admin.codes.have 1 = %q", got)
	}
}

// TestManifestWording: "stemmeseddel"/"slip" and "ballot" are the paper
// slip and the ballot being filled in; the frozen, signed contents of the
// round are "manifestet"/"the manifest". No fingerprint is a ballot's.
func TestManifestWording(t *testing.T) {
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range langs {
		for k, s := range cat[lang] {
			l := strings.ToLower(s)
			if (strings.Contains(l, "fingeraftryk") || strings.Contains(l, "fingerprint")) &&
				(strings.Contains(l, "stemmesedlens") || strings.Contains(l, "ballot fingerprint") || strings.Contains(l, "ballot's fingerprint")) {
				t.Errorf("%s %s: the fingerprint is the manifest's: %q", lang, k, s)
			}
		}
		for _, k := range []string{"file.manifest", "js.fingerprint", "admin.fingerprint", "vote.fingerprint.text"} {
			if !strings.Contains(strings.ToLower(cat[lang][k]), "manifest") {
				t.Errorf("%s %s = %q: say manifest", lang, k, cat[lang][k])
			}
		}
	}
}
