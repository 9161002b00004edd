// RFC 6962 Merkle tree hashes and the RFC 9162 §2.1.3.2 and §2.1.4.2 proof
// checks (docs/record.md §7). Sizes and indexes are Numbers (< 2^53); halving
// uses arithmetic, not 32-bit shifts.

import { concat, equal, sha256 } from './bytes.js';

const ZERO = Uint8Array.of(0);
const ONE = Uint8Array.of(1);

/** recordHash resolves to H(0x00 ‖ leaf). */
export function recordHash(leaf) {
  return sha256(concat(ZERO, leaf));
}

/** nodeHash resolves to H(0x01 ‖ left ‖ right). */
export function nodeHash(left, right) {
  return sha256(concat(ONE, left, right));
}

const odd = (n) => n % 2 === 1;
const half = (n) => Math.floor(n / 2);

function isPow2(n) {
  while (n > 1 && n % 2 === 0) n /= 2;
  return n === 1;
}

function checkHashes(list) {
  for (const h of list) if (!(h instanceof Uint8Array) || h.length !== 32) return false;
  return true;
}

/**
 * checkInclusion resolves to true when proof shows that leafHash is leaf index
 * of the tree of the given size and root (RFC 9162 §2.1.3.2).
 */
export async function checkInclusion(index, size, leafHash, proof, root) {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  if (!checkHashes(proof) || !checkHashes([leafHash, root])) return false;
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      r = await nodeHash(p, r);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && equal(r, root);
}

/**
 * checkConsistency resolves to true when proof shows that the tree (size1,
 * root1) is a prefix of the tree (size2, root2) (RFC 9162 §2.1.4.2). Equal
 * sizes need an empty proof and equal roots; size1 = 0 needs an empty proof.
 */
export async function checkConsistency(size1, root1, size2, root2, proof) {
  if (!Number.isSafeInteger(size1) || !Number.isSafeInteger(size2) || size1 < 0 || size1 > size2) return false;
  if (!checkHashes(proof) || !checkHashes([root1, root2])) return false;
  if (size1 === size2) return proof.length === 0 && equal(root1, root2);
  if (size1 === 0) return proof.length === 0;
  let path = proof;
  if (isPow2(size1)) path = [root1].concat(proof);
  if (path.length === 0) return false;
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0];
  let sr = path[0];
  for (let i = 1; i < path.length; i++) {
    const c = path[i];
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && equal(fr, root1) && equal(sr, root2);
}
