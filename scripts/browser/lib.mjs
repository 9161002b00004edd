// Shared helpers for the browser tests: launching Debian's chromium through
// playwright-core (never a downloaded browser), a tiny static file server,
// and the init script that hides WebCrypto Ed25519 to force the fallback.

import { chromium } from 'playwright-core';
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '..', '..');
export const outDir = path.join(here, 'out');

export const CHROMIUM = process.env.PB_CHROMIUM || '/usr/bin/chromium';

/**
 * launch starts headless chromium; playwright gives it a fresh temporary
 * --user-data-dir. extraArgs are added to the required flags (e.g. a fake
 * camera: --use-fake-device-for-media-stream --use-fake-ui-for-media-stream
 * --use-file-for-fake-video-capture=FILE).
 */
export async function launch(extraArgs = []) {
  if (!existsSync(CHROMIUM)) throw new Error(CHROMIUM + ' is missing: apt-get install chromium');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
  });
}

/**
 * noEd25519 is an init script that makes WebCrypto refuse Ed25519, the way a
 * browser without it does, so that the pages fall back to @noble/ed25519.
 */
export const noEd25519 = `(() => {
  const s = globalThis.crypto && globalThis.crypto.subtle;
  if (!s) return;
  const isEd = (a) => (typeof a === 'string' ? a : a && a.name || '').toLowerCase() === 'ed25519';
  for (const m of ['importKey', 'generateKey', 'sign', 'verify', 'exportKey']) {
    const orig = s[m].bind(s);
    s[m] = function (...args) {
      const alg = m === 'importKey' ? args[2] : m === 'exportKey' ? (args[1] && args[1].algorithm) : args[0];
      if (isEd(alg)) return Promise.reject(new DOMException('Algorithm: Unrecognized name', 'NotSupportedError'));
      return orig(...args);
    };
  }
})();`;

/** newContext opens a browser context; opts: { ed25519: false } hides WebCrypto Ed25519. */
export async function newContext(browser, opts = {}) {
  const { ed25519 = true, ...rest } = opts;
  const ctx = await browser.newContext(rest);
  if (!ed25519) await ctx.addInitScript(noEd25519);
  // The platform makes no external requests: fail any that a page attempts.
  await ctx.route(/^(?!http:\/\/127\.0\.0\.1[:/]).*/, (route) => {
    const u = route.request().url();
    if (u.startsWith('data:') || u.startsWith('blob:')) return route.continue();
    ctx.__external = (ctx.__external || []).concat(u);
    return route.abort();
  });
  return ctx;
}

const TYPES = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * serveStatic serves the repository's static/ at /static/ plus the given
 * extra routes { '/path': { type, body } } on 127.0.0.1 and resolves to
 * { url, close }.
 */
export async function serveStatic(extra = {}) {
  const base = path.join(root, 'static');
  const server = createServer(async (req, res) => {
    const u = new URL(req.url, 'http://x');
    if (extra[u.pathname]) {
      res.writeHead(200, { 'content-type': extra[u.pathname].type || 'text/html; charset=utf-8' });
      res.end(extra[u.pathname].body);
      return;
    }
    if (u.pathname.startsWith('/static/')) {
      const p = path.normalize(path.join(base, decodeURIComponent(u.pathname.slice(8))));
      if (p.startsWith(base + path.sep)) {
        try {
          if ((await stat(p)).isFile()) {
            res.writeHead(200, { 'content-type': TYPES[path.extname(p)] || 'application/octet-stream' });
            res.end(await readFile(p));
            return;
          }
        } catch (e) {
          /* fall through to 404 */
        }
      }
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const url = 'http://127.0.0.1:' + server.address().port;
  return { url, close: () => new Promise((ok) => server.close(ok)) };
}

let axeSource = null;

/**
 * axeCheck runs axe-core (WCAG 2.1 A and AA) on a page as it is now and
 * fails on any violation. For a page opened without JavaScript (js false),
 * axe cannot run in it, so the same HTML is loaded in a scripted context of
 * the same origin with every page script removed and refused by CSP
 * (script-src 'none'): axe sees the real no-JS rendering, and the check
 * asserts that the page's scripts did not run (no class "js" on html) and
 * that the no-JavaScript note, where the page has one, is visible.
 */
export async function axeCheck(browser, page, label, js = true) {
  axeSource ??= readFileSync(path.join(here, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
  let target = page;
  let tmp = null;
  if (!js) {
    const html = (await page.content()).replace(/<script\b(?![^>]*type="application\/json")[^>]*>[\s\S]*?<\/script>/gi, '');
    tmp = await browser.newContext({ viewport: page.viewportSize() || undefined });
    target = await tmp.newPage();
    const u = new URL(page.url());
    const axeURL = u.origin + '/__axe__';
    await target.route(axeURL, (route) =>
      route.fulfill({ body: html, contentType: 'text/html; charset=utf-8', headers: { 'content-security-policy': "script-src 'none'" } }),
    );
    await target.goto(axeURL);
    const state = await target.evaluate(() => {
      const note = document.getElementById('nojs-note');
      return {
        js: document.documentElement.classList.contains('js'),
        scripts: [...document.scripts].filter((s) => s.type !== 'application/json').length,
        note: note ? !note.hidden && note.getClientRects().length > 0 : null,
      };
    });
    assert.equal(state.js, false, label + ': the no-JS rendering ran page scripts');
    assert.equal(state.scripts, 0, label + ': scripts left in the no-JS rendering');
    if (state.note !== null) assert.equal(state.note, true, label + ': the no-JavaScript note is not visible');
  }
  await target.evaluate(axeSource);
  const res = await target.evaluate(() =>
    window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }),
  );
  if (tmp) await tmp.close();
  const v = res.violations.map((x) => x.id + ': ' + x.nodes.map((n) => n.target.join(' ')).join(', '));
  assert.deepEqual(v, [], 'axe violations on ' + label);
}
