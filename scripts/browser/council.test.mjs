// The council's side in headless chromium against pbserver -demo: the
// round poster printed on A4 (one page, its QR codes decoded with zbarimg
// from the printed image: the round's page and the anchors, which parse as
// the server's anchors.txt), the minutes, the fund's statistics with the
// labelled comparison of rules, a resident's proposal followed on its
// private page, and the administration (the proposer's contact, a refused
// form shown again on the form, the ballot fields of the chosen kind).
// Danish and English; axe on every page; screenshots in out/council-*.png.

import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { axeCheck, launch, newContext, outDir } from './lib.mjs';
import { ADMIN, startServer } from './server.mjs';

let browser;
let server;
let rounds;
before(async () => {
  mkdirSync(outDir, { recursive: true });
  browser = await launch();
  server = await startServer(['-demo']);
  rounds = await (await fetch(server.url + '/api/rounds')).json();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const LOCALE = { da: 'da-DK', en: 'en-GB' };
const byPhase = (phase) => rounds.find((r) => r.phase === phase);

async function open(lang, opts = {}) {
  const ctx = await newContext(browser, { locale: LOCALE[lang], viewport: { width: 1100, height: 900 }, ...opts });
  await ctx.addCookies([{ name: 'pb_lang', value: lang, url: server.url }]);
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return { ctx, page, errors };
}

const shot = (page, name) => page.screenshot({ path: path.join(outDir, 'council-' + name + '.png'), fullPage: true });

function zbarAll(file) {
  // One symbol per "QR-Code:" line; a symbol may span lines (the anchors).
  const out = execFileSync('zbarimg', ['-q', '-Sdisable', '-Sqrcode.enable', file], { encoding: 'utf8' });
  return out.split(/^QR-Code:/m).filter(Boolean).map((s) => s.replace(/\n$/, ''));
}

for (const lang of ['da', 'en']) {
  it(`poster on A4, its QR codes decoded (${lang})`, async () => {
    const r = byPhase('published');
    const { ctx, page, errors } = await open(lang, { viewport: { width: 794, height: 1123 } });
    await page.goto(server.url + '/r/' + r.id + '/poster');
    await axeCheck(browser, page, 'poster ' + lang, true);
    await page.emulateMedia({ media: 'print' });
    const file = path.join(outDir, 'council-poster-' + lang + '.png');
    await page.screenshot({ path: file, fullPage: true });
    const anchors = await (await fetch(server.url + '/rounds/' + r.id + '/anchors.txt')).text();
    const codes = zbarAll(file);
    assert.ok(codes.includes(server.url + '/r/' + r.id), 'round QR: ' + JSON.stringify(codes));
    assert.ok(codes.some((c) => c.trim() === anchors.trim()), 'anchors QR: ' + JSON.stringify(codes));
    // Printed, the poster is one A4 page.
    const pdf = (await page.pdf({ format: 'A4', printBackground: true })).toString('latin1');
    assert.equal((pdf.match(/\/Type\s*\/Page\b/g) || []).length, 1, 'the poster prints on one page');
    assert.deepEqual(errors, []);
    await ctx.close();
  });

  it(`minutes and statistics (${lang})`, async () => {
    const r = byPhase('published');
    const { ctx, page, errors } = await open(lang);
    await page.goto(server.url + '/r/' + r.id + '/minutes');
    assert.match(await page.locator('#minutes-ballots').innerText(), /^\d/);
    await axeCheck(browser, page, 'minutes ' + lang, true);
    await shot(page, 'minutes-' + lang);
    const funds = await (await fetch(server.url + '/api/funds')).json();
    await page.goto(server.url + '/f/' + funds[0].id + '/statistics');
    const label = { da: 'En sammenligning, ikke resultatet.', en: 'A comparison, not the result.' }[lang];
    assert.ok((await page.locator('#comparison + .msg').innerText()).includes(label));
    assert.ok(await page.locator('table.compare').count() >= 1, 'a comparison table');
    await axeCheck(browser, page, 'statistics ' + lang, true);
    await shot(page, 'statistics-' + lang);
    // Phone width: tables become cards, nothing overflows.
    await page.setViewportSize({ width: 390, height: 844 });
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= 392, 'statistics overflow a phone: ' + wide);
    await shot(page, 'statistics-phone-' + lang);
    assert.deepEqual(errors, []);
    await ctx.close();
  });

  it(`a proposal followed on its private page (${lang})`, async () => {
    const r = byPhase('proposals');
    const { ctx, page, errors } = await open(lang, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await page.goto(server.url + '/r/' + r.id);
    await page.fill('#p-title', 'Bænke ved åen ' + lang);
    await page.fill('#p-desc', 'Tre bænke, så ældre kan hvile sig på turen.');
    await page.fill('#p-cost', '12000');
    await page.locator('#propose ~ form details summary').click();
    await page.fill('#p-title-en', 'Benches by the stream ' + lang);
    await page.fill('#p-desc-en', 'Three benches so that older people can rest.');
    await page.fill('#p-name', 'Karen Holm');
    await page.fill('#p-contact', 'karen@example.dk');
    await axeCheck(browser, page, 'proposal form ' + lang, true);
    await Promise.all([page.waitForURL(/\/follow\?p=\d+&t=/), page.click('#propose ~ form button[type=submit]')]);
    const link = await page.locator('#follow-link').inputValue();
    assert.match(link, /^http:\/\/127\.0\.0\.1:\d+\/r\/[a-z0-9-]+\/follow\?p=\d+&t=[A-Za-z0-9_-]{43}$/);
    assert.ok((await page.locator('h1').innerText()).includes(lang === 'en' ? 'Benches by the stream' : 'Bænke ved åen'));
    await axeCheck(browser, page, 'follow page ' + lang, true);
    await shot(page, 'follow-new-' + lang);
    // An empty message is refused on the form; a real one is sent.
    await page.fill('#f-text', ' ');
    await page.evaluate(() => document.querySelector('#f-text').removeAttribute('required'));
    await page.click('#messages ~ form button[type=submit]');
    await page.locator('#follow-error').waitFor();
    await page.fill('#f-text', 'Den ved broen er bedst.');
    await Promise.all([page.waitForURL(/sent=1/), page.click('#messages ~ form button[type=submit]')]);
    assert.ok((await page.locator('.thread').innerText()).includes('Den ved broen er bedst.'));
    // The link alone opens the page in another browser; the contact is on no public page.
    const other = await open(lang);
    await other.page.goto(link);
    assert.ok((await other.page.locator('.thread').innerText()).includes('Den ved broen er bedst.'));
    await other.page.goto(server.url + '/r/' + r.id);
    assert.ok(!(await other.page.content()).includes('karen@example.dk'));
    await other.ctx.close();
    assert.deepEqual(errors, []);
    await ctx.close();
  });
}

it('administration: contacts, messages, a refused form kept, ballot fields by kind', async () => {
  const r = byPhase('proposals');
  const { ctx, page, errors } = await open('da');
  await page.goto(server.url + '/admin/login');
  await page.fill('#name', ADMIN.name);
  await page.fill('#password', ADMIN.password);
  await Promise.all([page.waitForURL(/\/admin$/), page.click('main form button[type=submit]')]);
  await axeCheck(browser, page, 'dashboard', true);
  await shot(page, 'admin-dashboard');
  assert.ok((await page.locator('#accounts-table').innerText()).length > 0);
  // A round in review: one proposal accepted as a project, one merged into it.
  const review = byPhase('review');
  await page.goto(server.url + '/admin/rounds/' + review.id);
  assert.ok((await page.locator('#proposal-2').innerText()).includes('slået sammen med'));
  await axeCheck(browser, page, 'admin round in review', true);
  await page.locator('#proposal-2').screenshot({ path: path.join(outDir, 'council-admin-review.png') });
  await page.goto(server.url + '/admin/rounds/' + r.id);
  const body = await page.content();
  assert.ok(body.includes('karen@example.dk') && body.includes('Den ved broen er bedst.'), 'the contact and the message on the admin page');
  await axeCheck(browser, page, 'admin round page', true);
  // The settings form shows the fields of the chosen kind only.
  const visible = (id) => page.locator(id).isVisible();
  await page.selectOption('#s-kind', 'cumulative');
  assert.ok((await visible('#s-total')) && (await visible('#s-cap')) && !(await visible('#s-min')) && !(await visible('#s-limit')));
  await page.selectOption('#s-kind', 'approval');
  assert.ok((await visible('#s-min')) && (await visible('#s-max')) && !(await visible('#s-cap')));
  // A refused form comes back on the form, in Danish, with the input kept.
  await page.fill('#s-title', 'Et nyt navn');
  await page.fill('#s-min', '5');
  await page.fill('#s-max', '1');
  await page.click('form[action$="/settings"] button[type=submit]');
  await page.locator('#form-error').waitFor();
  assert.match(await page.locator('#form-error').innerText(), /mindste og største antal/);
  assert.equal(await page.locator('#s-title').inputValue(), 'Et nyt navn');
  await page.locator('#form-error').scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(outDir, 'council-admin-form-error.png') });
  await axeCheck(browser, page, 'admin form error', true);
  // The poster's meeting is set on the round page.
  await page.fill('#meeting-at', '2026-05-12T19:30');
  await page.fill('#meeting-place', 'Forsamlingshuset, Bygaden 4');
  await Promise.all([page.waitForURL(/done=meeting/), page.click('form[action$="/meeting"] button[type=submit]')]);
  await page.goto(server.url + '/r/' + r.id + '/poster');
  assert.ok((await page.locator('#poster-place').innerText()).includes('Forsamlingshuset'));
  assert.equal(await page.locator('#poster-date').innerText(), '12. maj 2026 kl. 19.30');
  await shot(page, 'poster-draft-da');
  assert.deepEqual(errors, []);
  await ctx.close();
  writeFileSync(path.join(outDir, 'council-done.txt'), 'ok\n');
});
