// The voting page (/v/ROUND) and the kiosk (/k/ROUND), progressively
// enhanced: the server-rendered form works without JavaScript (the server
// then derives the key and signs). With JavaScript the code is read from the
// URL fragment and removed from the address bar, the key is derived and the
// ballot signed here, and the receipt is checked here against the log key of
// the manifest.
//
// The page holds:
//   <script type="application/json" id="pb-data">{ manifest, submit, check, kiosk, texts }</script>
//   form#ballot with input#code, checkboxes name=p or number inputs name=pt-<id>
//   section#review, section#receipt, div#status

import { b64decode, b64encode, utf8 } from './bytes.js';
import { CodeError, compactCode, parseCode } from './code.js';
import { deriveKey } from './ed25519.js';
import { buildBallot, checkLimits, parseManifest } from './ballot.js';
import { verifyReceipt } from './receipt.js';
import { recordHash } from './merkle.js';

const $ = (id) => document.getElementById(id);
const data = JSON.parse($('pb-data').textContent);
const T = data.texts;

function fmt(s, ...args) {
  let i = 0;
  // An amount ends with "kr." in Danish: never "kr.." at a sentence end.
  return s.replace(/%[sd]/g, () => String(args[i++])).replace(/kr\.\./g, 'kr.');
}

// one picks the singular text key + '.one' when the count n is 1 (the
// server sends it where the language has one).
function one(key, n) {
  return n === 1 && T[key + '.one'] ? T[key + '.one'] : T[key];
}

function amount(n) {
  return data.lang === 'da' ? n.toLocaleString('da-DK') + ' kr.' : 'DKK ' + n.toLocaleString('en-GB');
}

const state = { code: null, key: null, manifest: null, selection: null, pending: null, busy: false, refused: '' };

const b64url = (b) => b64encode(b).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
// A receipt stays on this phone (not on a kiosk) so that a reload shows it again.
const saved = 'pb-receipt:' + data.submit;

function status(kind, text) {
  const el = $('status');
  el.className = text ? 'msg ' + kind : '';
  el.textContent = text || '';
  if (text && kind === 'bad') el.focus();
}

function show(id) {
  for (const s of ['ballot', 'review', 'receipt']) $(s).hidden = s !== id;
  const h = $(id).querySelector('h2, legend, h1');
  if (h) {
    h.tabIndex = -1;
    h.focus();
  }
  window.scrollTo(0, 0);
}

function selection() {
  const form = $('ballot');
  if (state.manifest.ballot.kind === 'cumulative') {
    const sel = {};
    for (const p of state.manifest.projects) {
      const el = form.elements['pt-' + p.id];
      const v = el && el.value !== '' ? Number(el.value) : 0;
      sel[p.id] = Number.isInteger(v) && v >= 0 ? v : NaN;
    }
    return sel;
  }
  const ids = [];
  for (const el of form.querySelectorAll('input[name=p]')) if (el.checked) ids.push(el.value);
  return ids;
}

function limitText(err) {
  const b = state.manifest.ballot;
  switch (err.reason) {
    case 'too-few':
      return fmt(one('tooFew', b.min), b.min);
    case 'too-many':
      return fmt(one('tooMany', b.max), b.max);
    case 'over-budget':
      return fmt(T.overBudget, amount(err.total - b.limit));
    case 'over-cap':
      return fmt(one('overCap', b.cap), b.cap);
    case 'over-total':
      return fmt(one('overTotal', b.total), b.total);
    default:
      return T.badChoice;
  }
}

// tapped enforces the limits as the resident chooses: a tick or points
// that would break them are taken back at once, with the reason.
function tapped(ev) {
  const el = ev.target;
  const m = state.manifest;
  // A tick is one change event; typed points are input events.
  if (!el || !el.name || (ev.type === 'change') !== (el.type === 'checkbox')) return;
  const err = checkLimits(m, selection());
  if (err && ['too-many', 'over-budget', 'over-cap', 'over-total'].includes(err.reason)) {
    if (el.type === 'checkbox') {
      el.checked = false;
      const b = m.ballot;
      status('bad', err.reason === 'too-many' ? fmt(one('full', b.max), b.max) : fmt(T.noRoom, amount(b.limit)));
    } else {
      const others = Object.entries(selection()).reduce((s, [id, n]) => s + (el.name === 'pt-' + id ? 0 : n || 0), 0);
      el.value = String(Math.max(0, Math.min(m.ballot.cap, m.ballot.total - others)));
      status('bad', limitText(err));
    }
    state.tapMsg = true;
  } else if (state.tapMsg) {
    state.tapMsg = false;
    status('', '');
  }
  meter();
}

// meter updates the live budget meter, counter or points left.
function meter() {
  const m = state.manifest;
  const sel = selection();
  const out = $('meter-text');
  const bar = $('meter-bar');
  if (!out) return;
  if (m.ballot.kind === 'approval-cost') {
    const cost = {};
    for (const p of m.projects) cost[p.id] = p.cost;
    const used = sel.reduce((s, id) => s + cost[id], 0);
    out.textContent = fmt(T.meterCost, amount(used), amount(m.ballot.limit));
    if (bar) {
      bar.firstElementChild.style.width = Math.min(100, (100 * used) / m.ballot.limit) + '%';
      bar.classList.toggle('over', used > m.ballot.limit);
      bar.setAttribute('aria-valuenow', String(used));
    }
  } else if (m.ballot.kind === 'cumulative') {
    let used = 0;
    for (const id in sel) used += sel[id] || 0;
    out.textContent = fmt(one('meterPoints', m.ballot.total), m.ballot.total - used, m.ballot.total);
    if (bar) {
      bar.firstElementChild.style.width = Math.min(100, (100 * used) / m.ballot.total) + '%';
      bar.classList.toggle('over', used > m.ballot.total);
      bar.setAttribute('aria-valuenow', String(used));
    }
  } else {
    out.textContent = fmt(T.meterCount, sel.length, m.ballot.max);
  }
}

function readCode() {
  if (state.refused) {
    status('bad', failureText({ code: state.refused }));
    return null;
  }
  if (state.code) return state.code;
  const el = $('code');
  try {
    state.code = parseCode(el.value.trim());
    return state.code;
  } catch (e) {
    const msg = e instanceof CodeError && e.reason === 'check' ? T.codeTypo : e instanceof CodeError && e.reason === 'length' ? T.codeLength : T.codeChar;
    status('bad', msg);
    el.setAttribute('aria-invalid', 'true');
    return null;
  }
}

function review(ev) {
  ev.preventDefault();
  if (state.busy) return;
  status('', '');
  const sel = selection();
  const err = checkLimits(state.manifest, sel);
  if (err) {
    status('bad', limitText(err));
    return;
  }
  if (!readCode()) return;
  state.selection = sel;
  const list = $('review-list');
  list.textContent = '';
  const titles = {};
  for (const p of state.manifest.projects) titles[p.id] = $('title-' + p.id) ? $('title-' + p.id).textContent : p.title;
  const ids = Array.isArray(sel) ? sel : Object.keys(sel).filter((id) => sel[id] > 0);
  for (const id of ids) {
    const li = document.createElement('li');
    li.textContent = Array.isArray(sel) ? titles[id] : fmt(one('pointsFor', sel[id]), titles[id], sel[id]);
    list.appendChild(li);
  }
  $('review-empty').hidden = ids.length > 0;
  show('review');
}

// checkKey asks the server, as soon as the key is derived and before the
// resident chooses, whether a ballot of this code would be taken now (the
// public key only; the code stays here). A used, voided or unknown code
// and a closed round are said at once. Offline, the ballot is checked when
// it is sent.
async function checkKey() {
  const code = state.code;
  let st = null;
  if (!code) return;
  try {
    if (!state.key) state.key = await deriveKey(code, state.manifest.round);
    document.documentElement.dataset.backend = state.key.backend;
    // Only the holder of the code may ask: the request carries the key's
    // signature of "pb-key-status/v1", the round and the key (docs/api.md),
    // so nobody can poll the public roll's keys to see who has voted.
    const pub = b64url(state.key.publicKey);
    const sig = await state.key.sign(utf8('pb-key-status/v1\n' + state.manifest.round + '\n' + pub + '\n'));
    const res = await fetch(data.keyStatus + pub + '?sig=' + b64url(sig), { headers: { accept: 'application/json' }, credentials: 'same-origin' });
    st = await res.json();
    if (state.code !== code) return;
    state.refused = st.state && st.state !== 'ok' ? st.state : '';
    document.documentElement.dataset.key = st.state || 'unknown';
  } catch (e) {
    if (state.code === code) $('code-ok').hidden = false;
    return;
  }
  if (state.refused) {
    $('code-ok').hidden = true;
    $('code-field').hidden = false;
    status('bad', failureText({ code: state.refused }));
    if (state.refused === 'closed') $('ballot').hidden = true;
  } else {
    $('code-ok').hidden = false;
    // Under "last ballot counts" a code may vote again: say so before the choice.
    status(st.voted ? 'warn' : '', st.voted ? T.revote : '');
  }
}

async function submit() {
  if (state.busy) return;
  state.busy = true;
  const btn = $('sign');
  btn.disabled = true;
  status('', T.signing);
  try {
    if (!state.key) state.key = await deriveKey(state.code, state.manifest.round);
    document.documentElement.dataset.backend = state.key.backend;
    // One cast, one cast nonce (docs/record.md §6.1): until the server has
    // answered it, the same choice is resent as the same leaf (a lost answer
    // is then answered with its receipt); a new choice is a new cast.
    const choice = JSON.stringify(state.selection);
    if (!state.pending || state.pending.choice !== choice) {
      state.pending = { choice, ballot: await buildBallot(state.manifest, state.key, state.selection, undefined, data.paper ? 'paper' : '') };
    }
    const b = state.pending.ballot;
    const res = await fetch(data.submit, {
      method: 'POST',
      headers: { 'content-type': 'text/plain; charset=utf-8', accept: 'text/plain, application/json' },
      body: b.leaf,
      credentials: 'same-origin',
    });
    const body = new Uint8Array(await res.arrayBuffer());
    if (!res.ok) {
      let code = '';
      try {
        code = JSON.parse(new TextDecoder().decode(body)).code || '';
      } catch (e) {
        /* not JSON */
      }
      throw Object.assign(new Error('server said ' + res.status), { status: res.status, code });
    }
    await showReceipt(body, b.leaf);
  } catch (e) {
    status('bad', failureText(e));
    // A lost connection or a busy server: the same ballot can be sent again.
    if (!e.status || e.status >= 500) btn.textContent = T.retry;
  } finally {
    state.busy = false;
    btn.disabled = false;
  }
}

function failureText(e) {
  // The server's reason code decides; the status is only a fallback.
  if (e.code === 'used') return T.used;
  if (e.code === 'voided') return T.voided;
  if (e.code === 'superseded') return T.superseded;
  if (e.code === 'too-many-ballots') return T.revoteLimit;
  if (e.code === 'closed') return T.closed;
  if (e.code === 'not-in-roll' || e.status === 403) return T.wrongCode;
  if (e.status === 423 || e.status === 410) return T.closed;
  if (e.status) return fmt(T.serverError, e.status);
  return T.offline;
}

async function showReceipt(bytes, leaf) {
  // Forget the code and key as soon as the ballot is in.
  state.code = null;
  state.key = null;
  state.pending = null;
  const items = $('receipt-checks');
  items.textContent = '';
  const item = (cls, text) => {
    const li = document.createElement('li');
    li.className = cls;
    li.textContent = text;
    items.appendChild(li);
  };
  show('receipt');
  $('js-note').hidden = true;
  $('sign').textContent = T.sign;
  try {
    const v = await verifyReceipt(bytes, state.manifest.logKey, state.manifest);
    if (b64encode(v.leaf) !== b64encode(leaf)) throw Object.assign(new Error('the receipt is for another ballot'), { step: 'ballot' });
    $('tracker').textContent = v.tracker;
    item('ok', T.chkSigned);
    item('ok', fmt(one('chkIncluded', v.size), v.index, v.size));
    item('ok', T.chkLogKey);
    status('ok', T.verified);
    const h = await recordHash(v.leaf);
    const hb = b64url(h);
    const checkURL = data.check + '#' + hb;
    const link = $('check-link');
    if (link) link.href = checkURL;
    const qr = $('receipt-qr');
    if (qr) qr.src = data.qr + '?h=' + hb;
    const dl = $('download');
    if (dl) {
      dl.href = URL.createObjectURL(new Blob([bytes], { type: 'text/plain' }));
      dl.download = v.tracker + '.tlog-proof';
    }
    if (data.kiosk) kioskTimer();
    else {
      try {
        localStorage.setItem(saved, JSON.stringify({ r: b64encode(bytes), l: b64encode(leaf) }));
      } catch (e) {
        /* private mode: the download is the copy */
      }
    }
  } catch (e) {
    item('bad', fmt(T.chkFailed, e.message));
    status('bad', T.notVerified);
  }
}

// The kiosk never keeps a code or receipt on screen: it resets after the
// resident taps Done, or after a minute, or when the tablet is hidden.
let resetTimer = null;
function kioskReset() {
  window.location.replace(window.location.pathname + window.location.search);
}
function kioskTimer() {
  clearTimeout(resetTimer);
  resetTimer = setTimeout(kioskReset, data.kioskSeconds * 1000);
}

// An abandoned kiosk clears itself: after data.kioskIdle seconds without
// input on any step, while a code, a choice, the review or a receipt is on
// screen. The last seconds count down visibly; any input starts over.
let idleLeft = 0;
function kioskActive() {
  idleLeft = data.kioskIdle;
  const w = $('idle-warning');
  if (w && !w.hidden) w.hidden = true;
}
function kioskDirty() {
  return $('code').value !== '' || !!state.code || !$('review').hidden || !$('receipt').hidden ||
    !!document.querySelector('#ballot input:checked') ||
    [...document.querySelectorAll('#ballot input[type=number]')].some((i) => i.value !== '' && i.value !== '0');
}
function kioskIdleTick() {
  if (!kioskDirty()) return kioskActive();
  idleLeft--;
  const warn = Math.min(15, Math.ceil(data.kioskIdle / 2));
  const w = $('idle-warning');
  if (idleLeft <= 0) return kioskReset();
  if (w && idleLeft <= warn) {
    w.textContent = fmt(one('idle', idleLeft), idleLeft);
    w.hidden = false;
  }
}

// fallBack leaves the page to its form (the server derives and signs) when
// this browser cannot do the cryptography, e.g. without Web Crypto on a
// page that is not served over HTTPS. A code from the link goes into the
// form's code field, and out of the address bar.
function fallBack() {
  // Plain HTTP off this machine: the browser withholds its cryptography.
  if (!window.isSecureContext || !globalThis.crypto || !crypto.subtle) {
    $('nojs-note').textContent = T.insecure;
    $('nojs-note').className = 'msg warn';
  }
  const frag = window.location.hash.slice(1);
  if (frag) {
    history.replaceState(null, '', window.location.pathname + window.location.search);
    $('code').value = decodeURIComponent(frag);
  }
}

async function start() {
  try {
    state.manifest = await parseManifest(b64decode(data.manifest));
  } catch (e) {
    fallBack();
    return;
  }
  document.documentElement.classList.add('js');
  // The fingerprint shown is computed here from the manifest this page uses.
  for (const el of document.querySelectorAll('[data-fingerprint]')) el.textContent = state.manifest.fingerprint;
  const frag = window.location.hash.slice(1);
  if (frag) {
    // The code never stays in the address bar, the history or a bookmark.
    history.replaceState(null, '', window.location.pathname + window.location.search);
    try {
      state.code = parseCode(decodeURIComponent(frag));
      $('code-field').hidden = true;
    } catch (e) {
      status('bad', T.codeFromLinkBad);
    }
  }
  $('nojs-note').hidden = true;
  $('js-note').hidden = false;
  const form = $('ballot');
  form.addEventListener('submit', review);
  form.addEventListener('change', tapped);
  form.addEventListener('input', tapped);
  $('code').addEventListener('input', () => {
    state.code = null;
    state.key = null;
    state.pending = null;
    state.refused = '';
    $('code').removeAttribute('aria-invalid');
    // A whole code typed in is checked at once, like one from the link.
    try {
      state.code = parseCode($('code').value.trim());
    } catch (e) {
      return;
    }
    checkKey();
  });
  const another = $('another');
  if (another) {
    another.addEventListener('click', () => {
      $('code').value = '';
      $('code-field').hidden = false;
      $('code-ok').hidden = true;
      for (const el of form.querySelectorAll('input[name=p]')) el.checked = false;
      status('', '');
      show('ballot');
      meter();
    });
  }
  $('back').addEventListener('click', () => {
    status('', '');
    show('ballot');
  });
  $('sign').addEventListener('click', submit);
  // Switching language reloads the page: keep the code in the fragment for
  // that one reload (it is removed again at once) instead of losing it.
  for (const a of document.querySelectorAll('a.lang')) {
    a.addEventListener('click', (ev) => {
      if (!state.code || !$('receipt').hidden) return;
      ev.preventDefault();
      const lang = a.getAttribute('hreflang');
      document.cookie = 'pb_lang=' + lang + '; path=/; max-age=31536000; samesite=lax';
      history.replaceState(null, '', window.location.pathname + '#' + compactCode(state.code));
      window.location.reload();
    });
  }
  const done = $('done');
  if (done) done.addEventListener('click', kioskReset);
  if (data.kiosk) {
    document.addEventListener('visibilitychange', () => {
      if (document.hidden && !$('receipt').hidden) kioskReset();
    });
    if (data.kioskIdle > 0) {
      for (const t of ['input', 'change', 'keydown', 'pointerdown', 'touchstart', 'scroll']) {
        document.addEventListener(t, kioskActive, { passive: true, capture: true });
      }
      kioskActive();
      setInterval(kioskIdleTick, 1000);
    }
  }
  meter();
  // Derive the key and check it while the resident reads the projects.
  if (state.code) checkKey();
  else if (!data.kiosk) {
    // A reload after voting shows the receipt again.
    let kept = null;
    try {
      kept = JSON.parse(localStorage.getItem(saved) || 'null');
    } catch (e) {
      kept = null;
    }
    if (kept) await showReceipt(b64decode(kept.r), b64decode(kept.l));
  }
}

start();
