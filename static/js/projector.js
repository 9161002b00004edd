// The projector page (/p/ROUND): the meeting's witness of the log. Each new
// checkpoint arrives by server-sent events; it is shown only after its log
// signature and a consistency proof from the checkpoint shown before have
// been checked here (RFC 9162 §2.1.4.2). A failed check stays on screen.

import { b64decode } from './bytes.js';
import { formatFingerprint } from './code.js';
import { parseManifest } from './ballot.js';
import { checkConsistency } from './merkle.js';
import { verifyCheckpoint } from './note.js';

const $ = (id) => document.getElementById(id);
const data = JSON.parse($('pb-data').textContent);
const T = data.texts;
let shown = null; // { size, root }
let manifest = null;
let broken = false;
let queue = Promise.resolve();

function fmt(s, ...args) {
  let i = 0;
  return s.replace(/%[sd]/g, () => String(args[i++]));
}

function say(text, bad) {
  const el = $('status');
  el.textContent = text;
  el.classList.toggle('bad', !!bad);
}

async function accept(noteB64) {
  if (broken) return;
  const first = !shown;
  const note = b64decode(noteB64);
  const cp = await verifyCheckpoint(note, manifest.logKey, [manifest.councilKey]);
  if (shown) {
    if (cp.size < shown.size) return; // an older head arriving late: nothing to show
    let proof = [];
    if (cp.size !== shown.size) {
      const res = await fetch(data.proof + '?old=' + shown.size + '&size=' + cp.size);
      if (!res.ok) throw new Error('proof: HTTP ' + res.status);
      proof = (await res.json()).proof.map((h) => b64decode(h, 32));
    }
    if (!(await checkConsistency(shown.size, shown.root, cp.size, cp.root, proof))) {
      broken = true;
      say(fmt(T.fork, shown.size, cp.size), true);
      return;
    }
  }
  shown = { size: cp.size, root: cp.root };
  $('size').textContent = String(cp.size);
  $('root').textContent = formatFingerprint(cp.root);
  shown.closed = cp.signedBy.indexOf(manifest.councilKey.name) >= 0;
  count();
  $('qr').src = data.qr + '?size=' + cp.size;
  say(fmt(first ? T.first : T.checked, cp.size, new Date().toLocaleTimeString(data.lang === 'da' ? 'da-DK' : 'en-GB')));
}

// count shows the slips voted with (keys with a ballot, not voided; the
// server counts them and sends the number with each checkpoint) and the
// turnout by its one definition: of the slips handed out, whole percent,
// rounded down (core.Turnout).
function count() {
  if (!shown) return;
  const ballots = Math.max(0, data.voters || 0);
  $('ballots').textContent = String(ballots);
  if (data.slips > 0) $('turnout').textContent = Math.floor((100 * Math.min(ballots, data.slips)) / data.slips) + ' %';
}

async function start() {
  manifest = await parseManifest(b64decode(data.manifest));
  for (const el of document.querySelectorAll('[data-fingerprint]')) el.textContent = manifest.fingerprint;
  if (data.checkpoint) await accept(data.checkpoint);
  const es = new EventSource(data.events);
  es.addEventListener('checkpoint', (ev) => {
    let b64 = ev.data;
    try {
      const j = JSON.parse(ev.data);
      b64 = j.note || j.checkpoint;
    } catch (e) {
      /* the data is the b64 note itself */
    }
    queue = queue.then(() => accept(b64)).catch((e) => say(fmt(T.failed, e.message), true));
  });
  es.addEventListener('voters', (ev) => {
    const n = Number(ev.data);
    if (!Number.isInteger(n)) return;
    data.voters = n;
    count();
  });
  es.addEventListener('voids', (ev) => {
    try {
      data.voids = JSON.parse(ev.data);
    } catch (e) {
      return;
    }
    count();
  });
  es.addEventListener('published', () => window.location.reload());
  es.onerror = () => say(T.reconnecting);
}

start().catch((e) => say(fmt(T.failed, e.message), true));
