package ui

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// localProposeForm holds a refused proposal for the round page.
const localProposeForm = "pb_propose_form"

// proposeForm is a resident's proposal that was refused, shown again on
// the round page with the reason, so that nothing typed is lost.
type proposeForm struct {
	Error                                 string
	Title, Description, Cost, Category    string
	TitleEN, DescriptionEN, Name, Contact string
}

// proposeAgain answers a refused proposal with the round page: the
// reason in the reader's language (the text key, or the error's text by
// its reason or status) and the form filled in as it was sent. An error
// that is not public is returned as it is.
func (p *pages) proposeAgain(c *fiber.Ctx, key string, err error) error {
	lang := negotiateLang(c.Cookies(langCookie), c.Get(fiber.HeaderAcceptLanguage))
	status := http.StatusBadRequest
	text := p.cat.text(lang, key)
	if err != nil {
		s, msg, reason, public := PublicError(err)
		if !public {
			return err
		}
		status, text = s, p.errorText(lang, s, msg, reason)
	}
	f := &proposeForm{Error: text}
	for dst, name := range map[*string]string{&f.Title: "title", &f.Description: "description", &f.Cost: "estimated_cost",
		&f.Category: "category", &f.TitleEN: "title_en", &f.DescriptionEN: "description_en", &f.Name: "name", &f.Contact: "contact"} {
		*dst = strings.Clone(c.FormValue(name))
	}
	c.Locals(localProposeForm, f)
	setRetryAfter(c, err)
	if rerr := p.round(c); rerr != nil {
		return rerr
	}
	c.Status(status)
	return nil
}

// kronerRE is a whole number of kroner as residents write it: plain
// digits, or groups of three after a thousands separator (25.000,
// 25,000, 25 000), with an optional "kr." or "DKK".
var kronerRE = regexp.MustCompile(`^(\d+|\d{1,3}([., ]\d{3})+)$`)

// parseKroner reads a whole number of kroner (at most 10^15); "25.000"
// is twenty-five thousand, and "25,50" is not whole.
func parseKroner(s string) (int64, bool) {
	s = strings.TrimSpace(strings.ToLower(s))
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSuffix(s, "kr."), "dkk"), "kr"))
	s = strings.ReplaceAll(s, "\u00a0", " ")
	if !kronerRE.MatchString(s) {
		return 0, false
	}
	s = strings.NewReplacer(".", "", ",", "", " ", "").Replace(s)
	if len(s) > 16 {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n <= 1e15
}
