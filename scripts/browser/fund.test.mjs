// The fund's pages in headless chromium against pbserver -demo: the fund
// page on a phone and a desktop (no sideways scrolling, the verify command,
// the anchors behind "Vis detaljer"), the fund poster printed on one A4
// page with its QR codes decoded by zbarimg from the printed image (the
// fund page's address, and the anchors exactly as /funds/ID/anchors.txt),
// the administrator's fund page; Danish and English, axe on every page,
// screenshots in out/fund-*.png. Then pbverify fund -rounds verifies the
// demo fund over HTTP with the anchors read from the poster.

import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { axeCheck, launch, newContext, outDir } from './lib.mjs';
import { ADMIN, build, startServer } from './server.mjs';

const FUND = 'landdistriktspuljen';
let browser;
let server;
before(async () => {
  mkdirSync(outDir, { recursive: true });
  browser = await launch();
  server = await startServer(['-demo']);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const LOCALE = { da: 'da-DK', en: 'en-GB' };

async function open(lang, viewport = { width: 1100, height: 900 }) {
  const ctx = await newContext(browser, { locale: LOCALE[lang], viewport });
  await ctx.addCookies([{ name: 'pb_lang', value: lang, url: server.url }]);
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return { ctx, page, errors };
}

function zbarAll(file) {
  const out = execFileSync('zbarimg', ['-q', '-Sdisable', '-Sqrcode.enable', file], { encoding: 'utf8' });
  return out.split(/^QR-Code:/m).filter(Boolean).map((s) => s.replace(/\n$/, ''));
}

let posterAnchors = null;

for (const lang of ['da', 'en']) {
  it(`fund page on a phone and a desktop (${lang})`, async () => {
    for (const [name, viewport] of [['phone', { width: 390, height: 844 }], ['desktop', { width: 1280, height: 900 }]]) {
      const { ctx, page, errors } = await open(lang, viewport);
      await page.goto(server.url + '/f/' + FUND);
      const cmd = await page.locator('#verify-cmd').innerText();
      assert.equal(cmd.trim(), `pbverify fund ${server.url}/funds/${FUND}/ledger/ --anchors anchors.txt --rounds`);
      assert.ok((await page.locator('#fund-rounds').innerText()).includes('Juelsminde'));
      assert.ok(await page.locator('a[href="/r/juelsminde-2026/record"]').count(), 'the published round links to its record');
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= viewport.width, `${name}: the page is ${width} px wide`);
      await page.click('#verify-fund summary');
      assert.ok((await page.locator('#fund-anchors').innerText()).startsWith('pb-fund-anchors/v1'));
      await axeCheck(browser, page, `fund page ${lang} ${name}`, true);
      await page.screenshot({ path: path.join(outDir, `fund-${lang}-${name}.png`), fullPage: true });
      assert.deepEqual(errors, []);
      await ctx.close();
    }
  });

  it(`fund poster on A4, its QR codes decoded (${lang})`, async () => {
    const { ctx, page, errors } = await open(lang, { width: 794, height: 1123 });
    await page.goto(server.url + '/f/' + FUND + '/poster');
    await axeCheck(browser, page, 'fund poster ' + lang, true);
    await page.emulateMedia({ media: 'print' });
    const file = path.join(outDir, 'fund-poster-' + lang + '.png');
    await page.screenshot({ path: file, fullPage: true });
    const anchors = await (await fetch(server.url + '/funds/' + FUND + '/anchors.txt')).text();
    const codes = zbarAll(file);
    assert.ok(codes.includes(server.url + '/f/' + FUND), 'fund page QR: ' + JSON.stringify(codes));
    const a = codes.find((c) => c.startsWith('pb-fund-anchors/v1'));
    assert.equal(a?.trim(), anchors.trim(), 'anchors QR');
    posterAnchors = a.trim() + '\n';
    const pdf = (await page.pdf({ format: 'A4', printBackground: true })).toString('latin1');
    assert.equal((pdf.match(/\/Type\s*\/Page\b/g) || []).length, 1, 'the fund poster prints on one page');
    assert.deepEqual(errors, []);
    await ctx.close();
  });
}

it('administrator: the fund page with its years, communities and rounds', async () => {
  const { ctx, page, errors } = await open('da');
  await page.goto(server.url + '/admin/login');
  await page.fill('#name', ADMIN.name);
  await page.fill('#password', ADMIN.password);
  await Promise.all([page.waitForURL(/\/admin$/), page.click('main form button[type=submit]')]);
  await page.click(`a[href="/admin/funds/${FUND}"]`);
  await page.waitForURL(new RegExp(`/admin/funds/${FUND}$`));
  assert.ok(await page.locator(`form[action="/admin/funds/${FUND}/tranches/2027/open"]`).count());
  assert.ok(await page.locator('form[action="/admin/rounds/barrit-2026/cancel"]').count() === 0, 'no cancel while voting');
  await axeCheck(browser, page, 'admin fund page', true);
  await page.screenshot({ path: path.join(outDir, 'fund-admin.png'), fullPage: true });
  // Open 2027 through the form: its allocation is fixed, and the ledger says so.
  await Promise.all([page.waitForURL(/done=tranche-opened/), page.click(`form[action="/admin/funds/${FUND}/tranches/2027/open"] button`)]);
  assert.ok(await page.locator(`form[action="/admin/funds/${FUND}/tranches/2027/close"]`).count());
  assert.deepEqual(errors, []);
  await ctx.close();
});

it('pbverify fund -rounds verifies the demo fund with the anchors from the poster', async () => {
  assert.ok(posterAnchors, 'the poster test ran first');
  const dir = mkdtempSync(path.join(tmpdir(), 'pb-fund-'));
  const file = path.join(dir, 'anchors.txt');
  writeFileSync(file, posterAnchors);
  const out = execFileSync(build().pbverify, ['fund', server.url + '/funds/' + FUND + '/ledger/', '-anchors', file, '-rounds'], { encoding: 'utf8' });
  assert.match(out, /juelsminde-2026 .* published +verified/);
  assert.match(out, /hornsyld-2026 .* cancelled/);
  assert.match(out, /\nVERIFIED\n?$/);
});
