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

/** Starts www/serve.mjs on a free port; resolves to { base, stop }. */
/** Later options override earlier ones (node:util parseArgs keeps the last). */
export async function serve(extra = []) {
  const server = spawn(process.execPath, [join(ROOT, 'www/serve.mjs'), '--port', '0', '--models', MODELS,
    '--images', IMAGES, '--reference', REFERENCE, ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
  const base = await new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/serving (http:\/\/\S+)/);
      if (m) resolve(m[1]);
    });
    server.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { base, stop: () => server.kill() };
}

/** A headless Chromium with a fresh profile. */
export async function browser(extraArgs = []) {
  return chromium.launchPersistentContext(await mkdtemp(join(tmpdir(), 'chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
  });
}
