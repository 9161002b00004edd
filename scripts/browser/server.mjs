// Builds and runs the real pbserver (and pbverify) for the browser flows:
// each server gets its own temporary data directory on 127.0.0.1.

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { root } from './lib.mjs';

let built = null;

/**
 * build compiles pbserver and pbverify once and returns their paths;
 * PB_SERVER_BIN names a prebuilt pbserver instead, and with PB_VERIFY_BIN
 * also set nothing is compiled.
 */
export function build() {
  if (built) return built;
  // Both prebuilt (a build of one commit while the checkout is being edited): nothing to compile.
  if (process.env.PB_SERVER_BIN && process.env.PB_VERIFY_BIN) {
    built = { pbserver: process.env.PB_SERVER_BIN, pbverify: process.env.PB_VERIFY_BIN };
    return built;
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'pb-bin-'));
  for (const cmd of ['pbserver', 'pbverify']) {
    execFileSync('go', ['build', '-o', path.join(dir, cmd), './cmd/' + cmd], { cwd: root, stdio: 'inherit' });
  }
  built = { dir, pbserver: process.env.PB_SERVER_BIN || path.join(dir, 'pbserver'), pbverify: path.join(dir, 'pbverify') };
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return built;
}

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
    s.on('error', fail);
  });
}

export const ADMIN = { name: 'admin', password: 'borgermøde-2026-test' };

/**
 * startServer runs pbserver on a free port with a fresh data directory and
 * resolves to { url, stop, log } once it answers; extra are more flags
 * (such as '-demo', which seeds the demo municipality first).
 */
export async function startServer(extra = []) {
  const { pbserver } = build();
  const port = await freePort();
  const data = mkdtempSync(path.join(tmpdir(), 'pb-data-'));
  const url = 'http://127.0.0.1:' + port;
  const env = { ...process.env, PB_ADMIN_PASSWORD: ADMIN.password, PB_ADMIN_NAME: ADMIN.name };
  const proc = spawn(pbserver, ['-addr', '127.0.0.1:' + port, '-data', data, '-base-url', url, '-batch', '50ms', ...extra], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  proc.stdout.on('data', (b) => (log += b));
  proc.stderr.on('data', (b) => (log += b));
  let exited = false;
  proc.on('exit', () => (exited = true));
  for (let i = 0; ; i++) {
    if (exited) throw new Error('pbserver exited:\n' + log);
    try {
      const res = await fetch(url + '/api/rounds');
      if (res.ok) break;
    } catch (e) {
      /* not up yet */
    }
    if (i > (extra.length ? 1200 : 200)) throw new Error('pbserver did not answer:\n' + log);
    await new Promise((ok) => setTimeout(ok, 50));
  }
  const stop = async () => {
    if (!exited) {
      proc.kill('SIGTERM');
      await new Promise((ok) => proc.on('exit', ok));
    }
    rmSync(data, { recursive: true, force: true });
  };
  return { url, stop, log: () => log, data };
}

/** pbverify runs the verifier and returns { code, out }. */
export function pbverify(args) {
  const { pbverify: bin } = build();
  try {
    const out = execFileSync(bin, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { code: 0, out };
  } catch (e) {
    return { code: e.status, out: (e.stdout || '') + (e.stderr || '') };
  }
}

/** zbar decodes every QR code in a PNG file. */
export function zbar(file) {
  const out = execFileSync('zbarimg', ['--raw', '-q', '-Sdisable', '-Sqrcode.enable', file], { encoding: 'utf8' });
  return out.split('\n').filter(Boolean);
}
