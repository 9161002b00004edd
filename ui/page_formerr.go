package ui

import (
	"html/template"
	"net/http"
	"regexp"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/hedensted-pb/pb/ui/core"
)

// Errors of the administration's forms are shown on the form that was
// sent, in the page's language, with what was typed kept: adminAction
// renders the page the form lives on again (the round's page, or the
// dashboard) with a formError, instead of an error page.

// formError is a refused form: which form (its action below /admin/,
// without the round), the message to show, and the values sent.
type formError struct {
	Form   string
	Text   string
	Values map[string]string
	// Top shows the error at the top of the page: the page has no such
	// form (any more), as a delete button of a round frozen meanwhile.
	Top bool
}

// localFormError is the fiber.Locals key of a *formError.
const localFormError = "pb_form_error"

// formKey names the form of an /admin path: "rounds/ID/settings" is
// "settings", "funds" is "funds", "rounds/ID/proposals/3" is
// "proposals/3".
func formKey(path string) string {
	k := strings.TrimPrefix(path, "/admin/")
	if strings.HasPrefix(k, "rounds/") {
		if parts := strings.SplitN(k, "/", 3); len(parts) == 3 {
			return parts[2]
		}
	}
	return k
}

// adminErrs translate the English messages of the commonest form
// refusals that carry no reason of their own; the first match wins. Each
// key is "form.err.<name>" in the catalog.
var adminErrs = []struct {
	re  *regexp.Regexp
	key string
}{
	{regexp.MustCompile(`\bid "[^"]*" is not an identifier|account name .* must be lower-case`), "id"},
	{regexp.MustCompile(`already exists`), "exists"},
	{regexp.MustCompile(`already has a project`), "project_exists"},
	{regexp.MustCompile(`title must be 1 to 200|name must be 1 to 200`), "title"},
	{regexp.MustCompile(`description must be`), "description"},
	{regexp.MustCompile(`cost must be a positive`), "cost"},
	{regexp.MustCompile(`^budget \d+ exceeds`), "budget_headroom"},
	{regexp.MustCompile(`budget must be at least`), "budget"},
	{regexp.MustCompile(`password must be`), "password"},
	{regexp.MustCompile(`public reason`), "reason"},
	{regexp.MustCompile(`approval ballot needs`), "ballot_approval"},
	{regexp.MustCompile(`approval-cost ballot needs`), "ballot_limit"},
	{regexp.MustCompile(`cumulative ballot needs`), "ballot_cumulative"},
	{regexp.MustCompile(`is not a counting rule for`), "rule"},
	{regexp.MustCompile(`minimum of votes must be`), "minimum"},
	{regexp.MustCompile(`exclusion group|in two exclusion groups`), "exclusive"},
	{regexp.MustCompile(`^sample ballot \d+`), "sample"},
	{regexp.MustCompile(`years must be numbers|give the fund's years|cannot split`), "years"},
	{regexp.MustCompile(`population out of range`), "population"},
	{regexp.MustCompile(`role must be`), "role"},
	{regexp.MustCompile(`times must look like`), "time"},
	{regexp.MustCompile(`closing time must be after`), "closing"},
	{regexp.MustCompile(`choose the project to merge into`), "merge"},
	{regexp.MustCompile(`tick the proposals`), "tick"},
	{regexp.MustCompile(`choose a roll.txt|roll.txt is`), "roll"},
	{regexp.MustCompile(`voting code is not valid`), "code"},
	{regexp.MustCompile(`a message must be`), "message"},
	{regexp.MustCompile(`place must be`), "place"},
	{regexp.MustCompile(`count must be 1 to`), "count"},
}

// formErrorText is a refused form's message in lang: the handler's own
// text from the catalog, else the reason's text, else the matching
// "form.err.*" text, else one by kind.
func (p *pages) formErrorText(lang string, status int, msg string, reason core.Reason) string {
	if reason == reasonPageText {
		return msg // the handler's own text, in the page's language
	}
	if reason != "" {
		if t, ok := p.cat[lang]["err."+string(reason)]; ok {
			return t
		}
	}
	for _, e := range adminErrs {
		if e.re.MatchString(msg) {
			if t, ok := p.cat[lang]["form.err."+e.key]; ok {
				return t
			}
		}
	}
	switch status {
	case http.StatusForbidden:
		return p.cat.text(lang, "form.err.forbidden")
	case http.StatusConflict:
		return p.cat.text(lang, "form.err.conflict")
	}
	return p.cat.text(lang, "form.err.other")
}

// showFormError renders the page of the form at path again with err on
// the form and the values sent; it returns false when err is not public
// (an internal error keeps its error page).
func (p *pages) showFormError(c *fiber.Ctx, err error) (bool, error) {
	status, msg, reason, public := PublicError(err)
	if !public || status == http.StatusNotFound || status == http.StatusUnauthorized {
		return false, nil
	}
	lang := negotiateLang(c.Cookies(langCookie), c.Get(fiber.HeaderAcceptLanguage))
	key := formKey(c.Path())
	if strings.HasPrefix(key, "accounts/") {
		key = "accounts-state" // the buttons of the accounts table
	}
	fe := &formError{Form: key, Text: p.formErrorText(lang, status, msg, reason), Values: map[string]string{}}
	c.Request().PostArgs().VisitAll(func(k, v []byte) {
		if key := string(k); key != CSRFField && !strings.Contains(key, "password") && key != "passphrase" && key != "code" {
			fe.Values[key] = string(v)
		}
	})
	c.Locals(localFormError, fe)
	setRetryAfter(c, err)
	page := p.dashboard
	if strings.HasPrefix(c.Path(), "/admin/rounds/") && c.Params("round") != "" {
		page = p.roundPage
	}
	if page(c) != nil {
		return false, nil
	}
	if !strings.Contains(string(c.Response().Body()), `id="form-error"`) {
		fe.Top = true
		if page(c) != nil {
			return false, nil
		}
	}
	c.Status(status)
	return true, nil
}

// FormErr is the error of form key when it was the one refused: an
// alert to show at the top of the form.
func (v *view) FormErr(key string) template.HTML {
	if v.formErr == nil || v.formErr.Form != key {
		return ""
	}
	return template.HTML(`<div class="msg bad" role="alert" id="form-error">` + template.HTMLEscapeString(v.formErr.Text) + `</div>`)
}

// FormValue is the value of field name as sent with form when it was
// refused, or def.
func (v *view) FormValue(form, name string, def any) any {
	if v.formErr != nil && v.formErr.Form == form {
		if s, ok := v.formErr.Values[name]; ok {
			return s
		}
	}
	return def
}

// FormFailed reports whether form key was refused (to open its details).
func (v *view) FormFailed(key string) bool { return v.formErr != nil && v.formErr.Form == key }
