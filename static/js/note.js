// C2SP signed notes with Ed25519 keys, verifier keys and checkpoints
// (docs/record.md §2 and §7).

import { FormatError, b64decode, concat, decimal, equal, sha256, text, utf8 } from './bytes.js';
import { verify } from './ed25519.js';

const DASH = '\u2014 ';

function validName(name) {
  return name.length > 0 && !/[\s+\u0000-\u001f\u007f]/.test(name);
}

/**
 * parseVkey parses "<name>+<hash>+<b64(0x01 ‖ key)>" and checks that hash is
 * the first 4 bytes of H(name ‖ LF ‖ 0x01 ‖ key). It resolves to
 * { name, hash: Uint8Array(4), publicKey: Uint8Array(32), text } or throws a FormatError.
 */
export async function parseVkey(vkey) {
  const i = vkey.indexOf('+');
  const j = i < 0 ? -1 : vkey.indexOf('+', i + 1);
  if (i < 0 || j < 0) throw new FormatError('malformed verifier key');
  const name = vkey.slice(0, i);
  const hashHex = vkey.slice(i + 1, j);
  if (!validName(name)) throw new FormatError('malformed verifier key name');
  if (!/^[0-9a-f]{8}$/.test(hashHex)) throw new FormatError('malformed verifier key hash');
  const raw = b64decode(vkey.slice(j + 1), 33);
  if (raw[0] !== 1) throw new FormatError('verifier key is not Ed25519');
  const want = (await sha256(concat(utf8(name + '\n'), raw))).subarray(0, 4);
  const hash = new Uint8Array(4);
  for (let k = 0; k < 4; k++) hash[k] = parseInt(hashHex.substr(k * 2, 2), 16);
  if (!equal(hash, want)) throw new FormatError('verifier key hash does not match its key');
  return { name, hash, publicKey: raw.subarray(1), text: vkey };
}

/**
 * parseNote splits note bytes into { body: Uint8Array, bodyText, sigs: [{ name,
 * hash: Uint8Array(4), sig: Uint8Array }] } without checking any signature.
 */
export function parseNote(bytes) {
  const s = text(bytes);
  if (/[\u0000-\u0009\u000b-\u001f\u007f]/.test(s)) throw new FormatError('note has control characters');
  const split = s.lastIndexOf('\n\n');
  if (split < 0) throw new FormatError('note has no signature block');
  const bodyText = s.slice(0, split + 1);
  const sigText = s.slice(split + 2);
  if (bodyText.length < 2 || sigText.length === 0 || !sigText.endsWith('\n')) throw new FormatError('malformed note');
  const sigs = [];
  for (const line of sigText.slice(0, -1).split('\n')) {
    if (!line.startsWith(DASH)) throw new FormatError('malformed signature line');
    const rest = line.slice(DASH.length);
    const sp = rest.indexOf(' ');
    if (sp <= 0 || rest.indexOf(' ', sp + 1) >= 0) throw new FormatError('malformed signature line');
    const name = rest.slice(0, sp);
    if (!validName(name)) throw new FormatError('malformed signature name');
    const raw = b64decode(rest.slice(sp + 1));
    if (raw.length < 5) throw new FormatError('signature too short');
    sigs.push({ name, hash: raw.subarray(0, 4), sig: raw.subarray(4) });
  }
  return { body: utf8(bodyText), bodyText, sigs };
}

/** NoteError reports a note that fails to verify: reason is 'unsigned' or 'bad-signature'. */
export class NoteError extends Error {
  constructor(reason, message) {
    super(message);
    this.name = 'NoteError';
    this.reason = reason;
  }
}

/**
 * verifyNote checks note bytes against known parsed verifier keys. It
 * resolves to { bodyText, body, signedBy: [names] } when at least one known
 * key signed and every known key's signature verifies; signature lines of
 * unknown keys are ignored. Otherwise it throws a NoteError or FormatError.
 */
export async function verifyNote(bytes, vkeys) {
  const n = parseNote(bytes);
  const signedBy = [];
  for (const s of n.sigs) {
    const k = vkeys.find((v) => v.name === s.name && equal(v.hash, s.hash));
    if (!k) continue;
    if (!(await verify(k.publicKey, n.body, s.sig))) throw new NoteError('bad-signature', 'invalid signature by ' + k.name);
    if (signedBy.indexOf(k.name) < 0) signedBy.push(k.name);
  }
  if (signedBy.length === 0) throw new NoteError('unsigned', 'no signature by a known key');
  return { bodyText: n.bodyText, body: n.body, signedBy };
}

/**
 * parseCheckpoint parses a checkpoint body (exactly origin, size, b64 root)
 * into { origin, size, root }.
 */
export function parseCheckpoint(bodyText) {
  const lines = bodyText.split('\n');
  if (lines.length !== 4 || lines[3] !== '') throw new FormatError('a checkpoint body has exactly three lines');
  if (!validName(lines[0])) throw new FormatError('bad checkpoint origin');
  return { origin: lines[0], size: decimal(lines[1]), root: b64decode(lines[2], 32) };
}

/**
 * verifyCheckpoint verifies a checkpoint note: the log key must have signed
 * it, its origin must be the log key's name, and any other known key that
 * signed it (the council, on the final checkpoint) must verify too. It
 * resolves to { origin, size, root, signedBy, note }.
 */
export async function verifyCheckpoint(bytes, logKey, otherKeys) {
  const v = await verifyNote(bytes, [logKey].concat(otherKeys || []));
  if (v.signedBy.indexOf(logKey.name) < 0) throw new NoteError('unsigned', 'checkpoint not signed by the log');
  const cp = parseCheckpoint(v.bodyText);
  if (cp.origin !== logKey.name) throw new FormatError('checkpoint origin is not the log');
  return { origin: cp.origin, size: cp.size, root: cp.root, signedBy: v.signedBy, note: bytes };
}
