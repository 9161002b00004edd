// Ed25519 keys from voting codes (docs/record.md §3) and strict signature checks.
//
// WebCrypto Ed25519 is used when the browser has it (checked once against the
// RFC 8032 test vector 1); otherwise the vendored @noble/ed25519 is loaded on
// demand and used in strict mode (zip215: false). HKDF and SHA-512 always come
// from WebCrypto.

import { b64decode, concat, equal, hex, subtle, unhex, utf8 } from './bytes.js';

const PKCS8_PREFIX = unhex('302e020100300506032b657004220420');
const ED = { name: 'Ed25519' };

// RFC 8032 §7.1 test 1.
const KAT_SEED = unhex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
const KAT_PUB = unhex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');

let backendPromise = null;
let forced = null;

/**
 * useBackend forces 'webcrypto' or 'noble' (tests and diagnostics); null
 * returns to feature detection.
 */
export function useBackend(name) {
  forced = name;
  backendPromise = null;
}

function b64url(s) {
  let t = s.replace(/-/g, '+').replace(/_/g, '/');
  while (t.length % 4) t += '=';
  return b64decode(t);
}

async function webcryptoPublic(seed) {
  const key = await subtle().importKey('pkcs8', concat(PKCS8_PREFIX, seed), ED, true, ['sign']);
  const jwk = await subtle().exportKey('jwk', key);
  return { key, publicKey: b64url(jwk.x) };
}

async function detectWebCrypto() {
  try {
    const { publicKey } = await webcryptoPublic(KAT_SEED);
    return equal(publicKey, KAT_PUB);
  } catch (e) {
    return false;
  }
}

async function loadNoble() {
  const ed = await import('../vendor/noble-ed25519/index.js');
  return ed;
}

/**
 * backend resolves to the implementation in use: { name: 'webcrypto' } or
 * { name: 'noble', ed }.
 */
export function backend() {
  if (!backendPromise) {
    backendPromise = (async () => {
      if (forced !== 'noble' && (forced === 'webcrypto' || (await detectWebCrypto()))) return { name: 'webcrypto' };
      return { name: 'noble', ed: await loadNoble() };
    })();
  }
  return backendPromise;
}

/**
 * deriveSeed returns HKDF-SHA256(ikm = code bytes, salt = "pb-vote/v1/" ‖ round,
 * info = "ed25519 seed", L = 32).
 */
export async function deriveSeed(codeBytes, round) {
  const ikm = await subtle().importKey('raw', codeBytes, 'HKDF', false, ['deriveBits']);
  const bits = await subtle().deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt: utf8('pb-vote/v1/' + round), info: utf8('ed25519 seed') },
    ikm,
    256,
  );
  return new Uint8Array(bits);
}

/**
 * keyFromSeed returns { publicKey: Uint8Array(32), sign(msg) → Promise<Uint8Array(64)>, backend }.
 * The seed stays inside the returned closure.
 */
export async function keyFromSeed(seed) {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) throw new TypeError('an Ed25519 seed is 32 bytes');
  const b = await backend();
  if (b.name === 'webcrypto') {
    const { key, publicKey } = await webcryptoPublic(seed);
    return {
      publicKey,
      backend: b.name,
      sign: async (msg) => new Uint8Array(await subtle().sign(ED, key, msg)),
    };
  }
  const s = seed.slice();
  return {
    publicKey: await b.ed.getPublicKeyAsync(s),
    backend: b.name,
    sign: (msg) => b.ed.signAsync(msg, s),
  };
}

/** deriveKey derives the round's key pair from 16 code bytes. */
export async function deriveKey(codeBytes, round) {
  return keyFromSeed(await deriveSeed(codeBytes, round));
}

// The project's signature rule is Go's ballot.CheckKey (the key is the
// canonical encoding of a point not of small order) and then
// crypto/ed25519.Verify (S < L, and the cofactorless [S]B = R + [k]A
// checked by re-encoding [S]B - [k]A and comparing it with R's bytes).
// ballot/testdata/ed25519-edge.json holds the edge cases with Go's verdicts;
// scripts/browser/crypto.test.mjs checks both paths against them. Neither
// browser path gives that rule alone:
//  - Chromium's WebCrypto (BoringSSL) answers like crypto/ed25519.Verify,
//    which accepts small-order keys and keys encoded with y >= p when the
//    equation holds, so strictKey() refuses those first;
//  - @noble/ed25519 with zip215: false refuses those keys, non-canonical R
//    and S >= L, but checks the cofactored equation [8][S]B = [8]R + [8][k]A,
//    which accepts mixed-order keys or R that Go refuses, so the fallback
//    also checks the cofactorless equation itself.
// S < L is checked here too, before either path.

const L = (1n << 252n) + 27742317777372353535851937790883648493n;
const P = (1n << 255n) - 19n;

// The encodings of small-order points that are not refused by y >= p: the
// eight canonical ones and x = -0 for y = 1 and y = -1.
const SMALL_ORDER = [
  '0100000000000000000000000000000000000000000000000000000000000000',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0000000000000000000000000000000000000000000000000000000000000080',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
  '0100000000000000000000000000000000000000000000000000000000000080',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
];

function le(bytes) {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]);
  return n;
}

// strictKey: y < p and not a small-order point (ballot.CheckKey; a key that is
// not on the curve at all is refused by both paths).
function strictKey(publicKey) {
  const y = le(publicKey) & ((1n << 255n) - 1n);
  if (y >= P) return false;
  const h = hex(publicKey);
  return !SMALL_ORDER.includes(h);
}

// cofactorless checks [S]B - [k]A == R byte for byte with noble's points.
async function cofactorless(ed, publicKey, msg, sig) {
  const A = ed.Point.fromBytes(publicKey, false);
  const k = le(new Uint8Array(await subtle().digest('SHA-512', concat(sig.subarray(0, 32), publicKey, msg)))) % L;
  const R = ed.Point.BASE.multiply(le(sig.subarray(32)), false).subtract(A.multiply(k, false));
  return equal(R.toBytes(), sig.subarray(0, 32));
}

/**
 * verify resolves to true when sig is a valid strict Ed25519 signature by the
 * 32-byte public key over msg, by the rule above. Malformed inputs give
 * false, never an exception.
 */
export async function verify(publicKey, msg, sig) {
  if (publicKey.length !== 32 || sig.length !== 64) return false;
  if (le(sig.subarray(32)) >= L || !strictKey(publicKey)) return false;
  const b = await backend();
  if (b.name === 'webcrypto') {
    try {
      const key = await subtle().importKey('raw', publicKey, ED, false, ['verify']);
      return await subtle().verify(ED, key, sig, msg);
    } catch (e) {
      return false;
    }
  }
  try {
    return (await b.ed.verifyAsync(sig, msg, publicKey, { zip215: false })) && (await cofactorless(b.ed, publicKey, msg, sig));
  } catch (e) {
    return false;
  }
}
