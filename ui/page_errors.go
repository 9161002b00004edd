package ui

import (
	"strconv"

	"github.com/hedensted-pb/pb/ui/core"
)

// errorText is the message a page shows for a public error in lang: the
// text of its reason (err.REASON), else the text of its status
// (err.status.NNN). A domain error's message is English for the API and
// the log; it is shown only on an English page, and only when the catalog
// has no text for its reason, so that no English sentence ever reaches a
// page in another language (TestNoOtherLanguageInPages).
func (p *pages) errorText(lang string, status int, msg string, reason core.Reason) string {
	if reason == reasonPageText {
		return msg
	}
	if reason != "" {
		if t, ok := p.cat[lang]["err."+string(reason)]; ok {
			return t
		}
	}
	if lang == "en" && msg != "" {
		return upperFirst(msg) + "."
	}
	if t, ok := p.cat[lang]["err.status."+strconv.Itoa(status)]; ok {
		return t
	}
	return p.cat.text(lang, "err.status.other")
}

// upperFirst capitalises an ASCII first letter.
func upperFirst(s string) string {
	if s != "" && 'a' <= s[0] && s[0] <= 'z' {
		return string(s[0]-'a'+'A') + s[1:]
	}
	return s
}

// reasonPageText marks an error whose message a page handler wrote in the
// reader's language ([pageText]).
const reasonPageText core.Reason = "page_text"

// pageText is an error of kind k whose message is already the page's
// text in the reader's language (a handler's own explanation): error
// pages show it as it is.
func pageText(k core.Kind, text string) *core.Error {
	return &core.Error{Kind: k, Reason: reasonPageText, Msg: text}
}
