// The vendored @noble/ed25519 in static/vendor must be the pinned npm package, unmodified.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { here, root } from './lib.mjs';

it('static/vendor/noble-ed25519 equals the pinned npm package', () => {
  const pkg = path.join(here, 'node_modules', '@noble', 'ed25519');
  const want = JSON.parse(readFileSync(path.join(here, 'package.json'), 'utf8')).devDependencies['@noble/ed25519'];
  assert.equal(JSON.parse(readFileSync(path.join(pkg, 'package.json'), 'utf8')).version, want);
  for (const f of ['index.js', 'LICENSE']) {
    assert.ok(readFileSync(path.join(pkg, f)).equals(readFileSync(path.join(root, 'static', 'vendor', 'noble-ed25519', f))), f);
  }
});

it('static/vendor/jsqr equals the pinned npm package', () => {
  const pkg = path.join(here, 'node_modules', 'jsqr');
  const want = JSON.parse(readFileSync(path.join(here, 'package.json'), 'utf8')).devDependencies.jsqr;
  assert.equal(JSON.parse(readFileSync(path.join(pkg, 'package.json'), 'utf8')).version, want);
  for (const [from, to] of [['dist/jsQR.js', 'jsQR.js'], ['LICENSE', 'LICENSE']]) {
    assert.ok(readFileSync(path.join(pkg, from)).equals(readFileSync(path.join(root, 'static', 'vendor', 'jsqr', to))), from);
  }
});
