// The resident's and the coordinator's whole day in headless chromium,
// against the real pbserver: sign in, create a round, print the slips
// (screenshot, QR decoded with zbarimg), freeze and open, scan-vote-receipt
// in at most four taps, watch the projector follow, close, publish, see the
// winners, download the record and verify it with pbverify. Run in Danish
// with WebCrypto Ed25519, in English with it hidden (the @noble fallback)
// and keyboard only, and without JavaScript. axe-core checks every page
// (WCAG 2.1 AA) and no page may make a request off the server.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { axeCheck as axeCheckIn, launch, newContext, outDir } from './lib.mjs';
import { ADMIN, build, pbverify, startServer, zbar } from './server.mjs';

const VARIANTS = [
  { name: 'da-webcrypto', lang: 'da', js: true, ed25519: true, keyboard: false },
  { name: 'en-noble-keyboard', lang: 'en', js: true, ed25519: false, keyboard: true },
  { name: 'da-nojs', lang: 'da', js: false, ed25519: true, keyboard: false },
];

const TEXT = {
  da: { verified: 'Kvitteringen er tjekket', funded: 'Disse projekter bliver til noget', nojsReceipt: 'Stemmen er underskrevet af serveren' },
  en: { verified: 'The receipt is checked', funded: 'These projects are funded', nojsReceipt: 'The ballot was signed by the server' },
};

const SELECTS = new Set(['formula', 'fund', 'community', 'kind', 'category', 'role', 'tiebreak', 'revote']);

let browser;
before(async () => {
  mkdirSync(outDir, { recursive: true });
  build();
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

// axeCheck runs axe-core on a page (lib.mjs: without JavaScript, on the
// real no-JS rendering).
const axeCheck = (page, label, jsPage) => axeCheckIn(browser, page, label, jsPage);

// fitsPhone asserts that a page opened on a phone (390 px) does not scroll
// sideways. A mobile viewport widens its layout to fit what overflows, so
// both the document and the layout viewport must stay at the phone's width.
async function fitsPhone(page, label) {
  const vp = page.viewportSize();
  if (!vp || vp.width > 390) return;
  const m = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, iw: window.innerWidth }));
  assert.ok(m.sw <= vp.width && m.iw <= vp.width, `${label} scrolls sideways on a ${vp.width} px phone: scrollWidth ${m.sw}, innerWidth ${m.iw}`);
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(outDir, name + '.png'), fullPage: true });
}

// Every page the variant opens goes through visit, which checks status,
// language and accessibility.
function visitor(variant) {
  const seen = new Set();
  return async function visit(page, label) {
    const html = await page.content();
    assert.match(html, new RegExp('<html lang="' + variant.lang + '"'), label + ' is in ' + variant.lang);
    await fitsPhone(page, label);
    const key = label.replace(/ .*/, '');
    if (!seen.has(key)) {
      seen.add(key);
      await axeCheck(page, label + ' (' + variant.name + ')', variant.js);
    }
  };
}

async function submitForm(page, selector) {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

// PB_FLOW=name runs one variant (while working on it).
for (const variant of VARIANTS.filter((v) => !process.env.PB_FLOW || v.name === process.env.PB_FLOW)) {
  describe(`flow ${variant.name}`, () => {
    let server;
    before(async () => {
      server = await startServer();
    });
    after(async () => {
      await server?.stop();
    });

    it('runs a round from sign-in to a verified record', async () => {
      const base = server.url;
      const round = 'hornsyld-2026';
      const visit = visitor(variant);
      const locale = variant.lang === 'da' ? 'da-DK' : 'en-GB';
      const admin = await newContext(browser, { locale, javaScriptEnabled: variant.js, acceptDownloads: true });
      admin.setDefaultTimeout(10000);
      const page = await admin.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(e.message));

      // Sign in.
      await page.goto(base + '/admin/login');
      await visit(page, 'login');
      await page.fill('#name', ADMIN.name);
      await page.fill('#password', ADMIN.password);
      await submitForm(page, 'form[action="/admin/login"] button[type=submit]');
      assert.equal(new URL(page.url()).pathname, '/admin');
      await visit(page, 'dashboard');

      // A fund, a community, a round with three projects.
      const fill = async (action, values) => {
        const form = page.locator(`form[action="${action}"]`);
        const details = form.locator('xpath=ancestor::details');
        if ((await details.count()) > 0 && (await details.getAttribute('open')) === null) await details.locator('summary').click();
        for (const [name, value] of Object.entries(values)) {
          const el = form.locator(`[name="${name}"]`);
          if (SELECTS.has(name)) await el.selectOption(value);
          else await el.fill(value);
        }
        await submitForm(page, `form[action="${action}"] button[type=submit]`);
        const msg = await page.locator('.msg.bad').count();
        assert.equal(msg, 0, 'form ' + action + ' failed: ' + (msg ? await page.locator('.msg.bad').innerText() : ''));
      };
      await fill('/admin/funds', { id: 'landdistrikt', name: 'Landdistriktspuljen', total: '300000', years: '2026', formula: 'equal' });
      await fill('/admin/communities', { id: 'hornsyld', name: 'Hornsyld', population: '1800', fund: 'landdistrikt' });
      await fill('/admin/rounds', { id: round, title: 'Hornsyld 2026', community: 'hornsyld', year: '2026', budget: '100000' });
      assert.equal(new URL(page.url()).pathname, '/admin/rounds/' + round);
      await visit(page, 'admin-round');
      const projects = [
        ['bench', 'Bænke ved søen', '20000', 'fritid-og-faellesskab'],
        ['library', 'Bogbytte i hallen', '60000', 'laering'],
        ['playground', 'Ny legeplads', '50000', 'fritid-og-faellesskab'],
      ];
      for (const [id, title, cost, category] of projects) {
        await fill(`/admin/rounds/${round}/projects`, { id, title, cost, category, description: 'Forslag fra borgermødet.' });
      }
      await fill(`/admin/rounds/${round}/settings`, { kind: 'approval', min: '1', max: '2' });

      // Freeze with the slips: one step in the review phase makes the codes,
      // signs the manifest and opens the slip sheet once, in a new tab, with
      // the manifest's fingerprint on every slip.
      for (let i = 0; i < 2; i++) await submitForm(page, '#next-phase');
      assert.match(await page.locator('#phase').innerText(), /behandles|Reviewing/);
      await visit(page, 'admin-freeze');
      await page.fill('#count', '8');
      await page.fill('#reserve', '2');
      const [slips] = await Promise.all([admin.waitForEvent('page'), page.click('#make-slips')]);
      await slips.waitForLoadState();
      await slips.setViewportSize({ width: 900, height: 1200 });
      const slipFile = path.join(outDir, variant.name + '-slips.png');
      await slips.screenshot({ path: slipFile, fullPage: true });
      const urls = zbar(slipFile).filter((u) => u.startsWith(base + '/v/' + round + '#'));
      assert.ok(urls.length >= 2, 'QR codes decoded from the slip sheet: ' + urls.length);
      const slipText = await slips.content();
      await axeCheck(slips, 'slip sheet (' + variant.name + ')', false);
      await slips.close();
      assert.ok(slipText.includes(urls[0].split('#')[1].slice(0, 4)), 'the typed code is on the slip');
      const anchorsTxt = await (await fetch(base + '/rounds/' + round + '/anchors.txt')).text();
      const manifestFP = (anchorsTxt.match(/^manifest ([0-9A-Z]{16})$/m) || [])[1];
      assert.ok(manifestFP, 'anchors.txt has a manifest line after freeze: ' + anchorsTxt);
      const slipFP = manifestFP.match(/.{4}/g).join('-');
      assert.equal(slipText.split('Manifest: ' + slipFP).length - 1, 8, 'every slip shows the fingerprint of anchors.txt (' + slipFP + ')');

      // Frozen: no new slips can be made (the flow froze without a passphrase, so no copy is kept), and the
      // page says so. Then open voting.
      await page.reload();
      assert.match(await page.locator('#phase').innerText(), /låst|frozen/);
      assert.equal(await page.locator('#make-slips').count(), 0, 'no second slip sheet');
      assert.match(await page.locator('#slips-printed').innerText(), /Stemmesedlerne blev lavet, da afstemningen blev låst: 8 sedler, heraf 2 reserve|The slips were made when the round was frozen: 8 slips, 2 of them reserve/);
      await visit(page, 'admin-frozen');
      await submitForm(page, '#next-phase');
      assert.match(await page.locator('#phase').innerText(), /Afstemning åben|Voting open/);
      const fingerprint = (await page.locator('.fingerprint').innerText()).trim();
      assert.match(fingerprint, /^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
      assert.equal(fingerprint, slipFP, 'the admin page shows the fingerprint of the slips');
      await visit(page, 'admin-voting');

      // The projector shows the log head.
      let projector = null;
      let forged = null;
      let startSize = 0;
      if (variant.js) {
        const pctx = await newContext(browser, { locale, ed25519: variant.ed25519, viewport: { width: 1280, height: 720 } });
        projector = await pctx.newPage();
        projector.on('pageerror', (e) => errors.push('projector: ' + e.message));
        projector.on('console', (m) => m.type() === 'error' && errors.push('projector console: ' + m.text()));
        await projector.goto(base + '/p/' + round);
        await projector.waitForFunction(() => /\d/.test(document.getElementById('status').textContent) && !document.getElementById('status').classList.contains('bad'));
        startSize = Number(await projector.locator('#size').innerText());
        assert.ok(startSize >= 1);
        assert.equal((await projector.locator('[data-fingerprint]').innerText()).trim(), fingerprint);
        await visit(projector, 'projector');
        // A second projector whose consistency proofs are corrupted in transit must refuse the new head.
        forged = await pctx.newPage();
        await forged.route(/\/api\/rounds\/[^/]+\/consistency/, async (route) => {
          const res = await route.fetch();
          const j = await res.json();
          j.proof = j.proof.map((h) => (h[0] === 'A' ? 'B' : 'A') + h.slice(1));
          if (j.proof.length === 0) j.proof = ['AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='];
          await route.fulfill({ response: res, json: j });
        });
        await forged.goto(base + '/p/' + round);
        await forged.waitForFunction(() => /\d/.test(document.getElementById('status').textContent));
      }

      // The resident scans a slip: the phone opens the QR's URL.
      const phone = await newContext(browser, {
        locale,
        ed25519: variant.ed25519,
        javaScriptEnabled: variant.js,
        viewport: { width: 390, height: 844 },
        isMobile: true,
        hasTouch: !variant.keyboard,
        acceptDownloads: true,
      });
      const vp = await phone.newPage();
      vp.on('pageerror', (e) => errors.push('vote: ' + e.message));
      // Console errors include Content-Security-Policy violations and failed loads.
      vp.on('console', (m) => m.type() === 'error' && errors.push('vote console: ' + m.text()));
      const voteURL = urls[0];
      const code = voteURL.split('#')[1];
      await vp.goto(voteURL);
      await visit(vp, 'vote');
      let receiptFile;
      if (variant.js) {
        await vp.waitForFunction(() => !document.getElementById('code-ok').hidden);
        assert.ok(!vp.url().includes('#'), 'the code is removed from the address bar: ' + vp.url());
        assert.equal((await vp.locator('[data-fingerprint]').textContent()).trim(), fingerprint);
        await shot(vp, variant.name + '-vote');
        let taps = 0;
        if (variant.keyboard) {
          // Keyboard only: Tab to the first project, Space, Tab to the third, Space, Enter.
          await vp.keyboard.press('Tab');
          let focused = '';
          for (let i = 0; i < 20 && focused !== 'bench'; i++) {
            focused = await vp.evaluate(() => document.activeElement && document.activeElement.value);
            if (focused !== 'bench') await vp.keyboard.press('Tab');
          }
          assert.equal(focused, 'bench', 'Tab reaches the first project');
          await vp.keyboard.press('Space');
          await vp.keyboard.press('Tab');
          await vp.keyboard.press('Tab');
          assert.equal(await vp.evaluate(() => document.activeElement.value), 'playground');
          await vp.keyboard.press('Space');
          await vp.keyboard.press('Enter'); // submits the form: the review step
          await vp.waitForSelector('#review:not([hidden])');
          await visit(vp, 'review');
          assert.equal(await vp.evaluate(() => document.activeElement.tagName), 'H2', 'focus moves to the review heading');
          await vp.keyboard.press('Tab');
          assert.equal(await vp.evaluate(() => document.activeElement.id), 'sign');
          await vp.keyboard.press('Enter');
        } else {
          const tap = async (sel) => {
            taps++;
            await vp.locator(sel).tap();
          };
          await tap('label:has(input[value="bench"])');
          await tap('label:has(input[value="playground"])');
          await tap('#ballot button[type=submit]');
          await vp.waitForSelector('#review:not([hidden])');
          await visit(vp, 'review');
          await tap('#sign');
        }
        await vp.waitForSelector('#receipt:not([hidden])');
        await vp.waitForFunction(() => /\S/.test(document.getElementById('status').textContent) && !/…/.test(document.getElementById('status').textContent));
        const status = await vp.locator('#status').innerText();
        assert.ok(status.includes(TEXT[variant.lang].verified), 'receipt verified in the browser: ' + status);
        if (!variant.keyboard) assert.equal(taps, 4, 'taps from scan to a verified receipt');
        const backend = await vp.evaluate(() => document.documentElement.dataset.backend);
        assert.equal(backend, variant.ed25519 ? 'webcrypto' : 'noble');
        const tracker = (await vp.locator('#tracker').innerText()).trim();
        assert.match(tracker, /^[0-9A-Z]{4}-[0-9A-Z]{4}$/);
        await shot(vp, variant.name + '-receipt');
        await visit(vp, 'receipt');
        const [dl] = await Promise.all([vp.waitForEvent('download'), vp.click('#download')]);
        assert.equal(dl.suggestedFilename(), tracker + '.tlog-proof');
        receiptFile = path.join(outDir, variant.name + '-' + dl.suggestedFilename());
        await dl.saveAs(receiptFile);

        // The receipt's QR code leads to the check page, which finds the ballot by its hash.
        const qrSrc = await vp.locator('#receipt-qr').getAttribute('src');
        const qrPNG = path.join(outDir, variant.name + '-receipt-qr.png');
        writeFileSync(qrPNG, Buffer.from(await (await fetch(base + qrSrc)).arrayBuffer()));
        const [checkURL] = zbar(qrPNG);
        assert.equal(checkURL, await vp.locator('#check-link').getAttribute('href'));
        assert.ok(checkURL.startsWith(base + '/check/' + round + '#'), checkURL);
        const byHash = await phone.newPage();
        await byHash.goto(checkURL);
        await byHash.waitForFunction(() => /ok|bad/.test(document.getElementById('status').className));
        assert.match(await byHash.locator('#status').getAttribute('class'), /ok/, await byHash.locator('#hash-checks').innerText());
        assert.equal((await byHash.locator('#hash-tracker').innerText()).trim(), tracker);
        await visit(byHash, 'check-hash');
        await byHash.close();

        // The same code again is refused with a clear message before any choice.
        // (Then switch language: the code survives the reload, and leaves the address bar again.)
        const again = await phone.newPage();
        await again.goto(voteURL);
        await again.waitForFunction(() => document.getElementById('status').classList.contains('bad'));
        assert.match(await again.locator('#status').innerText(), /allerede stemt|already voted/);
        assert.ok(await again.locator('#code-ok').isHidden(), 'a used code is not "good"');
        const other = variant.lang === 'da' ? 'en' : 'da';
        await Promise.all([again.waitForNavigation(), again.click('a.lang')]);
        await again.waitForFunction(() => document.getElementById('status').classList.contains('bad'));
        assert.equal(await again.getAttribute('html', 'lang'), other);
        assert.match(await again.locator('#status').innerText(), /allerede stemt|already voted/);
        assert.ok(!again.url().includes('#'), 'no code in the address bar after the switch');
        await phone.clearCookies(); // back to the browser's language for the pages that follow
        await again.close();

        // The check page verifies the downloaded receipt, and rejects a tampered one.
        const check = await phone.newPage();
        await check.goto(base + '/check');
        await visit(check, 'check');
        await check.setInputFiles('#receipt-file', receiptFile);
        await check.click('#check-form button[type=submit]');
        await check.waitForFunction(() => document.getElementById('status').classList.contains('ok') || document.getElementById('status').classList.contains('bad'));
        assert.match(await check.locator('#status').getAttribute('class'), /ok/, await check.locator('#check-items').innerText());
        assert.equal((await check.locator('#check-tracker').innerText()).trim(), tracker);
        const tampered = readFileSync(receiptFile, 'utf8').replace(/\nindex (\d+)\n/, (m, n) => '\nindex ' + (Number(n) + 1) + '\n');
        await check.setInputFiles('#receipt-file', { name: 'x.tlog-proof', mimeType: 'text/plain', buffer: Buffer.from(tampered) });
        await check.click('#check-form button[type=submit]');
        await check.waitForFunction(() => document.getElementById('status').classList.contains('bad'));
        await check.close();
      } else {
        // Without JavaScript: type the code, review, sign on the server.
        await vp.fill('#code', code.toLowerCase());
        await vp.check('input[value="bench"]');
        await vp.check('input[value="playground"]');
        await submitForm(vp, '#ballot button[type=submit]');
        await visit(vp, 'review-nojs');
        await submitForm(vp, 'button[value="submit"]');
        const body = await vp.locator('main').innerText();
        assert.ok(body.includes(TEXT[variant.lang].nojsReceipt), body);
        await visit(vp, 'receipt-nojs');
        await shot(vp, variant.name + '-receipt');
        const href = await vp.locator('a[download]').getAttribute('href');
        assert.match(href, /^data:text\/plain;base64,/);
        receiptFile = path.join(outDir, variant.name + '-receipt.tlog-proof');
        writeFileSync(receiptFile, Buffer.from(href.split(',')[1], 'base64'));
        // The server-side check page.
        const check = await phone.newPage();
        await check.goto(base + '/check');
        await check.fill('#receipt-text', readFileSync(receiptFile, 'utf8'));
        await submitForm(check, '#check-form button[type=submit]');
        assert.match(await check.locator('#status').getAttribute('class'), /ok/);
        await visit(check, 'check-nojs');
        await check.close();
      }

      // The kiosk on a helper's tablet: typed code, vote, receipt QR, reset.
      let ballots = 1;
      if (variant.js && !variant.keyboard) {
        const tablet = await newContext(browser, { locale, ed25519: variant.ed25519, viewport: { width: 1024, height: 768 }, hasTouch: true });
        const k = await tablet.newPage();
        k.on('pageerror', (e) => errors.push('kiosk: ' + e.message));
        await k.goto(base + '/k/' + round);
        await visit(k, 'kiosk');
        const good = urls[1].split('#')[1];
        const typo = good.slice(0, 5) + (good[5] === 'A' ? 'B' : 'A') + good.slice(6);
        await k.fill('#code', typo);
        await k.locator('label:has(input[value="bench"])').tap();
        await k.locator('label:has(input[value="playground"])').tap();
        await k.locator('#ballot button[type=submit]').tap();
        await k.waitForFunction(() => document.getElementById('status').classList.contains('bad'));
        assert.match(await k.locator('#status').innerText(), /Koden passer ikke|does not check out/);
        await k.fill('#code', good);
        await k.locator('#ballot button[type=submit]').tap();
        await k.locator('#sign').tap();
        await k.waitForFunction(() => document.getElementById('status').classList.contains('ok'));
        const kt = (await k.locator('#tracker').innerText()).trim();
        assert.match(kt, /^[0-9A-Z]{4}-[0-9A-Z]{4}$/);
        assert.match(await k.locator('#receipt-qr').getAttribute('src'), /\/qr\.png\?h=/);
        assert.equal(await k.locator('#download').count(), 0, 'the kiosk offers no download');
        await visit(k, 'kiosk-receipt');
        await shot(k, variant.name + '-kiosk-receipt');
        await Promise.all([k.waitForNavigation(), k.locator('#done').tap()]);
        const after = await k.content();
        assert.ok(!after.includes(kt), 'the kiosk forgot the receipt');
        assert.equal(await k.inputValue('#code'), '', 'the kiosk forgot the code');
        assert.ok(await k.locator('#receipt').isHidden());
        // An abandoned kiosk clears itself (idle shortened to 6 s for the test):
        // a visible countdown, then the code and choices are gone.
        const idle = await tablet.newPage();
        await idle.goto(base + '/k/' + round + '?idle=6');
        await idle.fill('#code', urls[2].split('#')[1]);
        await idle.locator('label:has(input[value="bench"])').tap();
        await idle.locator('#ballot button[type=submit]').tap();
        await idle.waitForSelector('#review:not([hidden])');
        await idle.waitForSelector('#idle-warning:not([hidden])', { timeout: 8000 });
        assert.match(await idle.locator('#idle-warning').innerText(), /\d+ sekund(er)?|\d+ seconds?/);
        await idle.waitForFunction(() => document.getElementById('review').hidden && document.getElementById('code').value === '', null, { timeout: 10000 });
        assert.ok(await idle.locator('#idle-warning').isHidden(), 'the warning is gone after the reset');
        assert.equal(await idle.locator('#ballot input:checked').count(), 0, 'the choices are gone');
        await tablet.close();
        ballots++;
      }

      // The projector followed, checking each consistency proof first.
      if (projector) {
        await projector.waitForFunction((n) => Number(document.getElementById('size').textContent) > n, startSize, { timeout: 20000 });
        assert.doesNotMatch(await projector.locator('#status').getAttribute('class'), /bad/);
        await projector.waitForFunction((n) => document.getElementById('ballots').textContent === String(n), ballots, { timeout: 20000 });
        await shot(projector, variant.name + '-projector');
        // The council voids an unused slip during voting: the log grows by
        // the void leaf, and the projector does not count it as a ballot,
        // neither live (server-sent event) nor after a reload.
        if (urls.length >= 4) {
          const before = Number(await projector.locator('#size').innerText());
          await page.reload();
          await page.fill('#v-code', urls[urls.length - 1].split('#')[1]);
          await page.fill('#v-reason', 'Stjålet seddel');
          await submitForm(page, 'form[action$="/void"] button[type=submit]');
          assert.match(await page.locator('.msg').first().innerText(), /annulleret|cancelled/);
          await projector.waitForFunction((n) => Number(document.getElementById('size').textContent) === n + 1, before, { timeout: 20000 });
          await projector.waitForTimeout(300);
          assert.equal(await projector.locator('#ballots').innerText(), String(ballots), 'the void leaf is not counted as a ballot (live)');
          const again = await projector.context().newPage();
          await again.goto(base + '/p/' + round);
          assert.equal(await again.locator('#ballots').innerText(), String(ballots), 'the void leaf is not counted as a ballot (page)');
          assert.equal(Number(await again.locator('#size').innerText()), before + 1);
          await again.close();
        }
        await forged.waitForFunction(() => document.getElementById('status').classList.contains('bad'), null, { timeout: 20000 });
        assert.match(await forged.locator('#status').innerText(), /ADVARSEL|WARNING/);
        assert.equal(Number(await forged.locator('#size').innerText()), startSize, 'the forged head is not shown');
        await forged.close();
      }

      // Close and publish.
      await page.reload();
      await submitForm(page, '#next-phase');
      await submitForm(page, '#next-phase');
      assert.match(await page.locator('#phase').innerText(), /Resultat offentliggjort|Result published/);
      await visit(page, 'admin-published');
      await page.goto(base + '/admin');
      await visit(page, 'dashboard-full');
      const closed = await phone.newPage();
      await closed.goto(voteURL);
      assert.match(await closed.locator('main').innerText(), /Afstemningen er slut|Voting is over/);
      await visit(closed, 'notice');
      await closed.close();

      // The results: the two chosen projects are funded.
      const res = await phone.newPage();
      await res.goto(base + '/r/' + round + '/results');
      await visit(res, 'results');
      const winners = await res.locator('#winners').innerText();
      assert.ok(winners.includes('Bænke ved søen') && winners.includes('Ny legeplads') && !winners.includes('Bogbytte'), winners);
      assert.equal(await res.locator('svg.chart').count(), 1);
      await shot(res, variant.name + '-results');
      if (projector) {
        await projector.waitForURL(/./);
        await projector.waitForSelector('a[href$="/results"]', { timeout: 20000 });
        await axeCheck(projector, 'projector after publication (' + variant.name + ')', true);
      }
      // The projector after publication, on a phone.
      await res.goto(base + '/p/' + round);
      await visit(res, 'projector-phone');
      await shot(res, variant.name + '-projector-phone');

      // The public pages.
      for (const [p, label] of [['/', 'home'], ['/c/hornsyld', 'community'], ['/r/' + round, 'round'], ['/about', 'about']]) {
        await res.goto(base + p);
        await visit(res, label);
      }
      await res.goto(base + '/r/no-such-round');
      await visit(res, 'error');

      // The record page: download the record and the anchors, verify with pbverify.
      await res.goto(base + '/r/' + round + '/record');
      await visit(res, 'record');
      const anchors = await res.locator('#anchors').innerText();
      const anchorsFile = path.join(outDir, variant.name + '-anchors.txt');
      writeFileSync(anchorsFile, anchors.trim() + '\n');
      const tarFile = path.join(outDir, variant.name + '-record.tar');
      if (variant.js) {
        const [dl] = await Promise.all([res.waitForEvent('download'), res.click('a[href$="/record.tar"]')]);
        await dl.saveAs(tarFile);
      } else {
        const r = await fetch(base + '/rounds/' + round + '/record.tar');
        writeFileSync(tarFile, Buffer.from(await r.arrayBuffer()));
      }
      const rec = pbverify(['record', '-anchors', anchorsFile, tarFile]);
      assert.equal(rec.code, 0, rec.out);
      const byURL = pbverify(['record', '-anchors', anchorsFile, base + '/rounds/' + round + '/record/']);
      assert.equal(byURL.code, 0, byURL.out);
      const rcpt = pbverify(['receipt', receiptFile, '-record', tarFile, '-anchors', anchorsFile]);
      assert.equal(rcpt.code, 0, rcpt.out);

      assert.deepEqual(errors, [], 'no script errors');
      for (const ctx of [admin, phone]) assert.equal(ctx.__external, undefined, 'no external requests');
      await phone.close();
      await admin.close();
      if (projector) await projector.context().close();
    });
  });
}
