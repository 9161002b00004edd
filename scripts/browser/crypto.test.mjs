// Real-browser tests of static/js: codes, key derivation, ballot signing,
// trackers, receipts and proofs, in headless chromium with WebCrypto Ed25519
// and with it hidden (the @noble/ed25519 fallback).
//
// Expected values come from (1) ballot/testdata/vector.json, the
// cross-language vector of the Go ballot package, and (2) a fixture written by
// testdata/gen straight from docs/record.md with Go's crypto and x/mod.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { launch, newContext, root, serveStatic } from './lib.mjs';

const fixture = JSON.parse(execFileSync('go', ['run', './scripts/browser/testdata/gen'], { cwd: root, encoding: 'utf8' }));
const vectorPath = path.join(root, 'ballot', 'testdata', 'vector.json');
const ledgerDir = path.join(root, 'tally', 'ledger', 'testdata');
const edgePath = path.join(root, 'ballot', 'testdata', 'ed25519-edge.json');

let browser;
let server;

before(async () => {
  server = await serveStatic({ '/': { body: '<!doctype html><title>t</title>' } });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

// inPage runs fn(arg) in a fresh page of a context with or without WebCrypto Ed25519.
async function inPage(ed25519, fn, arg) {
  const ctx = await newContext(browser, { ed25519 });
  try {
    const page = await ctx.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.url + '/');
    await page.evaluate('window.runVector = ' + runVector.toString());
    const out = await page.evaluate(fn, arg);
    assert.deepEqual(errors, []);
    assert.equal(ctx.__external, undefined, 'no external requests');
    return out;
  } finally {
    await ctx.close();
  }
}

// runVector (run in the page) derives, signs and tracks in the page and returns everything as strings.
async function runVector(v) {
  const [code, bytes, ed, ballot] = await Promise.all([
    import('/static/js/code.js'),
    import('/static/js/bytes.js'),
    import('/static/js/ed25519.js'),
    import('/static/js/ballot.js'),
  ]);
  const codeBytes = code.parseCode(v.code_text);
  const seed = await ed.deriveSeed(codeBytes, v.round);
  const key = await ed.keyFromSeed(seed);
  const choice = v.choice || bytes.text(bytes.b64decode(v.ballot_signed_bytes_b64)).split('\n')[4];
  const signed = ballot.signedBytes(v.round, bytes.b64decode(v.manifest_hash_b64), key.publicKey, choice, bytes.b64decode(v.cast_b64, 16));
  const sig = await key.sign(bytes.b64decode(v.ballot_signed_bytes_b64));
  const verifies = await ed.verify(key.publicKey, bytes.b64decode(v.ballot_signed_bytes_b64), sig);
  const bad = sig.slice();
  bad[10] ^= 1;
  const rejects = !(await ed.verify(key.publicKey, bytes.b64decode(v.ballot_signed_bytes_b64), bad));
  return {
    backend: key.backend,
    code_bytes_hex: bytes.hex(codeBytes),
    code_text: code.formatCode(codeBytes),
    code_compact: code.compactCode(codeBytes),
    compact_parses: bytes.hex(code.parseCode(code.compactCode(codeBytes))),
    lower: bytes.hex(code.parseCode(v.code_text.toLowerCase().replace(/0/g, 'o').replace(/1/g, 'l'))),
    seed_hex: bytes.hex(seed),
    public_key_b64: bytes.b64encode(key.publicKey),
    signed_b64: bytes.b64encode(signed),
    signature_b64: bytes.b64encode(sig),
    tracker: await ballot.tracker(bytes.utf8(v.ballot_leaf)),
    parsed: (() => {
      const b = ballot.parseBallot(bytes.utf8(v.ballot_leaf));
      return { round: b.round, key: bytes.b64encode(b.publicKey), cast: bytes.b64encode(b.cast), sig: bytes.b64encode(b.signature) };
    })(),
    verifies,
    rejects,
  };
}

function assertVector(got, v, backend) {
  assert.equal(got.backend, backend);
  assert.equal(got.code_bytes_hex, v.code_bytes_hex);
  assert.equal(got.code_text, v.code_text);
  assert.equal(got.lower, v.code_bytes_hex);
  assert.equal(got.compact_parses, v.code_bytes_hex);
  if (v.code_compact) assert.equal(got.code_compact, v.code_compact);
  assert.equal(got.seed_hex, v.seed_hex);
  assert.equal(got.public_key_b64, v.public_key_b64);
  assert.equal(got.signed_b64, v.ballot_signed_bytes_b64);
  assert.equal(got.signature_b64, v.signature_b64);
  assert.equal(got.tracker, v.tracker);
  assert.deepEqual(got.parsed, { round: v.round, key: v.public_key_b64, cast: v.cast_b64, sig: v.signature_b64 });
  assert.ok(got.verifies, 'own signature verifies');
  assert.ok(got.rejects, 'flipped signature rejected');
}

for (const [backend, ed25519] of [
  ['webcrypto', true],
  ['noble', false],
]) {
  describe(`browser crypto with ${backend}`, () => {
    it('reproduces the fixture vectors (codes, keys, signed bytes, signatures, trackers)', async () => {
      const got = await inPage(ed25519, async (vs) => {
        const out = [];
        for (const v of vs) out.push(await window.runVector(v));
        return out;
      }, fixture.vectors);
      got.forEach((g, i) => assertVector(g, fixture.vectors[i], backend));
    });

    it('reproduces ballot/testdata/vector.json', async () => {
      const raw = JSON.parse(readFileSync(vectorPath, 'utf8'));
      const vs = Array.isArray(raw) ? raw : raw.vectors || [raw];
      const got = await inPage(ed25519, async (vs) => {
        const out = [];
        for (const v of vs) out.push(await window.runVector(v));
        return out;
      }, vs);
      got.forEach((g, i) => assertVector(g, vs[i], backend));
    });

    it('builds the fixture leaves byte for byte with their cast nonces, and a new cast of the same choice as a new leaf', async () => {
      const got = await inPage(ed25519, async (f) => {
        const [code, bytes, ed, ballot] = await Promise.all([
          import('/static/js/code.js'),
          import('/static/js/bytes.js'),
          import('/static/js/ed25519.js'),
          import('/static/js/ballot.js'),
        ]);
        const m = await ballot.parseManifest(bytes.b64decode(f.manifest_b64));
        const out = [];
        for (const v of f.vectors) {
          const key = await ed.deriveKey(code.parseCode(v.code_text), v.round);
          const sel = v.choice.split(' ').slice(1);
          if (ballot.checkLimits(m, sel)) continue; // outside the fixture manifest's limits
          const b = await ballot.buildBallot(m, key, sel, bytes.b64decode(v.cast_b64, 16));
          const again = await ballot.buildBallot(m, key, sel);
          const other = await ballot.buildBallot(m, key, sel);
          const p1 = ballot.parseBallot(again.leaf);
          const p2 = ballot.parseBallot(other.leaf);
          const lines = (x) => bytes.text(x).split('\n');
          out.push({
            same: bytes.text(b.leaf) === v.ballot_leaf,
            tracker: b.tracker === v.tracker,
            fresh: !bytes.equal(again.leaf, other.leaf) && !bytes.equal(p1.cast, p2.cast) && p1.cast.length === 16,
            verify: (await ballot.verifyBallotSignature(p1)) && (await ballot.verifyBallotSignature(p2)),
            sameChoice: lines(again.leaf)[4] === lines(other.leaf)[4] && lines(again.leaf)[4] === v.choice,
          });
        }
        return out;
      }, fixture);
      assert.ok(got.length >= 4, 'vectors built: ' + got.length);
      for (const g of got) assert.deepEqual(g, { same: true, tracker: true, fresh: true, verify: true, sameChoice: true });
    });

    it('builds the paper ballot of ballot/testdata/vector-paper.json byte for byte ("source paper", §6.1)', async () => {
      const v = JSON.parse(readFileSync(path.join(root, 'ballot', 'testdata', 'vector-paper.json'), 'utf8'));
      const got = await inPage(ed25519, async (v) => {
        const [code, bytes, ed, ballot] = await Promise.all([
          import('/static/js/code.js'),
          import('/static/js/bytes.js'),
          import('/static/js/ed25519.js'),
          import('/static/js/ballot.js'),
        ]);
        const key = await ed.deriveKey(code.parseCode(v.code_text), v.round);
        const lines = v.ballot_leaf.split('\n');
        const signed = ballot.signedBytes(v.round, bytes.b64decode(v.manifest_hash_b64), key.publicKey, lines[4], bytes.b64decode(v.cast_b64, 16), v.source);
        const sig = await key.sign(signed);
        const leaf = bytes.text(signed) + 'sig ' + bytes.b64encode(sig) + '\n';
        const p = ballot.parseBallot(bytes.utf8(v.ballot_leaf));
        const stripped = ballot.parseBallot(bytes.utf8(v.ballot_leaf.replace('source paper\n', '')));
        const rejects = (s) => {
          try {
            ballot.parseBallot(bytes.utf8(s));
            return false;
          } catch (e) {
            return true;
          }
        };
        return {
          signed: bytes.b64encode(signed),
          leaf,
          tracker: await ballot.tracker(bytes.utf8(leaf)),
          source: p.source,
          verifies: await ballot.verifyBallotSignature(p),
          strippedFails: !(await ballot.verifyBallotSignature(stripped)),
          rejectsOther: rejects(v.ballot_leaf.replace('source paper', 'source web')) && rejects(v.ballot_leaf.replace('source paper\n', 'source paper\nsource paper\n')),
        };
      }, v);
      assert.deepEqual(got, {
        signed: v.ballot_signed_bytes_b64,
        leaf: v.ballot_leaf,
        tracker: v.tracker,
        source: 'paper',
        verifies: true,
        strippedFails: true,
        rejectsOther: true,
      });
    });

    it("gives Go's strict verdict on every Ed25519 edge vector (ballot/testdata/ed25519-edge.json)", async () => {
      const edge = JSON.parse(readFileSync(edgePath, 'utf8')).vectors;
      assert.ok(edge.length >= 20);
      const got = await inPage(ed25519, async (vs) => {
        const [bytes, ed] = await Promise.all([import('/static/js/bytes.js'), import('/static/js/ed25519.js')]);
        const out = { backend: (await ed.backend()).name, verdicts: {} };
        for (const v of vs) out.verdicts[v.name] = await ed.verify(bytes.unhex(v.public_key_hex), bytes.unhex(v.message_hex), bytes.unhex(v.signature_hex));
        return out;
      }, edge);
      assert.equal(got.backend, backend);
      assert.deepEqual(got.verdicts, Object.fromEntries(edge.map((v) => [v.name, v.strict])));
    });

    it('rejects mistyped codes', async () => {
      const got = await inPage(ed25519, async (bad) => {
        const code = await import('/static/js/code.js');
        return bad.map((t) => {
          try {
            code.parseCode(t);
            return 'accepted';
          } catch (e) {
            return e.reason;
          }
        });
      }, fixture.bad_codes);
      assert.deepEqual(got, ['check', 'check', 'length', 'length', 'char']);
    });

    it('verifies good receipts and rejects tampered ones at the right step', async () => {
      const got = await inPage(ed25519, async (f) => {
        const [bytes, note, ballot, receipt] = await Promise.all([
          import('/static/js/bytes.js'),
          import('/static/js/note.js'),
          import('/static/js/ballot.js'),
          import('/static/js/receipt.js'),
        ]);
        const m = await ballot.parseManifest(bytes.b64decode(f.manifest_b64));
        const other = Object.assign({}, m, { hash: new Uint8Array(32) });
        const out = [];
        for (const r of f.receipts) {
          try {
            const v = await receipt.verifyReceipt(bytes.utf8(r.receipt), m.logKey, r.step === 'manifest' ? other : m);
            const again = bytes.text(receipt.encodeReceipt(receipt.parseReceipt(bytes.utf8(r.receipt))));
            out.push({ ok: true, tracker: v.tracker, index: v.index, roundtrip: again === r.receipt });
          } catch (e) {
            out.push({ ok: false, step: e.step, message: e.message });
          }
        }
        const vk = await note.parseVkey(f.log_vkey);
        return { out, fingerprint: m.fingerprint, logKeyName: vk.name, projects: m.projects.map((p) => p.id) };
      }, fixture);
      assert.equal(got.fingerprint, fixture.manifest_fingerprint);
      assert.deepEqual(got.projects, ['bench', 'library', 'playground']);
      fixture.receipts.forEach((r, i) => {
        const g = got.out[i];
        if (r.valid) {
          assert.deepEqual(g, { ok: true, tracker: r.tracker, index: r.index, roundtrip: true }, r.name);
        } else {
          assert.equal(g.ok, false, r.name + ' must be rejected');
          assert.equal(g.step, r.step, r.name + ': ' + g.message);
        }
      });
    });

    it('rejects every mutation of a receipt, with a ReceiptError, and parses only canonical bytes', async () => {
      const got = await inPage(ed25519, async (f) => {
        const [bytes, ballot, receipt, code] = await Promise.all([
          import('/static/js/bytes.js'),
          import('/static/js/ballot.js'),
          import('/static/js/receipt.js'),
          import('/static/js/code.js'),
        ]);
        const m = await ballot.parseManifest(bytes.b64decode(f.manifest_b64));
        const good = bytes.utf8(f.receipts.find((r) => r.valid).receipt);
        let seed = 12345;
        const rnd = (n) => {
          seed = (seed * 1103515245 + 12345) % 2147483648;
          return seed % n;
        };
        const out = { tried: 0, accepted: [], wrongError: [], roundtrip: [] };
        for (let i = 0; i < 300; i++) {
          let x = good.slice();
          const pos = rnd(x.length);
          switch (i % 4) {
            case 0: x[pos] ^= 1 << rnd(8); break;
            case 1: x = bytes.concat(x.subarray(0, pos), x.subarray(pos + 1)); break;
            case 2: x = bytes.concat(x.subarray(0, pos), x.subarray(pos, pos + 1), x.subarray(pos)); break;
            default: x = x.subarray(0, pos);
          }
          if (bytes.equal(x, good)) continue;
          out.tried++;
          try {
            await receipt.verifyReceipt(x, m.logKey, m);
            out.accepted.push(i);
          } catch (e) {
            if (e.name !== 'ReceiptError') out.wrongError.push(i + ': ' + e.name + ' ' + e.message);
          }
          try {
            const p = receipt.parseReceipt(x);
            if (!bytes.equal(receipt.encodeReceipt(p), x)) out.roundtrip.push('receipt ' + i);
          } catch (e) {
            if (e.name !== 'FormatError') out.wrongError.push('parse ' + i + ': ' + e.name);
          }
        }
        // Random base64 and code strings: decode(x) succeeds only when encode gives x back.
        const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ ';
        for (let i = 0; i < 2000; i++) {
          let str = '';
          const n = rnd(12);
          for (let k = 0; k < n; k++) str += alphabet[rnd(alphabet.length)];
          try {
            if (bytes.b64encode(bytes.b64decode(str)) !== str) out.roundtrip.push('b64 ' + JSON.stringify(str));
          } catch (e) {
            if (e.name !== 'FormatError') out.wrongError.push('b64 ' + e.name);
          }
        }
        const c = f.vectors[0].code_text.replace(/-/g, '');
        for (let i = 0; i < 500; i++) {
          const arr = c.split('');
          arr[rnd(27)] = code.ALPHABET[rnd(32)];
          const t = arr.join('');
          try {
            if (code.compactCode(code.parseCode(t)) !== t) out.roundtrip.push('code ' + t);
          } catch (e) {
            if (e.name !== 'CodeError') out.wrongError.push('code ' + e.name);
          }
        }
        return out;
      }, fixture);
      assert.ok(got.tried > 250, 'mutations tried: ' + got.tried);
      assert.deepEqual(got.accepted, [], 'mutated receipts accepted');
      assert.deepEqual(got.wrongError, []);
      assert.deepEqual(got.roundtrip, []);
    });

    it('checks inclusion and consistency proofs (RFC 9162)', async () => {
      const got = await inPage(ed25519, async (f) => {
        const [bytes, merkle] = await Promise.all([import('/static/js/bytes.js'), import('/static/js/merkle.js')]);
        const d = (s) => bytes.b64decode(s);
        const inc = [];
        for (const c of f.inclusion) inc.push(await merkle.checkInclusion(c.index, c.size, d(c.leaf_hash), c.proof.map(d), d(c.root)));
        const con = [];
        for (const c of f.consistency) con.push(await merkle.checkConsistency(c.size1, d(c.root1), c.size2, d(c.root2), c.proof.map(d)));
        return { inc, con };
      }, fixture);
      assert.deepEqual(got.inc, fixture.inclusion.map((c) => c.valid));
      assert.deepEqual(got.con, fixture.consistency.map((c) => c.valid));
    });

    it('verifies checkpoints: log signature, council co-signature, origin', async () => {
      const got = await inPage(ed25519, async (f) => {
        const [bytes, note] = await Promise.all([import('/static/js/bytes.js'), import('/static/js/note.js')]);
        const log = await note.parseVkey(f.log_vkey);
        const council = await note.parseVkey(f.council_vkey);
        const fin = await note.verifyCheckpoint(bytes.b64decode(f.final_checkpoint_b64), log, [council]);
        const out = { final: fin.signedBy, size: fin.size, sizes: [] };
        for (const c of f.checkpoints_b64) out.sizes.push((await note.verifyCheckpoint(bytes.b64decode(c), log)).size);
        try {
          await note.parseVkey(f.log_vkey.replace(/\+[0-9a-f]{8}\+/, '+00000000+'));
          out.badHash = 'accepted';
        } catch (e) {
          out.badHash = e.name;
        }
        try {
          await note.verifyCheckpoint(bytes.b64decode(f.final_checkpoint_b64), council);
          out.wrongKey = 'accepted';
        } catch (e) {
          out.wrongKey = e.name;
        }
        return out;
      }, fixture);
      const n = fixture.checkpoints_b64.length;
      assert.deepEqual(got.final, ['pb.example/hornsyld-2026', 'council.example']);
      assert.equal(got.size, n);
      assert.deepEqual(got.sizes, Array.from({ length: n }, (_, i) => i + 1));
      assert.equal(got.badHash, 'FormatError');
      assert.equal(got.wrongKey, 'FormatError');
    });

    const receipts = existsSync(ledgerDir) ? findReceipts(ledgerDir) : [];
    it('verifies the receipts in tally/ledger/testdata', { skip: receipts.length === 0 && 'no receipts in tally/ledger/testdata yet' }, async () => {
      // Each receipt's log key is found in a manifest or anchors file of the same directory.
      for (const r of receipts) {
        const got = await inPage(ed25519, async (r) => {
          const [bytes, note, receipt] = await Promise.all([
            import('/static/js/bytes.js'),
            import('/static/js/note.js'),
            import('/static/js/receipt.js'),
          ]);
          const key = await note.parseVkey(r.vkey);
          const body = bytes.utf8(r.text);
          const res = {};
          try {
            res.tracker = (await receipt.verifyReceipt(body, key)).tracker;
          } catch (e) {
            res.error = e.step + ': ' + e.message;
          }
          // Tamper: flip one byte of the ballot inside extra.
          const p = receipt.parseReceipt(body);
          p.leaf = p.leaf.slice();
          p.leaf[p.leaf.length - 10] ^= 1;
          try {
            await receipt.verifyReceipt(receipt.encodeReceipt(p), key);
            res.tampered = 'accepted';
          } catch (e) {
            res.tampered = e.step;
          }
          return res;
        }, r);
        if (r.valid) {
          assert.equal(got.error, undefined, r.file);
          assert.match(got.tracker, /^[0-9A-Z]{4}-[0-9A-Z]{4}$/);
          if (r.tracker) assert.equal(got.tracker, r.tracker, r.file);
        } else {
          assert.notEqual(got.error, undefined, r.file + ' must be rejected');
        }
        assert.notEqual(got.tampered, 'accepted', r.file + ' tampered must be rejected');
      }
    });
  });
}

// findReceipts walks a directory for *.tlog-proof and receipt*.golden files and pairs each with
// the log vkey found in a sibling anchors.txt or manifest file. Files under
// a directory named "bad" or whose name starts with "bad" must be rejected.
function findReceipts(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.tlog-proof') || /^receipt.*\.golden$/.test(e.name)) {
        const vkey = findVkey(path.dirname(p));
        if (!vkey) continue;
        const bad = /(^|\/)bad/.test(path.relative(dir, p));
        const m = e.name.match(/^([0-9A-Z]{4}-[0-9A-Z]{4})\.tlog-proof$/);
        out.push({ file: path.relative(root, p), text: readFileSync(p, 'utf8'), vkey, valid: !bad, tracker: m && m[1] });
      }
    }
  };
  walk(dir);
  return out;
}

function findVkey(d) {
  for (let dir = d; dir.startsWith(ledgerDir); dir = path.dirname(dir)) {
    for (const f of readdirSync(dir)) {
      if (!/anchors|manifest/.test(f)) continue;
      const p = path.join(dir, f);
      let s;
      try {
        s = readFileSync(p, 'utf8');
      } catch (e) {
        continue;
      }
      const m = s.match(/^log-key (\S+)$/m);
      if (m) return m[1];
    }
  }
  return null;
}
