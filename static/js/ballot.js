// Manifests (docs/record.md §5) and canonical ballot leaves (§6.1): parse,
// build, sign, check limits; trackers and fingerprints (§3).

import { FormatError, b64decode, b64encode, decimal, sha256, text, utf8 } from './bytes.js';
import { formatFingerprint, formatTracker } from './code.js';
import { recordHash } from './merkle.js';
import { parseNote, parseVkey } from './note.js';
import { verify } from './ed25519.js';

const ID = /^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$/;

/** isID reports whether s is an identifier (docs/record.md §1). */
export function isID(s) {
  return ID.test(s);
}

function cut(line, key) {
  if (!line || !line.startsWith(key + ' ')) throw new FormatError('expected line "' + key + ' …"');
  return line.slice(key.length + 1);
}

function parseBallotKind(s) {
  const f = s.split(' ');
  if (f[0] === 'approval' && f.length === 3) {
    const min = decimal(f[1]);
    const max = decimal(f[2]);
    if (min > max || max < 1) throw new FormatError('bad approval limits');
    return { kind: 'approval', min, max };
  }
  if (f[0] === 'approval-cost' && f.length === 2) {
    const limit = decimal(f[1]);
    if (limit < 1) throw new FormatError('bad cost limit');
    return { kind: 'approval-cost', limit };
  }
  if (f[0] === 'cumulative' && f.length === 3) {
    const total = decimal(f[1]);
    const cap = decimal(f[2]);
    if (cap < 1 || cap > total) throw new FormatError('bad cumulative limits');
    return { kind: 'cumulative', total, cap };
  }
  throw new FormatError('unknown ballot kind');
}

/**
 * parseManifest parses manifest note bytes (leaf 0) without verifying its
 * signature. It resolves to the manifest fields, with hash = H(note bytes),
 * fingerprint (XXXX-XXXX-XXXX-XXXX), logKey and councilKey as parsed vkeys,
 * and projects [{ id, cost, category, title }] in manifest order.
 */
export async function parseManifest(bytes) {
  const note = parseNote(bytes);
  const lines = note.bodyText.slice(0, -1).split('\n');
  if (lines[0] !== 'pb-manifest/v1') throw new FormatError('not a manifest');
  let i = 1;
  const next = (key) => cut(lines[i++], key);
  const m = {};
  m.round = next('round');
  m.community = next('community');
  m.fund = next('fund');
  m.title = next('title');
  m.budget = decimal(next('budget'));
  m.ballot = parseBallotKind(next('ballot'));
  m.rule = next('rule');
  m.tiebreak = next('tiebreak');
  m.revote = next('revote');
  m.logOrigin = next('log-origin');
  m.logKey = await parseVkey(next('log-key'));
  m.councilKey = await parseVkey(next('council-key'));
  const roll = next('roll').split(' ');
  if (roll.length !== 2) throw new FormatError('bad roll line');
  m.rollHash = b64decode(roll[0], 32);
  m.rollCount = decimal(roll[1]);
  if (!isID(m.round)) throw new FormatError('bad round id');
  if (m.logKey.name !== m.logOrigin) throw new FormatError('log key name is not the log origin');
  m.projects = [];
  for (; i < lines.length; i++) {
    const rest = cut(lines[i], 'project');
    const f = rest.split(' ');
    if (f.length < 4) throw new FormatError('bad project line');
    const p = { id: f[0], cost: decimal(f[1]), category: f[2], title: f.slice(3).join(' ') };
    if (!isID(p.id) || !isID(p.category) || p.cost < 1) throw new FormatError('bad project line');
    if (m.projects.length && !(m.projects[m.projects.length - 1].id < p.id)) throw new FormatError('projects out of order');
    m.projects.push(p);
  }
  if (m.projects.length === 0) throw new FormatError('manifest has no projects');
  if (m.ballot.kind === 'approval' && m.ballot.min > m.projects.length) throw new FormatError('bad approval limits');
  const h = await sha256(bytes);
  m.hash = h;
  m.hashB64 = b64encode(h);
  m.fingerprint = formatFingerprint(h);
  m.note = bytes;
  return m;
}

/**
 * choiceLine returns the canonical choice line for a selection. For approval
 * kinds selection is an array of project IDs; for cumulative it is an object
 * { projectID: points }. IDs are sorted; zero-point entries are dropped.
 */
export function choiceLine(kind, selection) {
  if (kind === 'cumulative') {
    const ids = Object.keys(selection).filter((id) => selection[id] > 0).sort();
    return ['points'].concat(ids.map((id) => id + ':' + selection[id])).join(' ');
  }
  const ids = selection.slice().sort();
  for (let k = 1; k < ids.length; k++) if (ids[k] === ids[k - 1]) throw new FormatError('duplicate project');
  return ['approve'].concat(ids).join(' ');
}

/**
 * checkLimits returns null when the selection is valid for the manifest, or
 * { reason, … } saying why not: 'unknown', 'too-few', 'too-many',
 * 'over-budget', 'over-cap', 'over-total'.
 */
export function checkLimits(m, selection) {
  const cost = {};
  for (const p of m.projects) cost[p.id] = p.cost;
  const b = m.ballot;
  if (b.kind === 'cumulative') {
    let sum = 0;
    for (const id of Object.keys(selection)) {
      const v = selection[id];
      if (!(id in cost)) return { reason: 'unknown', id };
      if (!Number.isSafeInteger(v) || v < 0) return { reason: 'unknown', id };
      if (v > b.cap) return { reason: 'over-cap', id, cap: b.cap };
      sum += v;
    }
    if (sum > b.total) return { reason: 'over-total', sum, total: b.total };
    return null;
  }
  let total = 0;
  for (const id of selection) {
    if (!(id in cost)) return { reason: 'unknown', id };
    total += cost[id];
  }
  if (b.kind === 'approval') {
    if (selection.length < b.min) return { reason: 'too-few', min: b.min, count: selection.length };
    if (selection.length > b.max) return { reason: 'too-many', max: b.max, count: selection.length };
  } else if (total > b.limit) {
    return { reason: 'over-budget', total, limit: b.limit };
  }
  return null;
}

/** CAST_SIZE is the length in bytes of a ballot's cast nonce (docs/record.md §6.1). */
export const CAST_SIZE = 16;

/** newCast returns a fresh random cast nonce: one for each cast, kept for resending it. */
export function newCast() {
  return crypto.getRandomValues(new Uint8Array(CAST_SIZE));
}

/** SOURCE_PAPER is the one source a ballot leaf may name: "source paper" marks a ballot entered from paper (§6.1). */
export const SOURCE_PAPER = 'paper';

/**
 * signedBytes returns the bytes a ballot signature covers (cast is the
 * 16-byte cast nonce; source is '' or SOURCE_PAPER, which adds the line
 * "source paper" after the cast line).
 */
export function signedBytes(round, manifestHash, publicKey, choice, cast, source = '') {
  if (!(cast instanceof Uint8Array) || cast.length !== CAST_SIZE) throw new FormatError('cast nonce must be 16 bytes');
  if (source !== '' && source !== SOURCE_PAPER) throw new FormatError('unknown ballot source');
  return utf8(
    'pb-ballot/v1\nround ' + round + '\nmanifest ' + b64encode(manifestHash) + '\nkey ' + b64encode(publicKey) + '\n' + choice +
      '\ncast ' + b64encode(cast) + '\n' + (source ? 'source ' + source + '\n' : ''),
  );
}

/**
 * buildBallot signs a ballot for manifest m with a key from keyFromSeed and
 * resolves to { leaf: Uint8Array, signed: Uint8Array, signature, tracker }.
 * cast is the cast nonce (a fresh random one when omitted): a new cast
 * needs a new nonce, a resend of a cast must send the same leaf. source is
 * SOURCE_PAPER for a ballot a kiosk in paper mode enters from paper.
 */
export async function buildBallot(m, key, selection, cast = newCast(), source = '') {
  const err = checkLimits(m, selection);
  if (err) throw new FormatError('ballot outside the limits: ' + err.reason);
  const kind = m.ballot.kind === 'cumulative' ? 'cumulative' : 'approval';
  const signed = signedBytes(m.round, m.hash, key.publicKey, choiceLine(kind, selection), cast, source);
  const signature = await key.sign(signed);
  const leaf = utf8(text(signed) + 'sig ' + b64encode(signature) + '\n');
  return { leaf, signed, signature, tracker: await tracker(leaf) };
}

/**
 * parseBallot parses canonical ballot leaf bytes into { round, manifest,
 * publicKey, kind: 'approve'|'points', approve: [ids] | points: {id: n},
 * cast, source ('' or 'paper'), signed, signature }. Re-encoding must give
 * the same bytes.
 */
export function parseBallot(bytes) {
  const s = text(bytes);
  const lines = s.split('\n');
  // Seven lines, or eight with "source paper" after the cast line.
  const n = lines.length - 1;
  if ((n !== 7 && n !== 8) || lines[n] !== '' || lines[0] !== 'pb-ballot/v1') throw new FormatError('not a ballot leaf');
  const b = {};
  b.round = cut(lines[1], 'round');
  b.manifest = b64decode(cut(lines[2], 'manifest'), 32);
  b.publicKey = b64decode(cut(lines[3], 'key'), 32);
  b.cast = b64decode(cut(lines[5], 'cast'), CAST_SIZE);
  b.source = '';
  if (n === 8) {
    if (lines[6] !== 'source ' + SOURCE_PAPER) throw new FormatError('bad source line');
    b.source = SOURCE_PAPER;
  }
  b.signature = b64decode(cut(lines[n - 1], 'sig'), 64);
  const f = lines[4].split(' ');
  if (f[0] === 'approve') {
    b.kind = 'approve';
    b.approve = f.slice(1);
    for (const id of b.approve) if (!isID(id)) throw new FormatError('bad project id');
    for (let k = 1; k < b.approve.length; k++) if (!(b.approve[k - 1] < b.approve[k])) throw new FormatError('project ids not ascending');
  } else if (f[0] === 'points') {
    b.kind = 'points';
    b.points = {};
    let prev = '';
    for (const item of f.slice(1)) {
      const c = item.indexOf(':');
      const id = item.slice(0, c);
      if (c < 0 || !isID(id) || !(prev < id)) throw new FormatError('bad points entry');
      const v = decimal(item.slice(c + 1));
      if (v < 1) throw new FormatError('zero points entry');
      b.points[id] = v;
      prev = id;
    }
  } else {
    throw new FormatError('bad choice line');
  }
  if (!isID(b.round)) throw new FormatError('bad round id');
  const signedText = lines.slice(0, n - 1).join('\n') + '\n';
  b.signed = utf8(signedText);
  const again = signedText + 'sig ' + b64encode(b.signature) + '\n';
  if (again !== s) throw new FormatError('ballot leaf is not canonical');
  return b;
}

/** verifyBallotSignature resolves to true when the leaf's signature verifies under its key. */
export function verifyBallotSignature(b) {
  return verify(b.publicKey, b.signed, b.signature);
}

/** tracker resolves to the leaf's short tracker XXXX-XXXX (first 5 bytes of RecordHash(leaf)). */
export async function tracker(leaf) {
  return formatTracker(await recordHash(leaf));
}
