// Voting codes, trackers and fingerprints in Crockford base32 (docs/record.md §3).
//
// A voting code is 16 random bytes written as 26 Crockford digits (128 bits
// plus two zero padding bits) and a 27th check digit c such that, reading the
// digit values d_0 … d_26 as elements of GF(32) = GF(2)[x]/(x⁵+x²+1) and α = x,
// Σ α^(26−i)·d_i = 0.

export const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

const VALUE = (() => {
  const v = {};
  for (let i = 0; i < ALPHABET.length; i++) v[ALPHABET[i]] = i;
  v.O = 0;
  v.I = 1;
  v.L = 1;
  return v;
})();

/** CodeError reports why a typed code was rejected: reason is 'length', 'char', 'check' or 'padding'. */
export class CodeError extends Error {
  constructor(reason, message) {
    super(message);
    this.name = 'CodeError';
    this.reason = reason;
  }
}

// mulx multiplies a GF(32) element by α = x modulo x⁵+x²+1.
function mulx(a) {
  a <<= 1;
  return a & 32 ? a ^ 0x25 : a;
}

// horner evaluates Σ α^(n−1−i)·d_i over the digit values.
function horner(digits) {
  let acc = 0;
  for (let i = 0; i < digits.length; i++) acc = mulx(acc) ^ digits[i];
  return acc;
}

/** checkDigit returns the check digit value for 26 data digit values. */
export function checkDigit(digits) {
  return mulx(horner(digits));
}

/**
 * crockford writes bytes, most significant bit first and zero-padded to a
 * multiple of 5 bits, as Crockford digits (upper case).
 */
export function crockford(bytes) {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < bytes.length; i++) {
    acc = (acc << 8) | bytes[i];
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(acc >> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(acc << (5 - bits)) & 31];
  return out;
}

/** group inserts a hyphen after every fourth character. */
export function group(s) {
  const parts = [];
  for (let i = 0; i < s.length; i += 4) parts.push(s.slice(i, i + 4));
  return parts.join('-');
}

/** compactCode returns the canonical 27-character form of 16 code bytes. */
export function compactCode(bytes) {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 16) throw new TypeError('a voting code is 16 bytes');
  const data = crockford(bytes);
  const digits = [];
  for (let i = 0; i < data.length; i++) digits.push(VALUE[data[i]]);
  return data + ALPHABET[checkDigit(digits)];
}

/** formatCode returns the printed form XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXX. */
export function formatCode(bytes) {
  return group(compactCode(bytes));
}

/**
 * parseCode reads a typed or scanned voting code and returns its 16 bytes.
 * It removes spaces and hyphens, upper-cases ASCII letters, maps O to 0 and
 * I, L to 1, then requires 27 digits, a valid check digit and zero padding.
 * It throws a CodeError otherwise.
 */
export function parseCode(text) {
  const s = String(text).replace(/[ -]/g, '').replace(/[a-z]/g, (c) => c.toUpperCase());
  if (s.length !== 27) throw new CodeError('length', 'a voting code has 27 characters, got ' + s.length);
  const digits = [];
  for (let i = 0; i < 27; i++) {
    const v = VALUE[s[i]];
    if (v === undefined) throw new CodeError('char', 'character ' + (i + 1) + ' is not a code character');
    digits.push(v);
  }
  if (horner(digits) !== 0) throw new CodeError('check', 'the check character does not match');
  if (digits[25] & 3) throw new CodeError('padding', 'the code has non-zero padding bits');
  const out = new Uint8Array(16);
  let acc = 0;
  let bits = 0;
  let j = 0;
  for (let i = 0; i < 26; i++) {
    acc = (acc << 5) | digits[i];
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[j++] = (acc >> bits) & 255;
      acc &= (1 << bits) - 1;
    }
  }
  return out;
}

/** formatTracker returns the 5-byte tracker prefix as XXXX-XXXX. */
export function formatTracker(first5) {
  return group(crockford(first5.subarray(0, 5)));
}

/** formatFingerprint returns the 10-byte fingerprint prefix as XXXX-XXXX-XXXX-XXXX. */
export function formatFingerprint(first10) {
  return group(crockford(first10.subarray(0, 10)));
}
