// Headless Chromium for the browser tests and the benchmark: the development server (as
// `./build.sh demo` runs it) and a headless Chromium with a fresh profile.
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { IMAGES, MODELS, REFERENCE, ROOT } from '../tests/node/data.mjs';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

/**
 * Starts www/serve.mjs on a free port; resolves to { base, stop, requests }. `extra` are more
 * www/serve.mjs options (e.g. ['--no-isolation'], ['--csp']); later options override earlier ones
 * (node:util parseArgs keeps the last). `requests` lists every request served so far, as
 * { method, path, status } (browser-neutral download counting).
 */
export async function serve(extra = []) {
  const server = spawn(process.execPath, [join(ROOT, 'www/serve.mjs'), '--port', '0', '--models', MODELS,
    '--images', IMAGES, '--reference', REFERENCE, '--log-requests', ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
  const requests = [];
  const base = await new Promise((resolve, reject) => {
    let out = '';
    let pending = '';
    server.stdout.on('data', (d) => {
      if (out !== null) {
        out += d;
        const m = out.match(/serving (http:\/\/\S+)/);
        if (m) { out = null; resolve(m[1]); }
      }
      const lines = (pending + d).split('\n');
      pending = lines.pop();
      for (const line of lines) {
        const r = line.match(/^request (\S+) (\S+) (\d+)$/);
        if (r) requests.push({ method: r[1], path: r[2], status: Number(r[3]) });
      }
    });
    server.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { base, requests, stop: () => server.kill() };
}

/** A headless Chromium with a fresh profile. */
export async function browser(extraArgs = []) {
  return chromium.launchPersistentContext(await mkdtemp(join(tmpdir(), 'chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
  });
}
