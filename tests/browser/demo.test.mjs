// The demo page in headless Chromium: serves it like `./build.sh demo`, classifies the sample
// cat with the 1.0 uint8 model, switches model and resolution, and saves screenshots.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT } from '../node/data.mjs';
import { browser, serve } from '../../tools/chromium.mjs';

const ARTIFACTS = join(ROOT, 'target', 'screenshots');
let server;
let base;
let context;

before(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  server = await serve();
  base = server.base;
  context = await browser();
});

after(async () => {
  await context?.close();
  server?.stop();
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
