// Receipts in c2sp.org/tlog-proof@v1 form (docs/record.md §8): parse, encode,
// verify against the log key from the manifest.

import { FormatError, b64decode, b64encode, decimal, equal, text, utf8 } from './bytes.js';
import { parseBallot, tracker, verifyBallotSignature } from './ballot.js';
import { checkInclusion, recordHash } from './merkle.js';
import { verifyCheckpoint } from './note.js';

const HEADER = 'c2sp.org/tlog-proof@v1';

/**
 * parseReceipt parses receipt bytes into { leaf, index, proof: [Uint8Array(32)],
 * checkpoint: Uint8Array (note bytes) }. It throws a FormatError on anything
 * that is not exactly the §8 form.
 */
export function parseReceipt(bytes) {
  const s = text(bytes);
  const end = s.indexOf('\n\n');
  if (end < 0) throw new FormatError('receipt has no checkpoint');
  const lines = s.slice(0, end).split('\n');
  if (lines[0] !== HEADER) throw new FormatError('not a c2sp.org/tlog-proof@v1 receipt');
  if (lines.length < 3 || !lines[1].startsWith('extra ') || !lines[2].startsWith('index ')) throw new FormatError('malformed receipt');
  const leaf = b64decode(lines[1].slice(6));
  const index = decimal(lines[2].slice(6));
  const proof = lines.slice(3).map((l) => b64decode(l, 32));
  const checkpoint = utf8(s.slice(end + 2));
  return { leaf, index, proof, checkpoint };
}

/** encodeReceipt is the inverse of parseReceipt. */
export function encodeReceipt(r) {
  let s = HEADER + '\nextra ' + b64encode(r.leaf) + '\nindex ' + r.index + '\n';
  for (const h of r.proof) s += b64encode(h) + '\n';
  return utf8(s + '\n' + text(r.checkpoint));
}

/** ReceiptError reports a receipt that does not verify; step names the failed check. */
export class ReceiptError extends Error {
  constructor(step, message) {
    super(message);
    this.name = 'ReceiptError';
    this.step = step;
  }
}

/**
 * verifyReceipt checks receipt bytes: the checkpoint verifies under logKey
 * (a parsed vkey, from the manifest) with the log's origin; extra is a
 * canonical ballot leaf whose signature verifies; index < size; the inclusion
 * proof leads from RecordHash(extra) to the checkpoint root. When manifest is
 * given, the ballot's round and manifest hash must match it. It resolves to
 * { tracker, index, size, root, ballot, leaf } or throws a ReceiptError whose
 * step is 'format', 'checkpoint', 'ballot', 'manifest', 'signature' or
 * 'inclusion'.
 */
export async function verifyReceipt(bytes, logKey, manifest) {
  let r;
  try {
    r = parseReceipt(bytes);
  } catch (e) {
    throw new ReceiptError('format', e.message);
  }
  let cp;
  try {
    cp = await verifyCheckpoint(r.checkpoint, logKey);
  } catch (e) {
    throw new ReceiptError('checkpoint', e.message);
  }
  let b;
  try {
    b = parseBallot(r.leaf);
  } catch (e) {
    throw new ReceiptError('ballot', e.message);
  }
  if (manifest && (b.round !== manifest.round || !equal(b.manifest, manifest.hash))) {
    throw new ReceiptError('manifest', 'the ballot is for another round or manifest');
  }
  if (!(await verifyBallotSignature(b))) throw new ReceiptError('signature', 'the ballot signature is invalid');
  if (r.index >= cp.size) throw new ReceiptError('inclusion', 'index beyond the checkpoint');
  const ok = await checkInclusion(r.index, cp.size, await recordHash(r.leaf), r.proof, cp.root);
  if (!ok) throw new ReceiptError('inclusion', 'the inclusion proof does not match the checkpoint');
  return { tracker: await tracker(r.leaf), index: r.index, size: cp.size, root: cp.root, ballot: b, leaf: r.leaf, checkpoint: cp };
}
