// Shared helpers for the browser tests: launching Debian's chromium through
// playwright-core (never a downloaded browser), a tiny static file server,
// and the init script that hides WebCrypto Ed25519 to force the fallback.

import { chromium } from 'playwright-core';
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '..', '..');
export const outDir = path.join(here, 'out');

export const CHROMIUM = process.env.PB_CHROMIUM || '/usr/bin/chromium';

/** launch starts headless chromium; playwright gives it a fresh temporary --user-data-dir. */
export async function launch() {
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
