package ui

import (
	"embed"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// The resident-facing pages speak Danish by default and English one tap
// away. Texts live in i18n_<lang>.json, flat maps from a key to a
// fmt-style format; both files must hold the same keys (TestCatalogComplete).

//go:embed i18n_da.json i18n_en.json
var i18nFiles embed.FS

// langs are the supported page languages, the default first.
var langs = []string{"da", "en"}

// langCookie holds a resident's explicit language choice.
const langCookie = "pb_lang"

// catalog maps a language to its texts.
type catalog map[string]map[string]string

// loadCatalog reads and checks the embedded translation files: every
// language must have exactly the default language's keys.
func loadCatalog() (catalog, error) {
	c := catalog{}
	for _, l := range langs {
		b, err := i18nFiles.ReadFile("i18n_" + l + ".json")
		if err != nil {
			return nil, fmt.Errorf("i18n: %w", err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("i18n: i18n_%s.json: %w", l, err)
		}
		c[l] = m
	}
	base := c[langs[0]]
	for _, l := range langs[1:] {
		var missing []string
		for k := range base {
			if _, ok := c[l][k]; !ok {
				missing = append(missing, l+" lacks "+k)
			}
		}
		for k := range c[l] {
			if _, ok := base[k]; !ok {
				missing = append(missing, langs[0]+" lacks "+k)
			}
		}
		if len(missing) > 0 {
			sort.Strings(missing)
			return nil, fmt.Errorf("i18n: %s", strings.Join(missing, ", "))
		}
	}
	return c, nil
}

// text returns the text for key in lang, formatted with args. An unknown
// key gives the key itself in brackets, so a missing text shows on the page
// (and fails TestTemplatesUseKnownKeys) instead of rendering empty.
func (c catalog) text(lang, key string, args ...any) string {
	s, ok := c[lang][key]
	if !ok {
		s, ok = c[langs[0]][key]
	}
	if !ok {
		return "[" + key + "]"
	}
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}

// validLang reports whether l is a supported language.
func validLang(l string) bool {
	for _, x := range langs {
		if x == l {
			return true
		}
	}
	return false
}

// negotiateLang picks the page language: an explicit choice (query or
// cookie) when valid, else the best supported language of the
// Accept-Language header (RFC 9110 §12.5.4, q-values honoured), else Danish.
func negotiateLang(choice, acceptLanguage string) string {
	if validLang(choice) {
		return choice
	}
	best, bestQ := langs[0], 0.0
	for _, part := range strings.Split(acceptLanguage, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(k, "q") {
				f, err := strconv.ParseFloat(v, 64)
				if err != nil || f < 0 || f > 1 {
					f = 0
				}
				q = f
			}
		}
		primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		if primary == "nb" || primary == "nn" || primary == "no" || primary == "sv" {
			primary = "da" // Scandinavians read Danish more easily than English
			q *= 0.9
		}
		if validLang(primary) && q > bestQ {
			best, bestQ = primary, q
		}
	}
	return best
}

// otherLang is the language the switch link offers.
func otherLang(l string) string {
	if l == "da" {
		return "en"
	}
	return "da"
}

// formatAmount writes whole kroner the way the language does:
// "1.500.000 kr." in Danish, "DKK 1,500,000" in English.
func formatAmount(lang string, n int64) string {
	if lang == "da" {
		return groupDigits(n, '.') + " kr."
	}
	return "DKK " + groupDigits(n, ',')
}

// formatNumber writes an integer with the language's thousands separator.
func formatNumber(lang string, n int64) string {
	if lang == "da" {
		return groupDigits(n, '.')
	}
	return groupDigits(n, ',')
}

func groupDigits(n int64, sep byte) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i := 0; i < len(s); i++ {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(sep)
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
