// The page-weight budget: the voting page (and the kiosk) with all its CSS
// and JS must transfer under 60 KB, measured by chromium itself (the encoded bytes of
// every response, as the network delivered them) against the real server,
// both with WebCrypto Ed25519 and with the @noble/ed25519 fallback loaded.
// Usage: node scripts/browser/size-budget.mjs (exit 1 when over budget).

import { launch, newContext } from './lib.mjs';
import { ADMIN, startServer } from './server.mjs';

export const BUDGET = 60 * 1024;

/** api is a tiny JSON client with the session cookie and CSRF token. */
export async function apiClient(base) {
  let cookie = '';
  let csrf = '';
  const call = async (method, path, body) => {
    const res = await fetch(base + path, {
      method,
      headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrf, accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(method + ' ' + path + ': ' + res.status + ' ' + text);
    const set = res.headers.get('set-cookie');
    if (set) cookie = set.split(';')[0];
    return text;
  };
  const login = JSON.parse(await call('POST', '/api/login', { name: ADMIN.name, password: ADMIN.password }));
  csrf = login.csrf;
  return call;
}

/**
 * setupVoting creates a round with the given projects (and settings, for
 * PATCH /api/rounds/:round) through the JSON API, opens voting and returns
 * the voting codes. The fund and community are made on first use.
 */
export async function setupVoting(base, round, projects, settings, budget = 100000) {
  const api = await apiClient(base);
  const funds = JSON.parse(await api('GET', '/api/funds'));
  if (!funds.some((f) => f.id === 'pulje')) {
    await api('POST', '/api/funds', { id: 'pulje', name: 'Puljen', total: 1000000, years: [2026], formula: 'equal' });
    await api('POST', '/api/communities', { id: 'by', name: 'Byen', population: 1000, fund: 'pulje' });
  }
  await api('POST', '/api/rounds', { id: round, community: 'by', year: 2026, title: 'Byens pulje 2026', budget });
  for (const p of projects) await api('POST', `/api/rounds/${round}/projects`, p);
  if (settings) await api('PATCH', `/api/rounds/${round}`, settings);
  for (const phase of ['proposals', 'review']) await api('POST', `/api/rounds/${round}/phase`, { phase });
  // Freezing with server-made codes is one step that answers the slip sheet.
  const sheet = await api('POST', `/api/rounds/${round}/codes`, { count: 4, reserve: 0 });
  await api('POST', `/api/rounds/${round}/phase`, { phase: 'voting' });
  return sheet.match(/[0-9A-Z]{4}(-[0-9A-Z]{4}){5}-[0-9A-Z]{3}/g);
}

/** measure loads url in a fresh context and sums the bytes chromium received. */
export async function measure(browser, url, ed25519) {
  const ctx = await newContext(browser, { ed25519, viewport: { width: 390, height: 844 } });
  const page = await ctx.newPage();
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('Network.enable');
  const sizes = new Map();
  const urls = new Map();
  cdp.on('Network.responseReceived', (e) => urls.set(e.requestId, e.response.url));
  cdp.on('Network.loadingFinished', (e) => sizes.set(e.requestId, e.encodedDataLength));
  await page.goto(url, { waitUntil: 'networkidle' });
  await page.waitForFunction(() => document.documentElement.dataset.backend);
  const backend = await page.evaluate(() => document.documentElement.dataset.backend);
  await ctx.close();
  let total = 0;
  const files = [];
  for (const [id, n] of sizes) {
    total += n;
    files.push([new URL(urls.get(id) || 'http://x/?').pathname, n]);
  }
  return { backend, total, files };
}

async function main() {
  const server = await startServer();
  const browser = await launch();
  let failed = false;
  try {
    const projects = [];
    for (let i = 1; i <= 12; i++) {
      projects.push({ id: 'p' + String(i).padStart(2, '0'), title: 'Projekt nummer ' + i + ' med en rimelig lang titel', cost: 10000 * i,
        category: 'fritid-og-faellesskab', description: 'En beskrivelse af projektet på et par linjer, som borgerne kan læse før de stemmer.' });
    }
    const codes = await setupVoting(server.url, 'budget', projects, undefined, 500000);
    // The kiosk (vote.js and kiosk.js) too; its QR decoder loads only when the camera starts.
    for (const [name, page, ed25519] of [['voting page', '/v/budget', true], ['voting page', '/v/budget', false], ['kiosk', '/k/budget/paper', true]]) {
      const r = await measure(browser, server.url + page + '#' + codes[0].replace(/-/g, ''), ed25519);
      const ok = r.total <= BUDGET;
      failed = failed || !ok;
      console.log(`${name} (${r.backend}): ${r.total} bytes transferred, budget ${BUDGET}: ${ok ? 'ok' : 'OVER BUDGET'}`);
      for (const [p, n] of r.files.sort((a, b) => b[1] - a[1])) console.log(`  ${String(n).padStart(7)}  ${p}`);
    }
  } finally {
    await browser.close();
    await server.stop();
  }
  console.log(failed ? '0 passed, 1 failed' : '1 passed, 0 failed');
  process.exit(failed ? 1 : 0);
}

if (import.meta.url === 'file://' + process.argv[1]) main();
