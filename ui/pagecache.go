package ui

import (
	"bytes"
	"strconv"
	"sync"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/sync/singleflight"
)

// pageCache keeps the rendered bytes of the public pages many phones open
// at once (the fund overview, a round's page, its projector) and serves
// them again until the store changes: an entry is valid while the
// service's [service.Service.Generation], read before rendering, has not
// moved. Only what is the same for every visitor is kept: requests without
// an account (no admin links, no CSRF token) and without a query string,
// keyed by path, language, the year the page is rendered in and the
// Accept-Encoding header (the page is cached compressed as sent). Misses
// of one key at one generation share one rendering (singleflight).
type pageCache struct {
	mu      sync.Mutex
	entries map[string]*cachedPage
	flight  singleflight.Group
}

// cachedPage is one rendered page with the headers its renderer set.
type cachedPage struct {
	gen    uint64
	body   []byte
	header [][2]string
}

// maxCachedPages bounds the cache; when full it starts again empty.
const maxCachedPages = 2048

// pageHeaders are the response headers a cached page keeps.
var pageHeaders = []string{fiber.HeaderContentType, "Content-Language", fiber.HeaderContentEncoding,
	fiber.HeaderVary, fiber.HeaderCacheControl, "Content-Security-Policy"}

// cache is the middleware in front of a cacheable page (before its
// compression): a hit is sent from memory; a miss renders through the
// rest of the chain and keeps the answer when it is a 200.
func (pc *pageCache) cache(a *App) fiber.Handler {
	return func(c *fiber.Ctx) error {
		enc := c.Get(fiber.HeaderAcceptEncoding)
		if c.Method() != fiber.MethodGet || AccountOf(c) != nil || len(c.Request().URI().QueryString()) > 0 || len(enc) > 100 {
			return c.Next()
		}
		lang := negotiateLang(c.Cookies(langCookie), c.Get(fiber.HeaderAcceptLanguage))
		gen := a.svc.Generation()
		key := lang + "\x00" + strconv.Itoa(a.svc.Clock().Year()) + "\x00" + enc + "\x00" + string(c.Request().URI().RequestURI())
		pc.mu.Lock()
		e := pc.entries[key]
		pc.mu.Unlock()
		if e != nil && e.gen == gen {
			return e.send(c)
		}
		rendered := false
		v, err, _ := pc.flight.Do(key+"\x00"+strconv.FormatUint(gen, 10), func() (any, error) {
			rendered = true
			if err := c.Next(); err != nil {
				return nil, err
			}
			if c.Response().StatusCode() != fiber.StatusOK {
				return nil, nil
			}
			e := &cachedPage{gen: gen, body: bytes.Clone(c.Response().Body())}
			for _, h := range pageHeaders {
				if v := c.Response().Header.Peek(h); len(v) > 0 {
					e.header = append(e.header, [2]string{h, string(v)})
				}
			}
			pc.mu.Lock()
			if pc.entries == nil || len(pc.entries) >= maxCachedPages {
				pc.entries = make(map[string]*cachedPage)
			}
			if old := pc.entries[key]; old == nil || old.gen <= gen {
				pc.entries[key] = e
			}
			pc.mu.Unlock()
			return e, nil
		})
		if rendered {
			return err // this request rendered the page itself
		}
		if e, ok := v.(*cachedPage); ok && err == nil {
			return e.send(c)
		}
		return c.Next() // the shared rendering failed: try on our own
	}
}

// send answers c with the cached page.
func (e *cachedPage) send(c *fiber.Ctx) error {
	for _, h := range e.header {
		c.Set(h[0], h[1])
	}
	return c.Status(fiber.StatusOK).Send(e.body)
}
