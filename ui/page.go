package ui

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"

	"github.com/hedensted-pb/pb/ui/core"
	"github.com/hedensted-pb/pb/ui/service"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"
	"github.com/gofiber/fiber/v2/middleware/filesystem"

	"github.com/hedensted-pb/pb/static"
	"github.com/hedensted-pb/pb/tally"
)

// The server-rendered pages: every page is layout.html around one page
// template, rendered into a buffer (so a template error never sends half a
// page) in the request's language. Pages work without JavaScript; the
// modules in static/js add in-browser key derivation, signing and proof
// checks.

//go:embed templates/*.html
var templateFiles embed.FS

// staticPrefix is where static.FS is served.
const staticPrefix = "/static/"

// pages holds the parsed templates and texts, built once in
// [App.pageRoutes], and a cache of result explanations.
type pages struct {
	app  *App
	cat  catalog
	tpls map[string]*template.Template

	mu       sync.Mutex
	why      map[[32]byte]map[string]tally.Explanation // rule explanations by result note hash
	compared map[string]*service.RuleComparison        // rule comparisons of published rounds
}

// newPages parses every page template with the layout and loads the texts.
func newPages(a *App) (*pages, error) {
	cat, err := loadCatalog()
	if err != nil {
		return nil, err
	}
	base, err := template.New("layout").Funcs(pageFuncs).ParseFS(templateFiles, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("ui: templates: %w", err)
	}
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{app: a, cat: cat, tpls: map[string]*template.Template{}, why: map[[32]byte]map[string]tally.Explanation{},
		compared: map[string]*service.RuleComparison{}}
	for _, n := range names {
		name := strings.TrimSuffix(path.Base(n), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFiles, n)
		if err != nil {
			return nil, fmt.Errorf("ui: templates: %w", err)
		}
		p.tpls[name] = t
	}
	return p, nil
}

// pageFuncs are the few helpers templates use besides the view's methods.
var pageFuncs = template.FuncMap{
	"add":   func(a, b int64) int64 { return a + b },
	"int64": func(n int) int64 { return int64(n) },
	"pct": func(a, b int64) int64 {
		if b <= 0 {
			return 0
		}
		return a * 100 / b
	},
}

// view is what every template gets: the page's language, title and data,
// and helpers for texts and numbers.
type view struct {
	Lang, OtherLang string
	Title           string
	Path            string // path and query of the request, for the language switch
	Scripts         []string
	BodyClass       string
	Wide            bool
	NoFooter        bool
	Account         *core.Identity
	CSRF            string
	Flash           string
	FlashKind       string // ok, bad or warn
	D               any    // the page's own data

	cat     catalog
	formErr *formError // a refused admin form shown again (page_formerr.go)
}

// T returns the text for key in the page's language.
//
// An amount ends with "kr." in Danish: a text that puts a full stop after
// one would end with "kr..", so that becomes a single full stop.
func (v *view) T(key string, args ...any) string {
	return strings.ReplaceAll(v.cat.text(v.Lang, key, args...), "kr..", "kr.")
}

// plural returns the text for key with args, using
// key+".one" instead when the count n is 1 and such a text exists.
func (v *view) plural(key string, n int64, args ...any) string {
	if n == 1 {
		if _, ok := v.cat[v.Lang][key+".one"]; ok {
			key += ".one"
		}
	}
	return v.T(key, args...)
}

// TN is [view.plural] for templates: the count n may be any integer type.
func (v *view) TN(key string, n any, args ...any) string {
	var c int64
	switch x := n.(type) {
	case int:
		c = int64(x)
	case int64:
		c = x
	case int32:
		c = int64(x)
	case uint64:
		c = int64(x)
	case uint32:
		c = int64(x)
	}
	return v.plural(key, c, args...)
}

// Amount writes whole kroner in the page's language.
func (v *view) Amount(n int64) string { return formatAmount(v.Lang, n) }

// Num writes an integer in the page's language.
func (v *view) Num(n int64) string { return formatNumber(v.Lang, n) }

// Static returns the URL of a static file.
func (v *view) Static(name string) string { return staticPrefix + name }

// PhaseName is the translated name of a round phase.
func (v *view) PhaseName(p core.Phase) string { return v.T("phase." + string(p)) }

// CategoryName is a category's name in the page's language.
func (v *view) CategoryName(c core.Category) string { return categoryName(v.Lang, v.cat, c) }

// LangSwitch is the link that switches the page to the other language.
func (v *view) LangSwitch() string {
	return "/lang/" + v.OtherLang + "?next=" + url.QueryEscape(v.Path)
}

// newView starts a view for the request: language, account, CSRF token.
func (p *pages) newView(c *fiber.Ctx, title string) *view {
	lang := negotiateLang(c.Cookies(langCookie), c.Get(fiber.HeaderAcceptLanguage))
	v := &view{Lang: lang, OtherLang: otherLang(lang), Path: string(c.Request().URI().RequestURI()),
		Account: AccountOf(c), CSRF: CSRFToken(c), cat: p.cat}
	v.formErr, _ = c.Locals(localFormError).(*formError)
	if v.formErr != nil && v.formErr.Top {
		v.Flash, v.FlashKind = v.formErr.Text, "bad"
	}
	v.Title = v.T(title)
	return v
}

// render executes a page template into a buffer and sends it.
func (p *pages) render(c *fiber.Ctx, status int, name string, v *view) error {
	t, ok := p.tpls[name]
	if !ok {
		return fmt.Errorf("ui: no page template %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return fmt.Errorf("ui: render %s: %w", name, err)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set("Content-Language", v.Lang)
	c.Set(fiber.HeaderVary, "Accept-Language, Cookie")
	c.Set(fiber.HeaderCacheControl, "no-store")
	// Pages load nothing from elsewhere and run no inline script.
	c.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; "+
		"script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	return c.Status(status).Send(buf.Bytes())
}

// errorPage renders a public error in the request's language. It is the
// HTML counterpart of the JSON error handler: internal errors show only a
// request id.
func (p *pages) errorPage(c *fiber.Ctx, err error) error {
	status, msg, reason, public := PublicError(err)
	if !public {
		p.app.logError(c, "page failed", err)
	}
	setRetryAfter(c, err)
	v := p.newView(c, "error.title")
	msg = p.errorText(v.Lang, status, msg, reason)
	rid, _ := c.Locals(localRequestID).(string)
	v.D = struct {
		Status  int
		Message string
		Public  bool
		Request string
	}{status, msg, public, rid}
	if rerr := p.render(c, status, "error", v); rerr != nil {
		return err
	}
	return nil
}

// handle wraps a page handler so that its errors render as HTML pages.
func (p *pages) handle(h func(c *fiber.Ctx) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := h(c); err != nil {
			return p.errorPage(c, err)
		}
		return nil
	}
}

// setLang is GET /lang/:lang?next=PATH: it remembers the choice in a
// cookie and goes back to the page, so the switch works without JavaScript.
func (p *pages) setLang(c *fiber.Ctx) error {
	l := c.Params("lang")
	if !validLang(l) {
		return core.NotFoundf("no such language")
	}
	c.Cookie(&fiber.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600,
		SameSite: fiber.CookieSameSiteLaxMode, Secure: p.app.secure})
	return c.Redirect(localPath(c.Query("next")), http.StatusSeeOther)
}

// localPath returns next when it is a path on this site, else "/".
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/"
	}
	if u, err := url.Parse(next); err != nil || u.Scheme != "" || u.Host != "" {
		return "/"
	}
	return next
}

// serveStatic mounts static.FS at /static/, compressed, cacheable for a day.
func serveStatic(r fiber.Router) {
	r.Use(staticPrefix, compress.New(compress.Config{Level: compress.LevelDefault}), func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderCacheControl, "public, max-age=86400")
		return c.Next()
	}, filesystem.New(filesystem.Config{Root: http.FS(static.FS), PathPrefix: "", Browse: false}))
}

// pageRoutes registers the static files and every HTML page; the server's
// routes function calls it once, after its middleware. Calling it again
// does nothing. The templates and texts are embedded and checked by the
// tests, so a parse error cannot happen in a tested build; if it did, the
// error is logged and every page answers 500 while the API keeps working.
func (a *App) pageRoutes() {
	r := a.fiber
	if r.GetRoute("pages.home").Name == "pages.home" {
		return
	}
	p, err := newPages(a)
	if err != nil {
		a.log.Error("pages disabled", "err", err)
		r.Get("/", func(c *fiber.Ctx) error { return err }).Name("pages.home")
		return
	}
	serveStatic(r)
	a.pageError, a.loginPageError = p.errorPage, p.loginError
	h := p.handle
	// Pages are compressed too (the event stream and the PNGs are not).
	z := compress.New(compress.Config{Level: compress.LevelDefault})
	// The pages many phones open at once are kept, as sent, until the
	// store changes (pagecache.go).
	cached := new(pageCache).cache(a)
	r.Get("/lang/:lang", h(p.setLang))

	// Residents and the public.
	r.Get("/", cached, z, h(p.home)).Name("pages.home")
	r.Get("/about", z, h(p.about))
	r.Get("/c/:community", z, h(p.community))
	r.Get("/f/:fund", z, h(p.fundPage))
	r.Get("/f/:fund/poster", z, h(p.fundPoster))
	r.Get("/r/:round", cached, z, h(p.round))
	r.Post("/r/:round/proposals", limitBody(maxFormBody), a.limitProposals, h(p.propose))
	r.Get("/r/:round/results", z, h(p.results))
	r.Get("/r/:round/record", z, h(p.recordPage))
	r.Get("/r/:round/poster", z, h(p.poster))
	r.Get("/r/:round/follow", z, h(p.followPage))
	r.Post("/r/:round/follow", limitBody(maxFormBody), a.limitProposals, h(p.followPost))
	r.Get("/r/:round/minutes", z, h(p.minutes))
	r.Get("/f/:fund/statistics", z, h(p.statistics))
	r.Get("/r/:round/qr.png", h(p.receiptQR))
	r.Get("/v/:round", z, h(p.vote(false)))
	r.Post("/v/:round", limitBody(maxFormBody), h(p.voteForm(false)))
	r.Post("/v/:round/ballot", limitBody(maxBallotBody), p.ballotPost)
	r.Get("/v/:round/key/:key", p.keyStatus)
	r.Get("/k/:round", z, h(p.kiosk(false)))
	r.Get("/k/:round/paper", z, h(p.kiosk(true)))
	r.Post("/k/:round/paper", limitBody(maxFormBody), h(p.paperNoJS))
	r.Post("/k/:round", limitBody(maxFormBody), h(p.voteForm(true)))
	r.Get("/check", z, h(p.check))
	r.Post("/check", h(p.checkPost))
	r.Get("/check/:round", z, h(p.check))
	r.Get("/p/:round", cached, z, h(p.projector))
	r.Get("/p/:round/events", h(p.events))
	r.Get("/p/:round/qr.png", h(p.checkpointQR))

	// The administration.
	r.Get("/admin/login", z, h(p.loginPage))
	r.Post("/admin/login", limitBody(maxFormBody), a.limitLogin, h(p.login))
	adm := r.Group("/admin", h(p.needLogin), h(a.RequireCSRF))
	adm.Post("/logout", h(p.logout))
	adm.Get("/", z, h(p.dashboard))
	adm.Post("/funds", p.adminAction(p.createFund))
	adm.Post("/communities", p.adminAction(p.createCommunity))
	adm.Get("/funds/:fund", z, h(p.adminFundPage))
	adm.Post("/funds/:fund/tranches/:year/:op", p.adminAction(p.trancheForm))
	adm.Post("/communities/:community", p.adminAction(p.communityForm))
	adm.Post("/communities/:community/remove", p.adminAction(p.communityRemoveForm))
	adm.Post("/rounds/:round/cancel", p.adminAction(p.cancelRoundForm))
	adm.Post("/accounts", p.adminAction(p.createAccount))
	adm.Post("/rounds", p.adminAction(p.createRound))
	adm.Get("/rounds/:round", z, h(p.roundPage))
	adm.Get("/rounds/:round/preview", z, h(p.previewPage))
	adm.Post("/rounds/:round/preview", h(p.previewPage))
	adm.Post("/rounds/:round/phase", p.adminAction(p.setPhase))
	adm.Post("/rounds/:round/settings", p.adminAction(p.roundSettings))
	adm.Post("/rounds/:round/proposals/:pid", p.adminAction(p.decide))
	adm.Post("/rounds/:round/decisions", p.adminAction(p.decideBulk))
	adm.Post("/rounds/:round/projects", p.adminAction(p.putProject))
	adm.Post("/rounds/:round/projects/:pid/delete", p.adminAction(p.deleteProject))
	adm.Post("/rounds/:round/roll", p.adminAction(p.uploadRoll))
	adm.Post("/rounds/:round/codes", h(p.slips))
	adm.Post("/rounds/:round/slips", h(p.slipsAgain))
	adm.Post("/rounds/:round/paper", h(p.paperBallots))
	adm.Post("/rounds/:round/void", p.adminAction(p.void))
	adm.Post("/rounds/:round/handed-out", p.adminAction(p.setHandedOut))
	adm.Post("/rounds/:round/schedule", p.adminAction(p.schedule))
	adm.Post("/password", p.adminAction(p.password))
	adm.Post("/rounds/:round/proposals/:pid/message", p.adminAction(p.councilMessage))
	adm.Post("/rounds/:round/meeting", p.adminAction(p.meeting))
	adm.Post("/accounts/:name/disable", p.adminAction(p.accountState(true)))
	adm.Post("/accounts/:name/enable", p.adminAction(p.accountState(false)))
}

// Votes writes "n votes" in the page's language, singular for one.
func (v *view) Votes(n int64) string { return v.plural("results.votes", n, n) }
