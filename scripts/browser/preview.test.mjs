// The counting options and "what would happen if" in headless chromium
// against pbserver -demo: the admin round page of a round in review takes
// a minimum of votes and a group of projects that exclude each other; the
// preview page counts typed sample ballots under every rule and explains
// the projects below the minimum and the excluded ones. Danish and
// English; axe on every page; screenshots in out/preview-*.png.

import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { axeCheck, launch, newContext, outDir } from './lib.mjs';
import { ADMIN, startServer } from './server.mjs';

let browser;
let server;
let review;
before(async () => {
  mkdirSync(outDir, { recursive: true });
  browser = await launch();
  server = await startServer(['-demo']);
  const rounds = await (await fetch(server.url + '/api/rounds')).json();
  review = rounds.find((r) => r.phase === 'review');
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const LOCALE = { da: 'da-DK', en: 'en-GB' };

async function signedIn(lang) {
  const ctx = await newContext(browser, { locale: LOCALE[lang], viewport: { width: 1100, height: 900 } });
  await ctx.addCookies([{ name: 'pb_lang', value: lang, url: server.url }]);
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(server.url + '/admin/login');
  await page.fill('#name', ADMIN.name);
  await page.fill('#password', ADMIN.password);
  await Promise.all([page.waitForURL(/\/admin$/), page.click('main form button[type=submit]')]);
  return { ctx, page, errors };
}

it('settings take a minimum and a group; the preview explains them (da, en)', async () => {
  const { ctx, page, errors } = await signedIn('da');
  await page.goto(server.url + '/admin/rounds/' + review.id);
  // Two more projects through the project form: the same site, two ideas.
  for (const [id, title] of [['bane-nord', 'Boldbane på nordgrunden'], ['have-nord', 'Fælleshave på nordgrunden']]) {
    await page.locator('#pr-id').evaluate((e) => { const d = e.closest('details'); if (d) d.open = true; });
    await page.fill('#pr-id', id);
    await page.fill('#pr-title', title);
    await page.fill('#pr-cost', '20000');
    await Promise.all([page.waitForURL(/done=/), page.click('form[action$="/projects"] button[type=submit]')]);
  }
  const ids = ['bane-nord', 'have-nord', ...(await (await fetch(server.url + '/api/rounds/' + review.id)).json()).projects
    .map((p) => p.id).filter((id) => !id.endsWith('-nord'))];
  await page.fill('#s-minimum', '2');
  await page.fill('#s-exclusive', ids[0] + ' ' + ids[1]);
  await Promise.all([page.waitForURL(/done=settings/), page.click('form[action$="/settings"] button[type=submit]')]);
  assert.equal(await page.locator('#s-minimum').inputValue(), '2');
  assert.equal((await page.locator('#s-exclusive').inputValue()).trim(), [ids[0], ids[1]].sort().join(' '));
  await axeCheck(browser, page, 'admin round with options', true);
  // A group of one comes back on the form in Danish.
  await page.fill('#s-exclusive', ids[0]);
  await page.click('form[action$="/settings"] button[type=submit]');
  await page.locator('#form-error').waitFor();
  assert.match(await page.locator('#form-error').innerText(), /mindst to af rundens projekter/);
  await page.click('a[href$="/preview"]');
  await page.waitForURL(/\/preview$/);
  for (const lang of ['da', 'en']) {
    await ctx.addCookies([{ name: 'pb_lang', value: lang, url: server.url }]);
    await page.goto(server.url + '/admin/rounds/' + review.id + '/preview');
    await axeCheck(browser, page, 'preview form ' + lang, true);
    // Three voters for the first two projects, one for the third: the
    // group lets only one of the first two be funded, the third is below
    // the minimum of 2.
    const sample = `3: ${ids[0]} ${ids[1]}\n${ids[2] || ids[0]}\n`;
    await page.fill('#pv-ballots', sample);
    await page.click('main form button[type=submit]');
    await page.locator('.preview-rule').first().waitFor();
    const text = await page.locator('main').innerText();
    if (lang === 'da') {
      assert.match(text, /rundens regel/);
      assert.match(text, /udelukket, fordi »[^«]+« fra samme gruppe fik penge/);
      if (ids[2]) assert.match(text, /fik for få stemmer \(mindst 2; det fik 1\)/);
    } else {
      assert.match(text, /the round's rule/);
      assert.match(text, /excluded, because »[^«]+« from the same group was funded/);
      if (ids[2]) assert.match(text, /too few votes \(at least 2 needed; it got 1\)/);
    }
    assert.ok((await page.locator('.preview-rule').count()) >= 3, 'one section per rule');
    await axeCheck(browser, page, 'preview results ' + lang, true);
    await page.screenshot({ path: path.join(outDir, 'preview-' + lang + '.png'), fullPage: true });
  }
  // A line that cannot be read comes back with its number.
  await page.fill('#pv-ballots', `${ids[0]}\n${ids[1]}=2\n`);
  await page.click('main form button[type=submit]');
  await page.locator('#form-error').waitFor();
  assert.match(await page.locator('#form-error').innerText(), /Line 2/);
  assert.deepEqual(errors, []);
  await ctx.close();
});
