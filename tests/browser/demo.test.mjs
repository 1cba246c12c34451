// The demo page in headless Chromium: serves it like `./build.sh demo`, classifies the sample
// cat with the 1.0 uint8 model, switches model and resolution, and saves screenshots.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';
import { MODELS, IMAGES, ROOT } from '../node/data.mjs';

const ARTIFACTS = join(ROOT, 'target', 'screenshots');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
let server;
let base;
let context;

before(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  server = spawn(process.execPath, [join(ROOT, 'www/serve.mjs'), '--port', '0', '--models', MODELS, '--images', IMAGES],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  base = await new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/serving (http:\/\/\S+)/);
      if (m) resolve(m[1]);
    });
    server.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  context = await chromium.launchPersistentContext(await mkdtemp(join(tmpdir(), 'chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
});

after(async () => {
  await context?.close();
  server?.kill();
});

test('demo: the sample cat is an Egyptian cat with the 1.0 uint8 model', async () => {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(base);
  assert.equal(await page.evaluate(() => crossOriginIsolated), true, 'the page is cross-origin isolated');
  await page.waitForFunction(() => document.getElementById('model-status').textContent.includes('running at'));
  assert.equal(await page.inputValue('#model'), 'mobilenet_v1_1.0_224_quant.tflite');
  await page.getByRole('button', { name: 'cat.bmp' }).click();
  await page.waitForFunction(() => document.getElementById('top').dataset.top1);
  assert.equal(await page.getAttribute('#top', 'data-top1'), 'Egyptian cat');
  await page.screenshot({ path: join(ARTIFACTS, 'demo-cat.png'), fullPage: true });

  // Another model at another resolution.
  await page.selectOption('#model', 'mobilenet_v1_0.25_128_float.tflite');
  await page.waitForFunction(() => document.getElementById('model-status').textContent.startsWith('mobilenet_v1_0.25_128_float'));
  await page.selectOption('#resolution', '224');
  await page.waitForFunction(() => document.getElementById('model-status').textContent.includes('running at 224×224 (trained at 128)'));
  await page.screenshot({ path: join(ARTIFACTS, 'demo-0.25-at-224.png'), fullPage: true });
  assert.deepEqual(errors, []);
  assert.equal(await page.textContent('#error'), '');
});
