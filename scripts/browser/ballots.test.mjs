// The ballot kinds other than plain approval, in the browser: approval
// within a cost limit with its live budget meter, and cumulative points.
// Limits are enforced on the page before signing; a valid ballot is signed,
// cast and its receipt verified.

import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { axeCheck, launch, newContext, root } from './lib.mjs';
import { formatCode, parseCode } from '../../static/js/code.js';
import { startServer } from './server.mjs';
import { apiClient, setupVoting } from './size-budget.mjs';

let browser;
let server;
before(async () => {
  browser = await launch();
  server = await startServer();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const projects = [
  { id: 'bench', title: 'Bænke ved søen', cost: 20000, category: 'fritid-og-faellesskab' },
  { id: 'library', title: 'Bogbytte i hallen', cost: 60000, category: 'laering' },
  { id: 'playground', title: 'Ny legeplads', cost: 50000, category: 'fritid-og-faellesskab' },
];

async function votePage(round, code, ed25519) {
  const ctx = await newContext(browser, { locale: 'en-GB', ed25519, viewport: { width: 390, height: 844 } });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push('console: ' + m.text()));
  await page.goto(server.url + '/v/' + round + '#' + code);
  await page.waitForFunction(() => !document.getElementById('code-ok').hidden);
  return { ctx, page, errors };
}

async function signAndCheck(page) {
  await page.click('#ballot button[type=submit]');
  await page.waitForSelector('#review:not([hidden])');
  const review = await page.locator('#review-list').innerText();
  await page.click('#sign');
  await page.waitForFunction(() => /ok|bad/.test(document.getElementById('status').className) && !document.getElementById('receipt').hidden);
  assert.match(await page.locator('#status').getAttribute('class'), /ok/, await page.locator('#receipt-checks').innerText());
  return review;
}

it('approval within a cost limit: live budget meter, a tick over the limit taken back at once', async () => {
  const codes = await setupVoting(server.url, 'cost-2026', projects, { ballot: { kind: 'approval-cost', limit: 70000 } });
  const { ctx, page, errors } = await votePage('cost-2026', codes[0], true);
  const meter = () => page.locator('#meter-bar').getAttribute('aria-valuenow');
  assert.equal(await meter(), '0');
  await page.click('label:has(input[value="bench"])');
  assert.equal(await meter(), '20000');
  assert.match(await page.locator('#meter-text').innerText(), /DKK 20,000 of DKK 70,000/);
  assert.match(await page.locator('#budget').innerText(), /DKK 100,000/);
  await page.click('label:has(input[value="library"])');
  assert.equal(await meter(), '20000', 'the tick that breaks the limit is taken back');
  assert.equal(await page.locator('input[value="library"]').isChecked(), false);
  assert.match(await page.locator('#status').innerText(), /does not fit within your DKK 70,000/);
  await page.click('label:has(input[value="playground"])');
  assert.equal(await page.locator('#status').innerText(), '', 'the message goes with the next good tap');
  assert.equal(await meter(), '70000');
  await axeCheck(browser, page, 'budget-meter ballot');
  const review = await signAndCheck(page);
  await axeCheck(browser, page, 'budget-meter receipt');
  assert.match(review, /Bænke ved søen/);
  assert.match(review, /Ny legeplads/);
  assert.deepEqual(errors, []);
  await ctx.close();
});

it('cumulative points with the noble fallback: points left, cap refused, points ballot cast', async () => {
  const codes = await setupVoting(server.url, 'points-2026', projects, { ballot: { kind: 'cumulative', total: 5, cap: 3 }, rule: 'greedy-points' });
  const { ctx, page, errors } = await votePage('points-2026', codes[0], false);
  await page.fill('#pt-bench', '4');
  assert.match(await page.locator('#status').innerText(), /At most 3 points per project/);
  assert.equal(await page.inputValue('#pt-bench'), '3', 'points over the cap are taken back at once');
  assert.match(await page.locator('#meter-text').innerText(), /2 of 5 points left/);
  await page.fill('#pt-playground', '3');
  assert.match(await page.locator('#status').innerText(), /only 5 points in all/);
  assert.equal(await page.inputValue('#pt-playground'), '2', 'points over the total are taken back at once');
  assert.match(await page.locator('#meter-text').innerText(), /0 of 5 points left/);
  await axeCheck(browser, page, 'points ballot');
  const review = await signAndCheck(page);
  await axeCheck(browser, page, 'points receipt');
  assert.match(review, /Bænke ved søen: 3 points/);
  assert.match(review, /Ny legeplads: 2 points/);
  assert.equal(await page.evaluate(() => document.documentElement.dataset.backend), 'noble');
  assert.deepEqual(errors, []);
  await ctx.close();
});

it('revote last: A, B, then A again is a new ballot that counts, with its own receipt; a lost answer is resent as the same leaf', async () => {
  const round = 'revote-2026';
  const codes = await setupVoting(server.url, round, projects, { revote: 'last' });
  const leaves = [];
  for (const [i, choice] of ['bench', 'library', 'bench'].entries()) {
    const { ctx, page, errors } = await votePage(round, codes[0], true);
    if (i > 0) {
      // Said before the choice: this code has voted, and a new ballot replaces the old.
      await page.waitForFunction(() => /warn/.test(document.getElementById('status').className));
      assert.match(await page.locator('#status').innerText(), /already voted with this code.*the last one counts/);
    }
    const sent = [];
    let lost = false;
    await page.route('**/v/' + round + '/ballot', async (route) => {
      sent.push(route.request().postData());
      // The third cast: the server gets it, the answer is lost on the way.
      if (i === 2 && !lost) {
        lost = true;
        await route.fetch();
        return route.abort('connectionreset');
      }
      return route.continue();
    });
    await page.click(`label:has(input[value="${choice}"])`);
    await page.click('#ballot button[type=submit]');
    await page.waitForSelector('#review:not([hidden])');
    await page.click('#sign');
    if (i === 2) {
      // The failure is shown; signing again resends the same cast.
      await page.waitForFunction(() => /bad/.test(document.getElementById('status').className));
      assert.ok(await page.locator('#receipt').isHidden());
      await page.click('#sign');
    }
    await page.waitForFunction(() => /ok|bad/.test(document.getElementById('status').className) && !document.getElementById('receipt').hidden);
    assert.match(await page.locator('#status').getAttribute('class'), /ok/, await page.locator('#receipt-checks').innerText());
    assert.equal(new Set(sent).size, 1, 'one leaf per cast, however often it is sent');
    assert.match(sent[0], new RegExp('\\napprove ' + choice + '\\ncast [A-Za-z0-9+/]{22}==\\nsig '));
    leaves.push(sent[0]);
    assert.deepEqual(errors.filter((e) => !/ERR_CONNECTION_RESET/.test(e)), []); // the lost answer is logged
    await ctx.close();
  }
  assert.equal(new Set(leaves).size, 3, 'A cast again is a new leaf');
  const api = await apiClient(server.url);
  for (const phase of ['closed', 'published']) await api('POST', `/api/rounds/${round}/phase`, { phase });
  const result = JSON.parse(await api('GET', `/api/rounds/${round}/result`));
  assert.equal(result.ballots, 1);
  assert.deepEqual(Object.fromEntries(result.projects.map((p) => [p.id, p.votes])), { bench: 1, library: 0, playground: 0 });
});

it('without Web Crypto (plain HTTP) the form falls back to server signing, with the code from the link', async () => {
  const codes = await setupVoting(server.url, 'nocrypto-2026', projects);
  const ctx = await newContext(browser, { locale: 'da-DK', viewport: { width: 390, height: 844 } });
  await ctx.addInitScript(() => Object.defineProperty(globalThis.crypto, 'subtle', { get: () => undefined }));
  const page = await ctx.newPage();
  await page.goto(server.url + '/v/nocrypto-2026#' + codes[0].replace(/-/g, ''));
  await page.waitForFunction(() => document.getElementById('code').value !== '');
  assert.ok(!page.url().includes('#'), 'the code left the address bar');
  assert.ok(await page.locator('#nojs-note').isVisible(), 'the page says the server will sign');
  assert.match(await page.locator('#nojs-note').innerText(), /sikker forbindelse.*https.*sendes din kode til serveren/s, 'an honest message, not "no JavaScript"');
  await page.click('label:has(input[value="bench"])');
  await Promise.all([page.waitForNavigation(), page.click('#ballot button[type=submit]')]);
  await Promise.all([page.waitForNavigation(), page.click('button[value="submit"]')]);
  assert.match(await page.locator('main').innerText(), /Stemmen er underskrevet af serveren/);
  await ctx.close();
});

it('a well-formed code that is not on the roll: the wrong-code message before any choice, typed and from the link, in Danish and English', async () => {
  await setupVoting(server.url, 'wrong-2026', projects);
  const stranger = formatCode(new Uint8Array(randomBytes(16)));
  assert.equal(formatCode(parseCode(stranger)), stranger, 'the check character is right');
  for (const [lang, locale] of [['da', 'da-DK'], ['en', 'en-GB']]) {
    const want = JSON.parse(readFileSync(path.join(root, 'ui', 'i18n_' + lang + '.json'), 'utf8'))['js.wrongCode'];
    for (const how of ['typed', 'link', 'no-js']) {
      const ctx = await newContext(browser, { locale, viewport: { width: 390, height: 844 }, javaScriptEnabled: how !== 'no-js' });
      const page = await ctx.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(server.url + '/v/wrong-2026' + (how === 'link' ? '#' + stranger.replace(/-/g, '') : ''));
      if (how === 'no-js') {
        // The server derives the key and answers with the same message.
        await page.fill('#code', stranger);
        await page.click('label:has(input[value="bench"])');
        await Promise.all([page.waitForNavigation(), page.click('#ballot button[type=submit]')]);
        await Promise.all([page.waitForNavigation(), page.click('button[value="submit"]')]);
        assert.ok((await page.locator('main').innerText()).includes(want), lang + ' no-js: ' + (await page.locator('main').innerText()));
        await ctx.close();
        continue;
      }
      await page.waitForFunction(() => document.documentElement.classList.contains('js'));
      if (how === 'typed') await page.fill('#code', stranger);
      // Refused as soon as the key is derived: before any choice.
      await page.waitForFunction(() => /bad/.test(document.getElementById('status').className));
      const label = lang + ' ' + how;
      assert.equal(await page.locator('#status').innerText(), want, label);
      assert.ok(await page.locator('#code-ok').isHidden(), label + ': the code is not taken');
      await page.click('label:has(input[value="bench"])');
      await page.click('#ballot button[type=submit]');
      assert.ok(await page.locator('#review').isHidden(), label + ': no review with a refused code');
      assert.equal(await page.locator('#status').innerText(), want, label);
      assert.deepEqual(errors, [], label);
      await ctx.close();
    }
  }
});

it('at 390 px a long unbreakable title stays inside its box: the fieldset ends where the sticky choose-bar ends, no sideways scroll', async () => {
  const long = [{ id: 'hall', title: 'Multifunktionsforsamlingshusrenoveringsprojektet', cost: 20000, category: 'laering' }, ...projects.slice(1)];
  const codes = await setupVoting(server.url, 'wide-2026', long);
  const { ctx, page, errors } = await votePage('wide-2026', codes[0], true);
  await page.evaluate(() => window.scrollTo(0, 200));
  const m = await page.evaluate(() => {
    const r = (s) => document.querySelector(s).getBoundingClientRect();
    return { bar: r('form#ballot .bar').right, fieldset: r('form#ballot fieldset').right, label: r('.project label').right, title: r('#title-hall').right, sw: document.documentElement.scrollWidth };
  });
  assert.ok(m.fieldset <= m.bar + 0.5, 'the fieldset border shows beside the bar: ' + JSON.stringify(m));
  assert.ok(m.title <= m.label && m.label <= m.fieldset, JSON.stringify(m));
  assert.ok(m.sw <= 390, 'sideways scroll: ' + JSON.stringify(m));
  assert.deepEqual(errors, []);
  await ctx.close();
});
