// The kiosk's camera and paper ballots (issue 12), in headless chromium
// against the real pbserver:
//
// - the council prints the paper ballots (one A4 page per slip: QR code,
//   tag, rules, projects with boxes; axe; English one tap away);
// - a kiosk scans a slip with the tablet's camera: chromium's fake camera
//   plays a video file made here from the paper ballot's own QR code (no
//   BarcodeDetector on Linux, so the vendored jsQR decodes it);
// - two helpers enter paper ballots in paper mode (scan, tick, helper 1
//   confirms, helper 2 signs), one of them through a network failure: the
//   kiosk says so and sends the same ballot again by itself;
// - after close and publication, pbverify paper-audit samples the paper
//   ballots from the final checkpoint and matches the papers (exit 0), and
//   a paper that differs exits 1.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { axeCheck, launch, newContext, outDir } from './lib.mjs';
import { ADMIN, build, pbverify, startServer, zbar } from './server.mjs';
import { apiClient } from './size-budget.mjs';

const ROUND = 'stouby-2026';
const PASS = 'kaffe og kage i forsamlingshuset';
const PROJECTS = [
  { id: 'bench', title: 'Bænke ved søen', cost: 20000, category: 'fritid-og-faellesskab', description: 'Tre bænke.' },
  { id: 'library', title: 'Bogbytte i hallen', cost: 60000, category: 'laering', description: 'Reoler og bøger.' },
  { id: 'playground', title: 'Ny legeplads', cost: 50000, category: 'fritid-og-faellesskab', description: 'Gynger.' },
];

let server;
let browser;
let tmp;

before(async () => {
  mkdirSync(outDir, { recursive: true });
  tmp = mkdtempSync(path.join(tmpdir(), 'pb-paper-'));
  build();
  server = await startServer();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

// y4m writes a Y4M video (one grey frame, which chromium's fake camera
// plays in a loop) of the given 640×480 luma bytes.
function y4m(file, luma, w = 640, h = 480) {
  const head = Buffer.from(`YUV4MPEG2 W${w} H${h} F10:1 Ip A1:1 C420jpeg\n`);
  const frame = Buffer.concat([Buffer.from('FRAME\n'), Buffer.from(luma), Buffer.alloc((w / 2) * (h / 2) * 2, 128)]);
  writeFileSync(file, Buffer.concat([head, frame]));
}

// qrFrame draws the page's QR image number i on a white 640×480 frame,
// slightly turned as a hand holds it, and returns its luma bytes.
async function qrFrame(page, i, selector = 'img.qr') {
  return page.evaluate(async ([i, selector]) => {
    const img = document.querySelectorAll(selector)[i];
    await img.decode();
    const c = document.createElement('canvas');
    c.width = 640;
    c.height = 480;
    const x = c.getContext('2d');
    x.fillStyle = '#fff';
    x.fillRect(0, 0, 640, 480);
    x.imageSmoothingEnabled = false;
    x.translate(320, 240);
    x.rotate(0.05);
    x.drawImage(img, -180, -180, 360, 360);
    const d = x.getImageData(0, 0, 640, 480).data;
    const out = new Array(640 * 480);
    for (let p = 0; p < out.length; p++) out[p] = Math.round(0.299 * d[4 * p] + 0.587 * d[4 * p + 1] + 0.114 * d[4 * p + 2]);
    return out;
  }, [i, selector]);
}

// camera launches a second chromium whose camera shows the video file.
function camera(file) {
  return launch(['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--use-file-for-fake-video-capture=' + file]);
}

describe('kiosk camera and paper ballots', () => {
  it('prints paper ballots, scans slips with the camera, enters paper in paper mode, and audits it with pbverify', async () => {
    const base = server.url;
    const api = await apiClient(base);
    await api('POST', '/api/funds', { id: 'pulje', name: 'Puljen', total: 1000000, years: [2026], formula: 'equal' });
    await api('POST', '/api/communities', { id: 'stouby', name: 'Stouby', population: 900, fund: 'pulje' });
    await api('POST', '/api/rounds', { id: ROUND, community: 'stouby', year: 2026, title: 'Stouby 2026', budget: 100000 });
    for (const p of PROJECTS) await api('POST', `/api/rounds/${ROUND}/projects`, p);
    await api('PATCH', `/api/rounds/${ROUND}`, { ballot: { kind: 'approval', min: 1, max: 2 } });
    for (const phase of ['proposals', 'review']) await api('POST', `/api/rounds/${ROUND}/phase`, { phase });
    await api('POST', `/api/rounds/${ROUND}/codes`, { count: 5, reserve: 1, passphrase: PASS });

    // The council prints the paper ballots from the admin page.
    const admin = await newContext(browser, { locale: 'da-DK', viewport: { width: 1100, height: 900 } });
    admin.setDefaultTimeout(15000);
    const page = await admin.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(base + '/admin/login');
    await page.fill('#name', ADMIN.name);
    await page.fill('#password', ADMIN.password);
    await Promise.all([page.waitForNavigation(), page.click('form[action="/admin/login"] button[type=submit]')]);
    await page.goto(base + '/admin/rounds/' + ROUND);
    await axeCheck(browser, page, 'admin round page with the paper ballots form');
    await page.fill('#paper-passphrase', PASS);
    const [paper] = await Promise.all([admin.waitForEvent('page'), page.click('#paper-button')]);
    await paper.waitForLoadState();
    await paper.setViewportSize({ width: 900, height: 1200 });
    const paperPNG = path.join(outDir, 'paper-ballot.png');
    await paper.locator('section.page').first().screenshot({ path: paperPNG });
    await paper.screenshot({ path: path.join(outDir, 'paper-ballots.png'), fullPage: false });
    assert.equal(await paper.locator('section.page').count(), 5, 'one paper ballot per slip');
    const tags = await paper.locator('.tag').allInnerTexts();
    assert.equal(tags.length, 5);
    for (const t of tags) assert.match(t, /^[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    const text = await paper.locator('body').innerText();
    assert.match(text, /Sæt kryds ved 1 til 2 projekter\./);
    for (const p of PROJECTS) assert.ok(text.includes(p.title), p.title);
    const urls = zbar(paperPNG).filter((u) => u.startsWith(base + '/v/' + ROUND + '#'));
    assert.equal(urls.length, 1, 'the QR code on the first paper ballot decodes to its slip URL');
    await axeCheck(browser, paper, 'paper ballots', false);
    // English one tap away (no script on the page).
    await paper.click('a[href="#en"]');
    assert.match(await paper.locator('section.page').first().innerText(), /Tick 1 to 2 projects\./);
    await paper.locator('section.page').first().screenshot({ path: path.join(outDir, 'paper-ballot-en.png') });
    await axeCheck(browser, paper, 'paper ballots in English', false);
    // Video files for the fake camera: the first two paper ballots' QR codes.
    const videos = [];
    for (const i of [0, 1]) {
      const f = path.join(tmp, `slip-${i}.y4m`);
      y4m(f, await qrFrame(paper, i));
      videos.push(f);
    }
    const codes = [];
    for (let i = 0; i < 5; i++) {
      const png = path.join(tmp, `qr-${i}.png`);
      await paper.locator('img.qr').nth(i).screenshot({ path: png });
      codes.push(zbar(png)[0].split('#')[1]);
    }
    await paper.close();
    await api('POST', `/api/rounds/${ROUND}/phase`, { phase: 'voting' });

    // (a) The kiosk scans a slip with the camera (paper ballot 0's QR code) and votes.
    {
      const cam = await camera(videos[0]);
      try {
        const ctx = await newContext(cam, { locale: 'da-DK', viewport: { width: 1024, height: 768 }, hasTouch: true });
        const k = await ctx.newPage();
        k.on('pageerror', (e) => errors.push('kiosk: ' + e.message));
        await k.goto(base + '/k/' + ROUND);
        await axeCheck(cam, k, 'kiosk with the scan button');
        const hasBD = await k.evaluate(() => 'BarcodeDetector' in window);
        await k.locator('#scan').tap();
        await k.waitForFunction(() => !document.getElementById('code-ok').hidden, null, { timeout: 20000 });
        const loaded = await k.evaluate(() => performance.getEntriesByType('resource').some((r) => r.name.includes('/vendor/jsqr/')));
        assert.equal(loaded, !hasBD, 'jsQR is loaded exactly when there is no BarcodeDetector');
        assert.ok(await k.locator('#scan-view').isHidden(), 'the camera stops once the slip is read');
        assert.equal(await k.inputValue('#code'), codes[0]);
        assert.ok(await k.locator('#code-field').isHidden(), 'the code field gives way to "the code is read"');
        await k.locator('label:has(input[value="bench"])').tap();
        await k.locator('#ballot button[type=submit]').tap();
        await k.locator('#sign').tap();
        await k.waitForFunction(() => document.getElementById('status').classList.contains('ok') && !document.getElementById('receipt').hidden);
        await k.screenshot({ path: path.join(outDir, 'kiosk-scanned-receipt.png') });
        await ctx.close();
      } finally {
        await cam.close();
      }
    }

    // A QR code that is not a slip (the projector's) is refused, and the camera keeps looking.
    {
      const qr = await admin.newPage();
      await qr.goto(base + '/p/' + ROUND + '/qr.png');
      const f = path.join(tmp, 'projector.y4m');
      y4m(f, await qrFrame(qr, 0, 'img'));
      await qr.close();
      const cam = await camera(f);
      try {
        const ctx = await newContext(cam, { locale: 'da-DK', viewport: { width: 1024, height: 768 }, hasTouch: true });
        const k = await ctx.newPage();
        await k.goto(base + '/k/' + ROUND);
        await k.locator('#scan').tap();
        await k.waitForFunction(() => document.getElementById('status').classList.contains('bad'), null, { timeout: 20000 });
        assert.match(await k.locator('#status').innerText(), /ikke QR-koden fra en stemmeseddel/);
        assert.ok(await k.locator('#scan-view').isVisible(), 'the camera keeps looking');
        await k.waitForTimeout(500);
        await k.screenshot({ path: path.join(outDir, 'kiosk-scanning.png') });
        await axeCheck(cam, k, 'kiosk with the camera on');
        await k.locator('#scan-stop').tap();
        assert.ok(await k.locator('#scan-view').isHidden());
        await ctx.close();
      } finally {
        await cam.close();
      }
    }

    // (b) Paper mode: paper ballot 1 scanned with the camera, two helpers confirm.
    const onPaper = {}; // tag → the projects ticked on the paper
    {
      const cam = await camera(videos[1]);
      try {
        const ctx = await newContext(cam, { locale: 'da-DK', viewport: { width: 1024, height: 768 }, hasTouch: true });
        const k = await ctx.newPage();
        k.on('pageerror', (e) => errors.push('paper kiosk: ' + e.message));
        await k.goto(base + '/k/' + ROUND + '/paper');
        assert.match(await k.locator('#paper-banner').innerText(), /Papirstemmesedler/);
        await axeCheck(cam, k, 'kiosk in paper mode');
        await k.locator('#scan').tap();
        await k.waitForFunction(() => !document.getElementById('code-ok').hidden, null, { timeout: 20000 });
        assert.equal(await k.inputValue('#code'), codes[1]);
        await k.locator('label:has(input[value="library"])').tap();
        await k.locator('label:has(input[value="playground"])').tap();
        await k.locator('#ballot button[type=submit]').tap();
        await k.waitForSelector('#review:not([hidden])');
        assert.ok(await k.locator('#sign').isHidden(), 'helper 2 cannot sign before helper 1 confirms');
        assert.match(await k.locator('#paper-step').innerText(), /Hjælper 1/);
        await axeCheck(cam, k, 'paper mode: helper 1');
        await k.screenshot({ path: path.join(outDir, 'kiosk-paper-helper1.png') });
        await k.locator('#paper-confirm').tap();
        assert.match(await k.locator('#paper-step').innerText(), /Hjælper 2/);
        await axeCheck(cam, k, 'paper mode: helper 2');
        await k.locator('#sign').tap();
        await k.waitForFunction(() => document.getElementById('status').classList.contains('ok') && !document.getElementById('receipt').hidden);
        assert.match(await k.locator('#paper-done').innerText(), /boksen/);
        onPaper[tags[1]] = 'library playground';

        // Paper ballot 2, typed; the network fails at the first signing: the
        // page says so in Danish, and the second tap sends the same ballot.
        await k.goto(base + '/k/' + ROUND + '/paper');
        await k.fill('#code', codes[2]);
        await k.locator('label:has(input[value="bench"])').tap();
        await k.locator('#ballot button[type=submit]').tap();
        await k.locator('#paper-confirm').tap();
        let failed = 0;
        await k.route('**/v/' + ROUND + '/ballot', (route) => (failed++ === 0 ? route.abort('internetdisconnected') : route.continue()));
        await k.locator('#sign').tap();
        await k.waitForFunction(() => document.getElementById('status').classList.contains('bad'));
        const msg = await k.locator('#status').innerText();
        assert.doesNotMatch(msg, /Failed to fetch|TypeError/, 'no browser English: ' + msg);
        assert.match(msg, /net|forbindelse|igen/i, 'a clear Danish message: ' + msg);
        assert.ok(await k.locator('#receipt').isHidden());
        // The kiosk sends it again by itself (and says so): nobody has to tap.
        await k.waitForSelector('#retry-note:not([hidden])');
        assert.match(await k.locator('#retry-note').innerText(), /ikke tabt/);
        await k.screenshot({ path: path.join(outDir, 'kiosk-paper-offline.png') });
        await k.waitForFunction(() => document.getElementById('status').classList.contains('ok') && !document.getElementById('receipt').hidden, null, { timeout: 20000 });
        onPaper[tags[2]] = 'bench';
        await ctx.close();
      } finally {
        await cam.close();
      }
    }

    // Close and publish; the record holds two paper ballots and one from the kiosk.
    await api('POST', `/api/rounds/${ROUND}/phase`, { phase: 'closed' });
    await api('POST', `/api/rounds/${ROUND}/phase`, { phase: 'published' });
    const leaves = (await (await fetch(base + '/rounds/' + ROUND + '/record/leaves.txt')).text()).trim().split('\n').map((l) => Buffer.from(l, 'base64').toString());
    const ballots = leaves.filter((l) => l.startsWith('pb-ballot/v1\n'));
    assert.equal(ballots.length, 3, 'three ballots, the retried one once');
    assert.equal(ballots.filter((l) => l.includes('\nsource paper\nsig ')).length, 2, 'two ballots marked as entered from paper');
    const anchors = path.join(tmp, 'anchors.txt');
    writeFileSync(anchors, await (await fetch(base + '/rounds/' + ROUND + '/anchors.txt')).text());
    const record = base + '/rounds/' + ROUND + '/record/';
    const sample = pbverify(['paper-audit', '--record', record, '--anchors', anchors, '--sample', '5']);
    assert.equal(sample.code, 0, sample.out);
    assert.match(sample.out, /sample: 2 of 2 paper ballots/);
    for (const t of Object.keys(onPaper)) assert.ok(sample.out.includes('slip ' + t), t + ' sampled');
    const good = path.join(tmp, 'paper.txt');
    writeFileSync(good, Object.entries(onPaper).map(([t, ids]) => t + ' ' + ids + '\n').join(''));
    const match = pbverify(['paper-audit', '--record', record, '--anchors', anchors, '--sample', '5', '--paper', good]);
    assert.equal(match.code, 0, match.out);
    assert.match(match.out, /2 matched, 0 mismatched, 0 missing/);
    const bad = path.join(tmp, 'paper-bad.txt');
    writeFileSync(bad, tags[1] + ' library\n' + tags[2] + ' bench\n');
    const mismatch = pbverify(['paper-audit', '--record', record, '--anchors', anchors, '--sample', '5', '--paper', bad]);
    assert.equal(mismatch.code, 1, mismatch.out);
    assert.match(mismatch.out, /MISMATCH  slip [0-9A-Z-]+: the paper says library, the log counted library playground/);
    assert.deepEqual(errors, []);
    await admin.close();
  });
});
