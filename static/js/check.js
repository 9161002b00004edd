// The public check page (/check, /check/ROUND#HASH): anyone pastes or
// uploads a receipt, or arrives from a receipt's QR code with the ballot's
// leaf hash in the fragment. Everything is checked here, with the log key
// from the round's manifest: the checkpoint signature, the inclusion proof,
// the ballot signature, and that the log's latest checkpoint still contains
// the receipt's tree (a consistency proof). Without JavaScript the form
// posts the receipt and the server checks it instead.

import { b64decode, b64encode, utf8 } from './bytes.js';
import { formatTracker } from './code.js';
import { parseBallot, parseManifest } from './ballot.js';
import { checkConsistency, checkInclusion } from './merkle.js';
import { verifyCheckpoint } from './note.js';
import { parseReceipt, verifyReceipt } from './receipt.js';

const $ = (id) => document.getElementById(id);
const data = JSON.parse($('pb-data').textContent);
const T = data.texts;

// one picks the singular text key + '.one' when the count n is 1.
function one(key, n) {
  return n === 1 && T[key + '.one'] ? T[key + '.one'] : T[key];
}

function fmt(s, ...args) {
  let i = 0;
  // An amount ends with "kr." in Danish: never "kr.." at a sentence end.
  return s.replace(/%[sd]/g, () => String(args[i++])).replace(/kr\.\./g, 'kr.');
}

function status(kind, msg) {
  const el = $('status');
  el.className = msg ? 'msg ' + kind : '';
  el.textContent = msg || '';
}

function list(id) {
  const ul = $(id);
  ul.textContent = '';
  return (cls, msg) => {
    const li = document.createElement('li');
    li.className = cls;
    li.textContent = msg;
    ul.appendChild(li);
  };
}

async function getManifest(round) {
  const res = await fetch('/rounds/' + encodeURIComponent(round) + '/manifest');
  if (!res.ok) throw new Error(fmt(T.noRound, round));
  return parseManifest(new Uint8Array(await res.arrayBuffer()));
}

// latest fetches and verifies the log's latest checkpoint.
async function latest(m) {
  const res = await fetch('/rounds/' + encodeURIComponent(m.round) + '/checkpoint', { cache: 'no-store' });
  if (!res.ok) throw new Error('HTTP ' + res.status);
  return verifyCheckpoint(new Uint8Array(await res.arrayBuffer()), m.logKey, [m.councilKey]);
}

// stillThere checks that the log's latest checkpoint extends the tree of
// the given size and root, and returns that checkpoint.
async function stillThere(m, size, root) {
  const cp = await latest(m);
  let proof = [];
  if (cp.size !== size) {
    const res = await fetch('/api/rounds/' + encodeURIComponent(m.round) + '/consistency?old=' + size + '&size=' + cp.size);
    if (!res.ok) throw new Error('HTTP ' + res.status);
    proof = (await res.json()).proof.map((h) => b64decode(h, 32));
  }
  if (!(await checkConsistency(size, root, cp.size, cp.root, proof))) throw new Error(T.fork);
  return cp;
}

function choiceText(m, b) {
  const title = {};
  for (const p of m.projects) title[p.id] = p.title;
  if (b.kind === 'approve') return b.approve.length ? b.approve.map((id) => title[id] || id).join(', ') : T.none;
  const ids = Object.keys(b.points);
  return ids.length ? ids.map((id) => (title[id] || id) + ': ' + b.points[id]).join(', ') : T.none;
}

async function checkReceipt(bytes) {
  const add = list('check-items');
  $('check-result').hidden = false;
  $('check-tracker').textContent = '';
  const facts = $('check-facts');
  facts.textContent = '';
  status('', T.checking);
  let round;
  try {
    round = parseBallot(parseReceipt(bytes).leaf).round;
  } catch (e) {
    status('bad', fmt(T.notReceipt, e.message));
    return;
  }
  try {
    const m = await getManifest(round);
    const v = await verifyReceipt(bytes, m.logKey, m);
    $('check-tracker').textContent = v.tracker;
    add('ok', T.chkSigned);
    add('ok', fmt(one('chkIncluded', v.size), v.index, v.size));
    add('ok', T.chkBallotSig);
    const fact = (k, val) => {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = val;
      facts.append(dt, dd);
    };
    fact(T.round, m.title + ' (' + m.round + ')');
    fact(T.choice, choiceText(m, v.ballot));
    fact(T.fingerprint, m.fingerprint);
    try {
      const now = await stillThere(m, v.size, v.root);
      add('ok', fmt(one('chkStill', now.size), now.size));
    } catch (e) {
      add('bad', fmt(T.chkStillFailed, e.message));
      status('bad', T.notVerified);
      return;
    }
    status('ok', T.verified);
  } catch (e) {
    add('bad', fmt(T.chkFailed, e.message));
    status('bad', T.notVerified);
  }
}

// checkHash checks a leaf hash from a receipt QR code: its inclusion in the
// latest checkpoint, without the ballot's content.
async function checkHash(round, hb) {
  $('byhash').hidden = false;
  const add = list('hash-checks');
  status('', T.checking);
  try {
    const h = b64decode(hb.replace(/-/g, '+').replace(/_/g, '/') + '=', 32);
    $('hash-tracker').textContent = formatTracker(h);
    const m = await getManifest(round);
    const cp = await latest(m);
    add('ok', T.chkSigned);
    const q = '?hash=' + encodeURIComponent(b64encode(h)) + '&size=' + cp.size;
    const res = await fetch('/api/rounds/' + encodeURIComponent(round) + '/inclusion' + q);
    if (res.status === 404) throw new Error(T.notInLog);
    if (!res.ok) throw new Error('HTTP ' + res.status);
    const j = await res.json();
    const proof = j.proof.map((x) => b64decode(x, 32));
    if (!(await checkInclusion(j.index, cp.size, h, proof, cp.root))) throw new Error(T.badProof);
    add('ok', fmt(one('chkIncluded', cp.size), j.index, cp.size));
    status('ok', T.verifiedHash);
  } catch (e) {
    add('bad', fmt(T.chkFailed, e.message));
    status('bad', T.notVerified);
  }
}

function start() {
  const form = $('check-form');
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const file = $('receipt-file').files[0];
    let bytes;
    if (file) bytes = new Uint8Array(await file.arrayBuffer());
    else bytes = utf8($('receipt-text').value.replace(/\r\n/g, '\n'));
    await checkReceipt(bytes);
  });
  const frag = window.location.hash.slice(1);
  if (frag && data.round) checkHash(data.round, frag);
}

start();
