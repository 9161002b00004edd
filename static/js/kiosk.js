// The kiosk's tools (/k/ROUND and /k/ROUND/paper), on top of vote.js:
//
// - Scanning a slip: the helper holds the resident's slip (or paper ballot)
//   in front of the tablet's camera. BarcodeDetector reads the QR code where
//   the browser has it; otherwise the vendored jsQR decoder
//   (static/vendor/jsqr), loaded only now. The slip URL's code goes into the
//   code field (vote.js reads it from there); the code never leaves the
//   tablet.
// - A network hiccup never loses a ballot: when vote.js could not send it
//   (its sign button then reads "try again"), the kiosk sends the same
//   ballot again by itself, after 3, 6, 12, then every 30 seconds, says so,
//   and stays awake meanwhile (no idle reset throws the ballot away).
// - Paper mode (/k/ROUND/paper): two helpers enter a paper ballot
//   (docs/record.md §6.4). After the review, helper 1 confirms that the
//   screen shows what the paper says, then helper 2 compares again and
//   signs; vote.js marks the ballot "source paper" (§6.1).
//
// The texts come in pb-data's "scan" object, in the page's language.

const $ = (id) => document.getElementById(id);
const data = JSON.parse($('pb-data').textContent);
const T = data.scan || {};
const round = data.submit.split('/')[2];

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text) e.textContent = text;
  return e;
}

function say(kind, text) {
  const s = $('status');
  s.className = 'msg ' + kind;
  s.textContent = text;
}

// codeFromSlip returns the code of a slip URL for this round, or '' (a
// QR code of another kind), or null (a slip of another round).
export function codeFromSlip(text, thisRound) {
  let u;
  try {
    u = new URL(text);
  } catch (e) {
    return '';
  }
  const m = u.pathname.match(/\/v\/([a-z0-9-]+)$/);
  if (!m || !u.hash || u.hash.length < 2) return '';
  if (m[1] !== thisRound) return null;
  return decodeURIComponent(u.hash.slice(1));
}

// A decoder reads QR codes from the video: BarcodeDetector, else jsQR.
async function decoder() {
  if ('BarcodeDetector' in window) {
    try {
      const formats = await window.BarcodeDetector.getSupportedFormats();
      if (formats.includes('qr_code')) {
        const bd = new window.BarcodeDetector({ formats: ['qr_code'] });
        return async (video) => (await bd.detect(video)).map((c) => c.rawValue);
      }
    } catch (e) {
      /* fall back to jsQR */
    }
  }
  await import('../vendor/jsqr/jsQR.js');
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  return async (video) => {
    const w = video.videoWidth;
    const h = video.videoHeight;
    if (!w || !h) return [];
    const scale = Math.min(1, 800 / Math.max(w, h));
    canvas.width = Math.round(w * scale);
    canvas.height = Math.round(h * scale);
    ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
    const img = ctx.getImageData(0, 0, canvas.width, canvas.height);
    const r = self.jsQR(img.data, img.width, img.height, { inversionAttempts: 'attemptBoth' });
    return r ? [r.data] : [];
  };
}

let stream = null;
let scanning = false;

function stopCamera() {
  scanning = false;
  if (stream) for (const t of stream.getTracks()) t.stop();
  stream = null;
  const view = $('scan-view');
  if (view) view.hidden = true;
  const btn = $('scan');
  if (btn) btn.hidden = false;
}

// took puts a scanned code where vote.js reads it.
function took(code) {
  stopCamera();
  const input = $('code');
  input.value = code;
  input.dispatchEvent(new Event('input', { bubbles: true }));
  $('code-field').hidden = true;
  $('code-ok').hidden = false;
  say('ok', T.scanned);
  const first = document.querySelector('#ballot input');
  if (first) first.focus();
}

async function startCamera() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    say('bad', T.noCamera);
    return;
  }
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
  } catch (e) {
    say('bad', T.noCamera);
    return;
  }
  const video = $('scan-video');
  video.srcObject = stream;
  $('scan-view').hidden = false;
  $('scan').hidden = true;
  $('scan-view').scrollIntoView({ block: 'nearest' });
  say('', T.hold);
  await video.play().catch(() => {});
  let detect;
  try {
    detect = await decoder();
  } catch (e) {
    stopCamera();
    say('bad', T.noCamera);
    return;
  }
  scanning = true;
  let warned = false;
  while (scanning) {
    let found = [];
    try {
      found = await detect(video);
    } catch (e) {
      /* a frame that could not be read */
    }
    for (const text of found) {
      const code = codeFromSlip(text, round);
      if (code) return took(code);
      if (code === null && !warned) {
        warned = true;
        say('bad', T.otherRound);
      } else if (code === '' && !warned) {
        warned = true;
        say('bad', T.notSlip);
      }
    }
    await new Promise((ok) => setTimeout(ok, 120));
  }
}

function scanTools() {
  const field = $('code-field');
  if (!field) return;
  const bar = el('div', { class: 'scan', id: 'scan-bar' });
  const btn = el('button', { type: 'button', id: 'scan', class: 'big' }, T.scan);
  const view = el('div', { id: 'scan-view', class: 'scan-view' });
  view.hidden = true;
  const video = el('video', { id: 'scan-video', playsinline: '', muted: '', 'aria-label': T.video });
  video.muted = true;
  const stop = el('button', { type: 'button', id: 'scan-stop', class: 'secondary' }, T.stop);
  view.append(el('p', {}, T.hold), stop, video);
  bar.append(btn, view);
  field.parentNode.insertBefore(bar, field);
  btn.addEventListener('click', startCamera);
  stop.addEventListener('click', () => {
    stopCamera();
    say('', '');
  });
  // A reset of the kiosk (or leaving the page) turns the camera off.
  window.addEventListener('pagehide', stopCamera);
}

// Paper mode: a banner, and the two helpers' confirmations before signing.
function paperMode() {
  const h1 = document.querySelector('main h1');
  const banner = el('p', { class: 'msg warn', id: 'paper-banner' }, T.paperBanner);
  h1.after(banner);
  const review = $('review');
  const sign = $('sign');
  const step = el('p', { id: 'paper-step', class: 'msg warn', role: 'status' });
  const confirm1 = el('button', { type: 'button', id: 'paper-confirm', class: 'big' }, T.helper1Button);
  sign.before(confirm1);
  review.querySelector('ul').before(step);
  const reset = () => {
    step.textContent = T.helper1;
    confirm1.hidden = false;
    sign.hidden = true;
  };
  sign.textContent = T.helper2Button;
  confirm1.addEventListener('click', () => {
    step.textContent = T.helper2;
    confirm1.hidden = true;
    sign.hidden = false;
    sign.focus();
  });
  $('back').addEventListener('click', reset);
  // Each time the review opens, helper 1 confirms first.
  document.getElementById('ballot').addEventListener('submit', reset, true);
  reset();
  $('receipt').querySelector('h2').after(el('p', { class: 'msg ok', id: 'paper-done' }, T.paperDone));
}

// retryLoop sends a ballot that the network lost again, by itself.
function retryLoop() {
  const sign = $('sign');
  const retry = (data.texts || {}).retry;
  if (!sign || !retry) return;
  let timer = null;
  let delay = 3;
  let left = 0;
  const tick = () => {
    timer = null;
    const waiting = !$('review').hidden && sign.textContent === retry && !sign.disabled;
    if (!waiting) {
      delay = 3;
      return;
    }
    // Keep the kiosk awake: a ballot waiting for the network is not idle.
    document.dispatchEvent(new Event('keydown'));
    if (left <= 0) {
      left = delay;
      delay = Math.min(30, delay * 2);
      sign.click();
      return;
    }
    $('retry-note').textContent = T.autoRetry.replace('%d', String(left));
    left--;
    timer = setTimeout(tick, 1000);
  };
  const note = el('p', { id: 'retry-note', class: 'small', 'aria-live': 'polite' });
  sign.after(note);
  new MutationObserver(() => {
    const waiting = !$('review').hidden && sign.textContent === retry && !sign.disabled;
    note.hidden = !waiting;
    if (waiting && !timer) {
      left = delay;
      timer = setTimeout(tick, 0);
    }
  }).observe(sign, { attributes: true, childList: true, characterData: true, subtree: true });
  note.hidden = true;
}

if ($('ballot')) {
  scanTools();
  retryLoop();
  if (data.paper) paperMode();
}
