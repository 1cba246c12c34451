// The packed package in the apps web developers build: one small app per bundler (Vite build and
// dev server, webpack 5, Rollup, esbuild, Parcel 2, Next.js), each copied to a fresh folder with
// the tarball installed (`npm install <tarball>`, as a user would), built with the pinned tool
// from tests/bundlers/package.json, served with and without cross-origin isolation and opened in
// headless Chromium: the cat must come out top-1, on the threaded build when the page is
// isolated and on the single-threaded one when it is not.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { cp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { browser, serve } from '../../tools/chromium.mjs';
import { tarball } from '../../tools/pack.mjs';
import { IMAGES, MODELS, ROOT } from '../node/data.mjs';

const exec = promisify(execFile);
const HERE = join(ROOT, 'tests/bundlers');
const APPS = join(HERE, '.apps');
const BIN = join(HERE, 'node_modules/.bin');
const MODEL = 'mobilenet_v1_1.0_224_quant.tflite';

let pack;
let context;

before(async () => {
  pack = await tarball();
  context = await browser();
});

after(async () => {
  await context?.close();
});

/** A fresh copy of fixture `name` with the tarball installed. */
async function freshApp(name) {
  const dir = join(APPS, name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(APPS, { recursive: true });
  await cp(join(HERE, name), dir, { recursive: true });
  const src = name === 'next' ? dir : join(dir, 'src');
  await cp(join(HERE, 'common/classify.js'), join(src, 'classify.js'));
  if (name !== 'next') await cp(join(HERE, 'common/index.html'), join(dir, 'index.html'));
  await exec('npm', ['install', pack, '--no-audit', '--no-fund', '--no-package-lock', '--silent'], { cwd: dir });
  return dir;
}

async function tool(dir, bin, args, env = {}) {
  try {
    return await exec(join(BIN, bin), args, { cwd: dir, env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
  } catch (e) {
    throw new Error(`${bin} ${args.join(' ')} failed:\n${e.stdout}\n${e.stderr}`);
  }
}

/** A page built without an HTML step (Rollup, esbuild): index.html next to the bundle, and the
 *  package folder copied beside it for setAssetBase. */
async function staticPage(dir) {
  const html = await readFile(join(dir, 'index.html'), 'utf8');
  await writeFile(join(dir, 'dist/index.html'), html.replace('./src/main.js', './main.js'));
  await cp(join(dir, 'node_modules/mobilenet-wasm'), join(dir, 'dist/mobilenet-wasm'), { recursive: true, dereference: true });
}

/** Opens `url` and waits for the app's result. */
async function openApp(url) {
  const page = await context.newPage();
  const log = [];
  page.on('console', (m) => log.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
  try {
    await page.goto(url);
    await page.waitForFunction(() => window.__result || window.__failure, null, { timeout: 90_000 })
      .catch(() => { throw new Error(`no result from ${url} within 90 s; console:\n${log.join('\n')}`); });
    const r = await page.evaluate(() => window.__result ?? { failure: window.__failure });
    if (r.failure) throw new Error(`${url}: ${JSON.stringify(r.failure)}\nconsole:\n${log.join('\n')}`);
    return r;
  } finally {
    await page.close();
  }
}

/** One line of what the app showed, for the test log. */
const shown = (r, what) => `${what}: ${r.top[0].label} (${r.top[0].score.toFixed(3)}) on ${r.backend}, ${r.threads} thread(s)`
  + `${r.threadsReason ? ` — ${r.threadsReason}` : ''}`;

function check(r, isolated, what) {
  assert.equal(r.top[0].label, 'Egyptian cat', what);
  assert.equal(r.isolated, isolated, `${what}: cross-origin isolated`);
  if (isolated) {
    assert.match(r.backend, /^threads/, `${what}: the threaded build on an isolated page (${r.threadsReason})`);
    assert.ok(r.threads >= 2, `${what}: threads`);
    assert.equal(r.threadsReason, null);
  } else {
    assert.doesNotMatch(r.backend, /threads/, `${what}: the single-threaded build without isolation`);
    assert.equal(r.threads, 1);
    assert.match(r.threadsReason, /cross-origin isolated/, `${what}: says why threads are off`);
  }
}

/** Serves `root` (isolated, then plain) with the models and images, and checks the app. */
async function checkServed(t, root, what) {
  for (const isolated of [true, false]) {
    const server = await serve(['--root', root, ...(isolated ? [] : ['--no-isolation'])]);
    try {
      const r = await openApp(server.base);
      t.diagnostic(shown(r, `${what}, ${isolated ? 'isolated' : 'not isolated'}`));
      check(r, isolated, `${what}${isolated ? ', isolated' : ''}`);
    } finally {
      server.stop();
    }
  }
}

const BUILDS = {
  vite: async (dir) => { await tool(dir, 'vite', ['build', '--logLevel', 'warn']); return join(dir, 'dist'); },
  webpack: async (dir) => { await tool(dir, 'webpack', ['--config', 'webpack.config.js']); return join(dir, 'dist'); },
  rollup: async (dir) => {
    await tool(dir, 'rollup', ['-c', '--silent']);
    await staticPage(dir);
    return join(dir, 'dist');
  },
  esbuild: async (dir) => {
    await tool(dir, 'esbuild', ['src/main.js', '--bundle', '--format=esm', '--outdir=dist', '--log-level=warning']);
    await staticPage(dir);
    return join(dir, 'dist');
  },
  // Parcel 2.16's scope hoisting loses modules that a Worker shares with the page (its open
  // "Cannot find module" bug): --no-scope-hoist is the one flag the threaded build needs. The
  // test after this one checks what a default Parcel build gives.
  parcel: async (dir) => {
    await tool(dir, 'parcel', ['build', 'index.html', '--dist-dir', 'dist', '--no-cache', '--public-url', '/',
      '--no-scope-hoist'], { NODE_ENV: 'production' });
    return join(dir, 'dist');
  },
  next: async (dir) => {
    await tool(dir, 'next', ['build'], { NEXT_TELEMETRY_DISABLED: '1' });
    return join(dir, 'out');
  },
};

describe('bundlers (packed tarball, fresh app, headless Chromium)', () => {
  for (const [name, build] of Object.entries(BUILDS)) {
    test(`${name}: build, serve, classify (isolated → threads, plain → one thread)`, async (t) => {
      const dir = await freshApp(name);
      const out = await build(dir);
      await checkServed(t, out, name);
    });
  }

  test('parcel without --no-scope-hoist: still classifies, on one thread, and says why threads are off', async (t) => {
    const dir = await freshApp('parcel');
    await tool(dir, 'parcel', ['build', 'index.html', '--dist-dir', 'dist', '--no-cache', '--public-url', '/'],
      { NODE_ENV: 'production' });
    const server = await serve(['--root', join(dir, 'dist')]);
    try {
      const r = await openApp(server.base);
      t.diagnostic(shown(r, 'parcel (default build), isolated'));
      assert.equal(r.top[0].label, 'Egyptian cat');
      assert.equal(r.isolated, true);
      if (/^threads/.test(r.backend)) return; // a Parcel that bundles it right
      assert.equal(r.threads, 1);
      assert.match(r.threadsReason, /Worker/, 'names the Worker that could not start');
    } finally {
      server.stop();
    }
  });

  test('vite dev server (dependency pre-bundling), isolated and plain', async (t) => {
    const dir = await freshApp('vite');
    await mkdir(join(dir, 'public/models'), { recursive: true });
    await mkdir(join(dir, 'public/images'), { recursive: true });
    await symlink(join(MODELS, MODEL), join(dir, 'public/models', MODEL));
    await symlink(join(IMAGES, 'cat.bmp'), join(dir, 'public/images/cat.bmp'));
    for (const isolated of [true, false]) {
      const server = spawn(join(BIN, 'vite'), ['--port', '0', '--host', '127.0.0.1', '--strictPort', 'false'],
        { cwd: dir, env: { ...process.env, ISOLATE: isolated ? '1' : '' }, stdio: ['ignore', 'pipe', 'pipe'] });
      try {
        const base = await new Promise((resolve, reject) => {
          let out = '';
          const timer = setTimeout(() => reject(new Error(`vite dev did not start:\n${out}`)), 60_000);
          const onData = (d) => {
            out += d;
            // eslint-disable-next-line no-control-regex
            const m = out.replace(/\x1b\[[0-9;]*m/g, '').match(/Local:\s+(http:\/\/\S+)/);
            if (m) { clearTimeout(timer); resolve(m[1]); }
          };
          server.stdout.on('data', onData);
          server.stderr.on('data', onData);
          server.on('exit', (code) => reject(new Error(`vite dev exited with ${code}:\n${out}`)));
        });
        const r = await openApp(base);
        t.diagnostic(shown(r, `vite dev, ${isolated ? 'isolated' : 'not isolated'}`));
        check(r, isolated, `vite dev${isolated ? ', isolated' : ''}`);
      } finally {
        server.kill();
      }
    }
  });
});
