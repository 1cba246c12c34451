// The webcam demo end to end, served as by `./build.sh demo`. In headless Chromium, with a fake
// webcam playing a Y4M file made from ../shared/images/cat.bmp: every feature of the page. In
// Firefox ESR and WebKitGTK (tools/browsers.mjs), with their own fake cameras (a generated test
// pattern — neither can play a file): the live camera loop. $MOBILENET_BROWSERS picks browsers.
// Screenshots: target/screenshots/.
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { decodeImage } from '../../pkg/decode.js';
import { browser, serve } from '../../tools/chromium.mjs';
import { browsersUnderTest, openBrowser } from '../../tools/browsers.mjs';
import { writeY4m } from '../../tools/y4m.mjs';
import { IMAGES, ROOT } from '../node/data.mjs';

const ARTIFACTS = join(ROOT, 'target', 'screenshots');
const CHROMIUM = browsersUnderTest().includes('chromium');
const skip = CHROMIUM ? false : 'MOBILENET_BROWSERS does not include chromium';
let server;
let camera; // a Chromium whose fake webcam shows the cat
let plain; // a Chromium without a camera

before(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  const y4m = join(ROOT, 'target', 'cat.y4m');
  await writeY4m(decodeImage(await readFile(join(IMAGES, 'cat.bmp'))), y4m);
  server = await serve();
  if (!CHROMIUM) return;
  camera = await browser(['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
    `--use-file-for-fake-video-capture=${y4m}`]);
  plain = await browser();
});

after(async () => {
  await camera?.close();
  await plain?.close();
  server?.stop();
});

const status = (page) => page.locator('#model-status');

test('[chromium] live camera: Egyptian cat with the 1.0 uint8 model; α = 0.25 changes model, cost and latency; chart; auto', { skip }, async () => {
  const page = await camera.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.base}?camera`);
  assert.equal(await page.evaluate(() => crossOriginIsolated), true);
  await page.waitForFunction(() => document.getElementById('camera-state').dataset.state === 'live', null, { timeout: 30000 });
  await page.waitForFunction(() => document.getElementById('top').dataset.top1 === 'Egyptian cat', null, { timeout: 30000 });
  assert.equal(await status(page).getAttribute('data-file'), 'mobilenet_v1_1.0_224_quant.tflite');
  // Medians over at least three frames: the first frame after a (re)load runs cold.
  await page.waitForFunction(() => document.getElementById('infer').dataset.ms && Number(document.getElementById('fps').textContent) >= 3,
    null, { timeout: 30000 });
  const before = {
    macs: await page.textContent('#macs'),
    params: await page.textContent('#params'),
    accuracy: await page.textContent('#accuracy'),
    latency: Number(await page.getAttribute('#latency', 'data-ms')),
    infer: Number(await page.getAttribute('#infer', 'data-ms')),
  };
  assert.equal(before.macs, '568.7 M');
  assert.match(before.accuracy, /^69\.7% \/ 89\.5% as published for 1\.0×224$/);
  assert.match(await page.textContent('#backend'), /threads|simd/);
  // Two threads here: the share of inferences on the team and the times measured (net.threadStats).
  await page.waitForFunction(() => document.getElementById('threads-used').textContent !== '–', null, { timeout: 10000 });
  assert.match(await page.textContent('#threads-used'),
    /^the team of 2 in \d+% of \d+ inferences?( \(measured: \d+\.\d ms (with the team|alone)(, \d+\.\d ms alone)?\))?$/);
  assert.match(await page.textContent('#capabilities'), /^SIMD128 yes, relaxed SIMD yes, threads yes$/,
    'the demo shows what the browser gives the engine');
  assert.equal(await page.locator('#chart circle.point').count(), 16, 'all 16 configurations in the chart');
  assert.equal(await page.getAttribute('#chart circle.current', 'data-current'), '1_224');
  await page.screenshot({ path: join(ARTIFACTS, 'demo-live-1.0.png'), fullPage: true });

  // α = 0.25: another file, another cost, another latency; the camera keeps running.
  await page.selectOption('#alpha', '0.25');
  await page.waitForFunction(() => document.getElementById('model-status').dataset.file === 'mobilenet_v1_0.25_128_quant.tflite');
  await page.waitForFunction(() => document.getElementById('infer').dataset.ms && Number(document.getElementById('fps').textContent) >= 3,
    null, { timeout: 30000 });
  assert.equal(await page.textContent('#macs'), '41.0 M');
  assert.notEqual(await page.textContent('#params'), before.params);
  assert.match(await status(page).textContent(), /running at 224×224 \(trained at 128\)/);
  assert.match(await page.textContent('#accuracy'), /^48\.2% \/ 73\.8% as published for 0\.25×224 — the running file was trained at 128/);
  assert.equal(await page.getAttribute('#chart circle.current', 'data-current'), '0.25_224');
  assert.equal(await page.getAttribute('#camera-state', 'data-state'), 'live', 'the camera kept running');
  // The model's own time (14× fewer multiply-adds), not frame-to-result, which the camera's
  // frame pacing and the machine's load can dominate.
  const after = Number(await page.getAttribute('#infer', 'data-ms'));
  assert.ok(after < before.infer, `α 0.25 infers faster than α 1 (${after} vs ${before.infer} ms)`);
  await page.screenshot({ path: join(ARTIFACTS, 'demo-live-0.25.png'), fullPage: true });

  // Auto: an easy target picks the most accurate configuration; an impossible one the fastest.
  await page.fill('#target', '4');
  await page.check('#auto');
  await page.waitForFunction(() => document.getElementById('auto-status').dataset.pick, null, { timeout: 60000 });
  assert.equal(await page.getAttribute('#auto-status', 'data-pick'), '1_224');
  assert.equal(await page.inputValue('#alpha'), '1');
  assert.equal(await page.locator('#chart text.latency').count(), 16, 'latency measured for every configuration');
  await page.evaluate(() => { delete document.getElementById('auto-status').dataset.pick; });
  assert.equal(await page.locator('#chart circle.point[data-ms]').count(), 16);
  await page.fill('#target', '100000');
  await page.dispatchEvent('#target', 'change');
  await page.waitForFunction(() => document.getElementById('auto-status').dataset.pick, null, { timeout: 60000 });
  const pick = await page.getAttribute('#auto-status', 'data-pick');
  assert.match(await page.textContent('#auto-status'), /the fastest; nothing reaches/);
  // The pick is the configuration with the lowest latency auto measured.
  const measured = JSON.parse(await page.getAttribute('#auto-status', 'data-measured'));
  assert.equal(measured.length, 16);
  const fastest = measured.reduce((a, b) => (b[1] < a[1] ? b : a));
  assert.equal(pick, fastest[0], JSON.stringify(measured));
  await page.screenshot({ path: join(ARTIFACTS, 'demo-auto.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

for (const [name, kind] of [['NotAllowedError', 'denied'], ['NotFoundError', 'none'], ['NotReadableError', 'busy']]) {
  test(`[chromium] camera ${name}: its own state, and classifying an uploaded image works`, { skip }, async () => {
    const page = await plain.newPage();
    await page.addInitScript((n) => {
      navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('fake', n));
    }, name);
    await page.goto(`${server.base}?camera`);
    await page.waitForFunction((k) => document.getElementById('camera-state').dataset.kind === k, kind);
    assert.equal(await page.getAttribute('#camera-state', 'data-state'), 'error');
    await page.waitForFunction(() => document.getElementById('model-status').dataset.file);
    await page.setInputFiles('#file', join(IMAGES, 'cat.bmp'));
    await page.waitForFunction(() => document.getElementById('top').dataset.top1 === 'Egyptian cat');
    if (kind === 'denied') await page.screenshot({ path: join(ARTIFACTS, 'demo-camera-denied.png'), fullPage: true });
    await page.close();
  });
}

test('[chromium] the camera track ending mid-stream is reported, and a sample image still classifies', { skip }, async () => {
  const page = await camera.newPage();
  await page.goto(`${server.base}?camera`);
  await page.waitForFunction(() => document.getElementById('camera-state').dataset.state === 'live', null, { timeout: 30000 });
  await page.evaluate(() => document.getElementById('video').srcObject.getVideoTracks()[0].dispatchEvent(new Event('ended')));
  await page.waitForFunction(() => document.getElementById('camera-state').dataset.kind === 'ended');
  assert.match(await page.textContent('#camera-state'), /camera stopped/i);
  await page.getByRole('button', { name: 'parrot.jpg' }).click();
  await page.waitForFunction(() => document.getElementById('top').dataset.top1 === 'macaw');
  await page.close();
});

test('[chromium] an insecure page gets its own camera state and the image fallback', { skip }, async () => {
  const page = await plain.newPage();
  await page.addInitScript(() => Object.defineProperty(window, 'isSecureContext', { get: () => false }));
  await page.goto(`${server.base}?camera`);
  await page.waitForFunction(() => document.getElementById('camera-state').dataset.kind === 'insecure');
  assert.match(await page.textContent('#camera-state'), /secure page/);
  await page.waitForFunction(() => document.getElementById('model-status').dataset.file);
  await page.getByRole('button', { name: 'bird.bmp' }).click();
  await page.waitForFunction(() => document.getElementById('top').dataset.top1 === 'chickadee');
  await page.close();
});

test('[chromium] a hidden tab pauses the camera loop; visible again it resumes', { skip }, async () => {
  const page = await camera.newPage();
  await page.goto(`${server.base}?camera`);
  await page.waitForFunction(() => document.getElementById('top').dataset.top1 === 'Egyptian cat', null, { timeout: 30000 });
  const classified = () => page.evaluate(() => Number(document.getElementById('fps').textContent) || 0);
  await page.evaluate(() => {
    // Count classifications through the page's own results list.
    window.renders = 0;
    new MutationObserver(() => { window.renders++; }).observe(document.getElementById('top'), { childList: true });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await page.waitForTimeout(300); // a frame in flight may still land
  const before = await page.evaluate(() => window.renders);
  await page.waitForTimeout(1000);
  assert.equal(await page.evaluate(() => window.renders), before, 'nothing classified while hidden');
  await page.evaluate(() => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => false });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await page.waitForFunction((n) => window.renders > n + 3, before);
  assert.ok((await classified()) > 0);
  await page.close();
});

test('[chromium] phone-sized screen: one column, nothing wider than the screen, controls reachable by keyboard', { skip }, async () => {
  const page = await plain.newPage();
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(server.base);
  await page.waitForFunction(() => document.getElementById('model-status').dataset.file);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
  // Tab order reaches the camera button and the pickers.
  const reached = new Set();
  for (let i = 0; i < 15; i++) {
    await page.keyboard.press('Tab');
    reached.add(await page.evaluate(() => document.activeElement?.id || document.activeElement?.textContent?.trim()));
  }
  for (const id of ['camera', 'alpha', 'resolution', 'dtype']) assert.ok(reached.has(id), `${id} reachable by Tab (${[...reached]})`);
  await page.screenshot({ path: join(ARTIFACTS, 'demo-phone.png'), fullPage: true });
  await page.close();
});

// Firefox and WebKit: the live loop with each browser's own fake camera. Their frames are a
// generated pattern, not the cat, so the check is that the page goes live, classifies frame after
// frame with the 1.0 uint8 model on the backend the browser allows, and reports no error.
// The 1.0 model: in a Worker where there are threads (a large model), else on the page's thread.
const BACKEND = { firefox: /^threads-relaxed-simd, 2 threads, in a Worker$/, webkit: /^simd128, 1 thread, on the page's thread$/ };
const THREADS_USED = { firefox: /^the team of 2 in \d+% of \d+ inferences?( \(measured: \d+\.\d ms (with the team|alone)(, \d+\.\d ms alone)?\))?$/, webkit: /^one thread$/ };
for (const name of browsersUnderTest().filter((b) => b !== 'chromium')) {
  test(`[${name}] live camera (the browser's fake camera): the page goes live and classifies frame after frame`, async (t) => {
    const b = await openBrowser(name, { fakeCamera: true });
    try {
      const page = await b.newPage(`${server.base}?camera`);
      assert.equal(await page.evaluate(() => crossOriginIsolated), true);
      await page.waitFor(() => document.getElementById('camera-state').dataset.state === 'live'
        || document.getElementById('camera-state').dataset.kind, undefined, { timeout: 30000 });
      const camera = await page.evaluate(() => ({ ...document.getElementById('camera-state').dataset,
        text: document.getElementById('camera-state').textContent }));
      assert.equal(camera.state, 'live', JSON.stringify(camera));
      t.diagnostic(`${b.version}: ${camera.text}`);
      await page.waitFor(() => document.getElementById('top').dataset.top1, undefined, { timeout: 30000 });
      assert.equal(await page.evaluate(() => document.getElementById('model-status').dataset.file), 'mobilenet_v1_1.0_224_quant.tflite');
      const renders = await page.evaluate(() => {
        window.renders = 0;
        new MutationObserver(() => { window.renders++; }).observe(document.getElementById('top'), { childList: true });
        return window.renders;
      });
      await page.waitFor((n) => window.renders > n + 5, renders, { timeout: 20000 });
      await page.waitFor(() => document.getElementById('latency').dataset.ms, undefined, { timeout: 10000 });
      await page.waitFor(() => document.getElementById('threads-used').textContent !== '–', undefined, { timeout: 10000 });
      const shown = await page.evaluate(() => ({
        threadsUsed: document.getElementById('threads-used').textContent,
        top1: document.getElementById('top').dataset.top1,
        rows: document.getElementById('top').children.length,
        latency: Number(document.getElementById('latency').dataset.ms),
        fps: Number(document.getElementById('fps').textContent),
        backend: document.getElementById('backend').textContent,
        capabilities: document.getElementById('capabilities').textContent,
      }));
      t.diagnostic(JSON.stringify(shown));
      assert.ok(shown.rows >= 5, 'the top 5 are drawn');
      assert.ok(shown.latency > 0 && shown.fps > 0, JSON.stringify(shown));
      assert.match(shown.backend, BACKEND[name]);
      assert.match(shown.threadsUsed, THREADS_USED[name]);
      // WebKitGTK: no SharedArrayBuffer, and the demo says so.
      assert.match(shown.capabilities, name === 'webkit' ? /threads no — .*SharedArrayBuffer/ : /threads yes$/);
      await page.screenshot(join(ARTIFACTS, `demo-live-${name}.png`));
      assert.deepEqual(await page.errors(), []);
      await page.close();
    } finally {
      await b.close();
    }
  });
}
