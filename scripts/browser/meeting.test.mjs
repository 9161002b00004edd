// The town meeting as residents live it, in headless chromium against the
// real pbserver: every message at the worst moment (a voided code, a used
// code, a code off the roll, the round closed while a resident is on the
// review step, the network gone at signing), limits enforced as the
// resident taps, the receipt kept across a reload, the projector (how to
// vote, a labelled QR code to the round's page, the log for watchers), and
// the results with a tie and with nothing funded. Danish and English; axe
// on every state shown; screenshots on a phone (390×844) and a desktop.

import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { axeCheck, launch, newContext, outDir, root } from './lib.mjs';
import { startServer, zbar } from './server.mjs';
import { apiClient, setupVoting } from './size-budget.mjs';

let browser;
let server;
let api;
before(async () => {
  mkdirSync(outDir, { recursive: true });
  browser = await launch();
  server = await startServer();
  api = await apiClient(server.url);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const TEXT = Object.fromEntries(['da', 'en'].map((l) => [l, JSON.parse(readFileSync(path.join(root, 'ui', 'i18n_' + l + '.json'), 'utf8'))]));
const LOCALE = { da: 'da-DK', en: 'en-GB' };

const projects = [
  { id: 'bench', title: 'Bænke ved søen', cost: 20000, category: 'fritid-og-faellesskab' },
  { id: 'library', title: 'Bogbytte i hallen', cost: 60000, category: 'laering' },
  { id: 'playground', title: 'Ny legeplads', cost: 50000, category: 'fritid-og-faellesskab' },
];

async function phone(lang = 'da', opts = {}) {
  const ctx = await newContext(browser, { locale: LOCALE[lang], viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, ...opts });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return { ctx, page, errors };
}

const bad = (page) => page.waitForFunction(() => document.getElementById('status').classList.contains('bad'));
const statusText = (page) => page.locator('#status').innerText();

async function shot(page, name) {
  await page.screenshot({ path: path.join(outDir, 'meeting-' + name + '.png'), fullPage: true });
}

// publicKey derives a code's public key in the page, with the page's own code.
async function publicKey(page, code, round) {
  return page.evaluate(
    async ([c, r]) => {
      const code = await import('/static/js/code.js');
      const ed = await import('/static/js/ed25519.js');
      const b = await import('/static/js/bytes.js');
      return b.b64encode((await ed.deriveKey(code.parseCode(c), r)).publicKey);
    },
    [code, round],
  );
}

async function castBallot(page, ids) {
  for (const id of ids) await page.locator(`label:has(input[value="${id}"])`).tap();
  await page.locator('#ballot button[type=submit]').tap();
  await page.waitForSelector('#review:not([hidden])');
  await page.locator('#sign').tap();
  await page.waitForFunction(() => !document.getElementById('receipt').hidden && /ok|bad/.test(document.getElementById('status').className));
}

it('a voided code is refused before any choice (not "used"), in Danish and English; another code typed in is taken', async () => {
  const round = 'void-2026';
  const codes = await setupVoting(server.url, round, projects);
  const { ctx, page } = await phone();
  await page.goto(server.url + '/v/' + round);
  const key = await publicKey(page, codes[0], round);
  await api('POST', `/api/rounds/${round}/voids`, { key, reason: 'Stjålet seddel' });
  await ctx.close();
  for (const lang of ['da', 'en']) {
    const { ctx, page, errors } = await phone(lang);
    await page.goto(server.url + '/v/' + round + '#' + codes[0]);
    await bad(page);
    assert.equal(await statusText(page), TEXT[lang]['js.voided'], lang + ': the voided message, not "used"');
    assert.ok(await page.locator('#code-ok').isHidden(), 'a voided code is not "good"');
    assert.ok(await page.locator('#code').isVisible(), 'room for another code');
    await page.locator('label:has(input[value="bench"])').tap();
    await page.locator('#ballot button[type=submit]').tap();
    assert.ok(await page.locator('#review').isHidden(), 'no review with a voided code');
    await axeCheck(browser, page, 'vote, voided code (' + lang + ')');
    if (lang === 'da') await shot(page, 'voided-phone');
    // Another slip's code typed in instead is checked at once and taken.
    await page.fill('#code', codes[1]);
    await page.waitForFunction(() => !document.getElementById('code-ok').hidden);
    assert.equal(await statusText(page), '');
    assert.deepEqual(errors, []);
    await ctx.close();
  }
});

it('a used code is refused before any choice; the receipt stays across a reload', async () => {
  const round = 'used-2026';
  const codes = await setupVoting(server.url, round, projects);
  const { ctx, page, errors } = await phone();
  await page.goto(server.url + '/v/' + round + '#' + codes[0]);
  await page.waitForFunction(() => !document.getElementById('code-ok').hidden);
  assert.match(await page.locator('#budget').innerText(), /Der er 100\.000 kr\. at fordele/);
  await castBallot(page, ['bench']);
  assert.match(await page.locator('#status').getAttribute('class'), /ok/);
  const tracker = (await page.locator('#tracker').innerText()).trim();
  assert.ok(await page.locator('#js-note').isHidden(), 'no "your ballot is signed here" after the vote');
  await page.locator('#receipt details summary').tap();
  const details = await page.locator('#receipt-checks').innerText();
  assert.doesNotMatch(details, /plads \d+ i loggen med|Loggens underskrift er ægte/, 'no jargon in the details');
  await axeCheck(browser, page, 'receipt with details open');
  await shot(page, 'receipt-phone');
  // A reload (the code left the address bar) shows the same receipt again.
  await page.reload();
  await page.waitForFunction(() => !document.getElementById('receipt').hidden && /ok/.test(document.getElementById('status').className));
  assert.equal((await page.locator('#tracker').innerText()).trim(), tracker);
  // The same code again, on another page: refused before choosing.
  const again = await ctx.newPage();
  await again.goto(server.url + '/v/' + round + '#' + codes[0]);
  await bad(again);
  assert.equal(await statusText(again), TEXT.da['js.used']);
  assert.ok(await again.locator('#review').isHidden());
  // "Vote with another slip" on the receipt page leads back to the form.
  await page.locator('#another').tap();
  assert.ok(await page.locator('#ballot').isVisible());
  assert.equal(await page.locator('input[name=p]:checked').count(), 0);
  assert.deepEqual(errors, []);
  await ctx.close();
  // On a desktop, the receipt once more for the screenshot.
  const desk = await newContext(browser, { locale: 'da-DK', viewport: { width: 1280, height: 900 } });
  const dp = await desk.newPage();
  await dp.goto(server.url + '/v/' + round + '#' + codes[1]);
  await dp.waitForFunction(() => !document.getElementById('code-ok').hidden);
  await dp.click('label:has(input[value="playground"])');
  await dp.click('#ballot button[type=submit]');
  await dp.click('#sign');
  await dp.waitForFunction(() => /ok/.test(document.getElementById('status').className));
  await shot(dp, 'receipt-desktop');
  await desk.close();
});

it('over the limit as the resident taps: a fourth tick is taken back with the reason', async () => {
  const round = 'limit-2026';
  const more = [...projects, { id: 'garden', title: 'Byhave', cost: 10000, category: 'fritid-og-faellesskab' }];
  const codes = await setupVoting(server.url, round, more, { ballot: { kind: 'approval', min: 0, max: 2 } });
  for (const lang of ['da', 'en']) {
    const { ctx, page, errors } = await phone(lang);
    await page.goto(server.url + '/v/' + round + '#' + codes[0]);
    await page.waitForFunction(() => !document.getElementById('code-ok').hidden);
    for (const id of ['bench', 'library', 'garden']) await page.locator(`label:has(input[value="${id}"])`).tap();
    assert.equal(await page.locator('input[name=p]:checked').count(), 2, 'never more than the maximum ticked');
    assert.equal(await page.locator('input[value="garden"]').isChecked(), false);
    assert.equal(await statusText(page), TEXT[lang]['js.full'].replace('%d', '2'));
    const meter = await page.locator('#meter-text').innerText();
    assert.equal(meter, TEXT[lang]['js.meterCount'].replace('%d', '2').replace('%d', '2'));
    await axeCheck(browser, page, 'vote at the limit (' + lang + ')');
    // Untick one, and the third can be chosen.
    await page.locator('label:has(input[value="library"])').tap();
    await page.locator('label:has(input[value="garden"])').tap();
    assert.equal(await page.locator('input[value="garden"]').isChecked(), true);
    assert.equal(await statusText(page), '');
    assert.deepEqual(errors, []);
    await ctx.close();
  }
});

it('closed while a resident is on the review step: "closed", not "used"', async () => {
  const round = 'late-2026';
  const codes = await setupVoting(server.url, round, projects);
  // A resident in each language reaches the review step; then the round closes.
  const open = [];
  for (const [i, lang] of ['da', 'en'].entries()) {
    const ph = await phone(lang);
    await ph.page.goto(server.url + '/v/' + round + '#' + codes[i]);
    await ph.page.waitForFunction(() => !document.getElementById('code-ok').hidden);
    await ph.page.locator('label:has(input[value="bench"])').tap();
    await ph.page.locator('#ballot button[type=submit]').tap();
    await ph.page.waitForSelector('#review:not([hidden])');
    open.push([lang, ph]);
  }
  await api('POST', `/api/rounds/${round}/phase`, { phase: 'closed' });
  for (const [lang, { ctx, page, errors }] of open) {
    await page.locator('#sign').tap();
    await bad(page);
    assert.equal(await statusText(page), TEXT[lang]['js.closed']);
    assert.ok(await page.locator('#receipt').isHidden());
    await axeCheck(browser, page, 'review after the close (' + lang + ')');
    assert.deepEqual(errors, []);
    await ctx.close();
  }
});

it('offline at signing: a clear message, and "try again" sends the same ballot', async () => {
  const round = 'offline-2026';
  const codes = await setupVoting(server.url, round, projects);
  for (const [i, lang] of ['da', 'en'].entries()) {
    const { ctx, page } = await phone(lang);
    await page.goto(server.url + '/v/' + round + '#' + codes[i]);
    await page.waitForFunction(() => !document.getElementById('code-ok').hidden);
    await page.locator('label:has(input[value="playground"])').tap();
    await page.locator('#ballot button[type=submit]').tap();
    await page.waitForSelector('#review:not([hidden])');
    const sent = [];
    await page.route('**/v/' + round + '/ballot', (route) => {
      sent.push(route.request().postData());
      return sent.length === 1 ? route.abort('internetdisconnected') : route.continue();
    });
    await page.locator('#sign').tap();
    await bad(page);
    assert.equal(await statusText(page), TEXT[lang]['js.offline']);
    assert.doesNotMatch(await statusText(page), /Failed to fetch/);
    assert.equal((await page.locator('#sign').innerText()).trim(), TEXT[lang]['js.retry']);
    await axeCheck(browser, page, 'review, offline (' + lang + ')');
    if (lang === 'da') await shot(page, 'offline-phone');
    await page.locator('#sign').tap();
    await page.waitForFunction(() => !document.getElementById('receipt').hidden && /ok/.test(document.getElementById('status').className));
    assert.equal(sent.length, 2);
    assert.equal(sent[0], sent[1], 'the retry sends the same ballot');
    await ctx.close();
  }
});

it('the projector: how to vote, a labelled QR code to the round page, the log for watchers apart', async () => {
  const round = 'hall-2026';
  const codes = await setupVoting(server.url, round, projects);
  const { ctx, page } = await phone();
  await page.goto(server.url + '/v/' + round + '#' + codes[0]);
  await page.waitForFunction(() => !document.getElementById('code-ok').hidden);
  await castBallot(page, ['bench']);
  await ctx.close();
  for (const [lang, viewport] of [['da', { width: 1280, height: 720 }], ['en', { width: 1280, height: 720 }], ['da', { width: 390, height: 844 }]]) {
    const pctx = await newContext(browser, { locale: LOCALE[lang], viewport });
    const p = await pctx.newPage();
    await p.goto(server.url + '/p/' + round);
    await p.waitForFunction(() => /\d/.test(document.getElementById('status').textContent));
    const how = await p.locator('.proj-how').innerText();
    assert.ok(how.includes(TEXT[lang]['projector.how.1']), how);
    assert.equal(await p.locator('#ballots').innerText(), '1');
    // Turnout by the one definition: 1 of the 4 slips handed out.
    assert.equal(await p.locator('#turnout').innerText(), '25 %');
    assert.ok((await p.locator('.proj-count').innerText()).includes(TEXT[lang]['turnout.definition']));
    // The log size is not next to the ballots: it is in the watchers' section.
    assert.equal(await p.locator('.proj-count #size').count(), 0);
    assert.equal(await p.locator('.proj-watch #size').count(), 1);
    // The big QR code leads to the round's page and says so.
    const src = await p.locator('#round-qr').getAttribute('src');
    const file = path.join(outDir, 'meeting-round-qr.png');
    writeFileSync(file, Buffer.from(src.split(',')[1], 'base64'));
    assert.deepEqual(zbar(file), [server.url + '/r/' + round]);
    assert.ok((await p.locator('.proj-qr figcaption').innerText()).includes(TEXT[lang]['projector.roundqr']));
    // The checkpoint's QR code is the watchers', labelled as not for voting.
    assert.ok((await p.locator('.proj-watch figcaption').innerText()).includes(TEXT[lang]['projector.qr.caption']));
    await axeCheck(browser, p, 'projector (' + lang + ' ' + viewport.width + ')');
    await shot(p, 'projector-' + lang + '-' + viewport.width);
    await pctx.close();
  }
});

it('results: a tie explained by its tie-break step, the money left at each step, funded first', async () => {
  const round = 'tie-2026';
  const tied = [
    { id: 'hall', title: 'Nyt køkken i hallen', cost: 50000, category: 'fritid-og-faellesskab' },
    { id: 'path', title: 'Sti til skolen', cost: 40000, category: 'laering' },
    { id: 'bench', title: 'Bænke ved søen', cost: 30000, category: 'fritid-og-faellesskab' },
  ];
  const codes = await setupVoting(server.url, round, tied, { ballot: { kind: 'approval', min: 0, max: 2 } }, 60000);
  // Two ballots for hall and path: a tie at 2 votes; the cheaper (path) goes first.
  for (const code of codes.slice(0, 2)) {
    const { ctx, page } = await phone();
    await page.goto(server.url + '/v/' + round + '#' + code);
    await page.waitForFunction(() => !document.getElementById('code-ok').hidden);
    await castBallot(page, ['hall', 'path']);
    await ctx.close();
  }
  for (const phase of ['closed', 'published']) await api('POST', `/api/rounds/${round}/phase`, { phase });
  for (const lang of ['da', 'en']) {
    const { ctx, page, errors } = await phone(lang);
    await page.goto(server.url + '/r/' + round + '/results');
    const rows = await page.locator('#all-projects tbody tr').allInnerTexts();
    assert.match(rows[0], /Sti til skolen/, 'the funded project first: ' + rows.join(' | '));
    const hall = rows.find((r) => r.startsWith('Nyt køkken'));
    const left = lang === 'da' ? '20.000 kr.' : 'DKK 20,000';
    assert.ok(hall.includes(left), 'how much was left: ' + hall);
    assert.ok(hall.includes(TEXT[lang]['tie.by.min-cost']), 'the tie-break step: ' + hall);
    assert.ok(rows[0].includes(TEXT[lang]['tie.by.min-cost']), 'the tie on both sides: ' + rows[0]);
    assert.match(await page.locator('#turnout').innerText(), /2 (af|of) 4/);
    await axeCheck(browser, page, 'results with a tie (' + lang + ')');
    if (lang === 'da') await shot(page, 'results-tie-phone');
    assert.deepEqual(errors, []);
    await ctx.close();
  }
});

it('results with nothing funded: one plain sentence, no empty "funded" section', async () => {
  const round = 'none-2026';
  await setupVoting(server.url, round, projects, { rule: 'equalshares' });
  for (const phase of ['closed', 'published']) await api('POST', `/api/rounds/${round}/phase`, { phase });
  for (const lang of ['da', 'en']) {
    const { ctx, page } = await phone(lang);
    await page.goto(server.url + '/r/' + round + '/results');
    assert.equal(await page.locator('#winners').count(), 0, 'no empty list of winners');
    assert.ok(!(await page.locator('main').innerText()).includes(TEXT[lang]['results.funded']));
    assert.equal(await page.locator('#none-funded').innerText(), TEXT[lang]['results.none.noballots']);
    await axeCheck(browser, page, 'results, nothing funded (' + lang + ')');
    // The projector says the same, without an empty list.
    await page.goto(server.url + '/p/' + round);
    assert.equal(await page.locator('#results h2').innerText(), TEXT[lang]['results.none']);
    assert.equal(await page.locator('#results li').count(), 0);
    await ctx.close();
  }
});

it('a refused proposal keeps what the resident typed, with the reason in Danish', async () => {
  const round = 'ideas-2026';
  if (!JSON.parse(await api('GET', '/api/funds')).some((f) => f.id === 'pulje')) {
    await api('POST', '/api/funds', { id: 'pulje', name: 'Puljen', total: 1000000, years: [2026], formula: 'equal' });
    await api('POST', '/api/communities', { id: 'by', name: 'Byen', population: 1000, fund: 'pulje' });
  }
  await api('POST', '/api/rounds', { id: round, community: 'by', year: 2026, title: 'Idéer 2026', budget: 50000 });
  await api('POST', `/api/rounds/${round}/phase`, { phase: 'proposals' });
  const { ctx, page, errors } = await phone();
  await page.goto(server.url + '/r/' + round);
  const desc = 'En bålplads med bænke, så familier kan mødes om aftenen.';
  await page.fill('#p-title', 'Bålplads ved søen');
  await page.fill('#p-desc', desc);
  // The browser's own number check is bypassed, as an old phone would.
  await page.evaluate(() => document.getElementById('p-cost').setAttribute('type', 'text'));
  await page.fill('#p-cost', '25.000,50');
  await Promise.all([page.waitForNavigation(), page.click('form[action$="/proposals"] button[type=submit]')]);
  assert.equal(await page.locator('#propose-error').innerText(), TEXT.da['round.propose.bad.cost']);
  assert.equal(await page.inputValue('#p-title'), 'Bålplads ved søen');
  assert.equal(await page.inputValue('#p-desc'), desc);
  assert.doesNotMatch(await page.locator('main').innerText(), /estimated cost|whole number/);
  await axeCheck(browser, page, 'round page with a refused proposal');
  // Corrected, it is sent.
  await page.evaluate(() => document.getElementById('p-cost').setAttribute('type', 'text'));
  await page.fill('#p-cost', '25.000');
  await Promise.all([page.waitForNavigation(), page.click('form[action$="/proposals"] button[type=submit]')]);
  assert.match(page.url(), /\/r\/ideas-2026\/follow\?/);
  assert.deepEqual(errors, []);
  await ctx.close();
});

it('plain HTTP off this machine (no WebCrypto): an honest message instead of "no JavaScript"', async () => {
  const round = 'http-2026';
  const codes = await setupVoting(server.url, round, projects);
  for (const lang of ['da', 'en']) {
    const ctx = await newContext(browser, { locale: LOCALE[lang], viewport: { width: 390, height: 844 } });
    await ctx.addInitScript(() => {
      Object.defineProperty(globalThis, 'isSecureContext', { get: () => false });
      Object.defineProperty(globalThis.crypto, 'subtle', { get: () => undefined });
    });
    const page = await ctx.newPage();
    await page.goto(server.url + '/v/' + round + '#' + codes[0]);
    await page.waitForFunction(() => document.getElementById('code').value !== '');
    const note = await page.locator('#nojs-note').innerText();
    assert.equal(note, TEXT[lang]['js.insecure']);
    assert.ok(!note.includes(TEXT[lang]['vote.nojs']), 'not the no-JavaScript text');
    await axeCheck(browser, page, 'vote on plain HTTP (' + lang + ')');
    if (lang === 'da') await shot(page, 'insecure-phone');
    await ctx.close();
  }
});
