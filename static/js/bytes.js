// Byte helpers: strict base64 (RFC 4648 §4, docs/record.md §1), UTF-8, SHA-256.

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64V = (() => {
  const v = new Int16Array(128).fill(-1);
  for (let i = 0; i < 64; i++) v[B64.charCodeAt(i)] = i;
  return v;
})();

/** FormatError reports bytes or text that do not follow docs/record.md. */
export class FormatError extends Error {
  constructor(message) {
    super(message);
    this.name = 'FormatError';
  }
}

/** b64encode returns standard padded base64. */
export function b64encode(bytes) {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + B64[n & 63];
  }
  if (bytes.length - i === 1) {
    const n = bytes[i] << 16;
    out += B64[n >> 18] + B64[(n >> 12) & 63] + '==';
  } else if (bytes.length - i === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + '=';
  }
  return out;
}

/**
 * b64decode decodes strict standard base64: it throws a FormatError on
 * characters outside the alphabet, wrong padding or non-zero trailing bits.
 * If want is given, the result must have exactly that many bytes.
 */
export function b64decode(s, want) {
  if (typeof s !== 'string' || s.length % 4 !== 0) throw new FormatError('bad base64 length');
  let pad = 0;
  if (s.endsWith('==')) pad = 2;
  else if (s.endsWith('=')) pad = 1;
  const n = (s.length / 4) * 3 - pad;
  const out = new Uint8Array(n);
  let j = 0;
  for (let i = 0; i < s.length; i += 4) {
    const last = i + 4 === s.length;
    const q = [0, 0, 0, 0];
    for (let k = 0; k < 4; k++) {
      const c = s.charCodeAt(i + k);
      if (last && k >= 4 - pad) {
        if (c !== 61) throw new FormatError('bad base64 padding');
        continue;
      }
      const v = c < 128 ? B64V[c] : -1;
      if (v < 0) throw new FormatError('bad base64 character');
      q[k] = v;
    }
    const x = (q[0] << 18) | (q[1] << 12) | (q[2] << 6) | q[3];
    if (last && pad === 2) {
      if (x & 0xffff) throw new FormatError('non-zero base64 trailing bits');
      out[j++] = x >> 16;
    } else if (last && pad === 1) {
      if (x & 0xff) throw new FormatError('non-zero base64 trailing bits');
      out[j++] = x >> 16;
      out[j++] = (x >> 8) & 255;
    } else {
      out[j++] = x >> 16;
      out[j++] = (x >> 8) & 255;
      out[j++] = x & 255;
    }
  }
  if (want !== undefined && out.length !== want) throw new FormatError('want ' + want + ' bytes, got ' + out.length);
  return out;
}

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

/** utf8 encodes a string as UTF-8. */
export function utf8(s) {
  return enc.encode(s);
}

/** text decodes strict UTF-8; it throws a FormatError on invalid bytes. */
export function text(bytes) {
  try {
    return dec.decode(bytes);
  } catch (e) {
    throw new FormatError('invalid UTF-8');
  }
}

/** concat joins byte arrays. */
export function concat(...parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** equal compares two byte arrays. */
export function equal(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

/** hex writes bytes as lower-case hex. */
export function hex(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
  return s;
}

/** unhex reads lower- or upper-case hex. */
export function unhex(s) {
  if (s.length % 2 || /[^0-9a-fA-F]/.test(s)) throw new FormatError('bad hex');
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(i * 2, 2), 16);
  return out;
}

/** subtle returns crypto.subtle or throws: it exists only in secure contexts (HTTPS or localhost). */
export function subtle() {
  const s = globalThis.crypto && globalThis.crypto.subtle;
  if (!s) throw new Error('this browser offers no Web Crypto here (is the page on HTTPS?)');
  return s;
}

/** sha256 resolves to SHA-256 of the bytes. */
export async function sha256(bytes) {
  return new Uint8Array(await subtle().digest('SHA-256', bytes));
}

/**
 * decimal parses a canonical decimal (docs/record.md §1): 0, or a non-zero
 * digit followed by digits, at most 18 digits. Values above
 * Number.MAX_SAFE_INTEGER are rejected here, since the browser uses Numbers.
 */
export function decimal(s) {
  if (!/^(0|[1-9][0-9]{0,17})$/.test(s)) throw new FormatError('not a canonical decimal: ' + JSON.stringify(s.slice(0, 20)));
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new FormatError('number too large for this browser');
  return n;
}
