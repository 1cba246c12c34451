// The demo's Teach mode end to end in headless Chromium, served as by `./build.sh demo`, with
// a fake camera that switches between two scenes: getUserMedia answers with a canvas's
// captureStream() drawing cat.bmp or bird.bmp (the test picks the scene). Two classes are
// added and recorded by holding their buttons, the live bars follow the scene (k-NN, then the
// trained head, and mixed with ImageNet's top 3), the JSON and the .tflite download (the
// .tflite loads in this package with the taught labels), the save survives a
// reload, ImageNet comes back, and the
// track ending in Teach mode shows the camera's own state. Screenshots: target/screenshots/.
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { browser, serve } from '../../tools/chromium.mjs';
import { browsersUnderTest } from '../../tools/browsers.mjs';
import { IMAGES, ROOT } from '../node/data.mjs';
import { MobileNet } from '../../pkg/node.js';
import { decodeImage } from '../../pkg/decode.js';

const ARTIFACTS = join(ROOT, 'target', 'screenshots');
const skip = browsersUnderTest().includes('chromium') ? false : 'MOBILENET_BROWSERS does not include chromium';
const CAT_LABELS = ['tabby, tabby cat', 'tiger cat', 'Persian cat', 'Siamese cat, Siamese', 'Egyptian cat'];
let server;
let chromium;

// In the page before its scripts: a camera whose picture is window.__scene ('cat' or 'bird').
const FAKE_CAMERA = `(() => {
  if (!location.protocol.startsWith('http')) return; // about:blank before the first navigation
  const scenes = {};
  window.__scene = 'cat';
  const ready = Promise.all([['cat', '/images/cat.bmp'], ['bird', '/images/bird.bmp']].map(async ([k, url]) => {
    scenes[k] = await createImageBitmap(await (await fetch(url)).blob());
  }));
  navigator.mediaDevices.getUserMedia = async () => {
    await ready;
    const canvas = document.createElement('canvas');
    canvas.width = 640;
    canvas.height = 480;
    const ctx = canvas.getContext('2d');
    const draw = () => ctx.drawImage(scenes[window.__scene], 0, 0, 640, 480);
    draw();
    setInterval(draw, 33);
    return canvas.captureStream(30);
  };
})();`;

before(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  server = await serve();
  if (skip) return;
  chromium = await browser();
  await chromium.addInitScript(FAKE_CAMERA);
});

after(async () => {
  await chromium?.close();
  server?.stop();
});

const text = (page, id) => page.locator(`#${id}`).textContent();
const count = (page, label) => page.evaluate((l) => Number(document.querySelector(`#classes li[data-label="${l}"] .count`)?.dataset.count ?? -1), label);

/** Holds a class's record button until it has at least `n` examples. */
async function record(page, label, n) {
  const button = page.locator(`#classes li[data-label="${label}"] button.record`);
  await button.dispatchEvent('pointerdown');
  await page.waitForFunction(([l, want]) => Number(document.querySelector(`#classes li[data-label="${l}"] .count`)?.dataset.count) >= want,
    [label, n], { timeout: 30000 });
  await button.dispatchEvent('pointerup');
}

async function sceneShows(page, scene, label, method) {
  await page.evaluate((s) => { window.__scene = s; }, scene);
  await page.waitForFunction(([l, m]) => {
    const bars = document.getElementById('teach-bars');
    return bars.dataset.top1 === l && (!m || bars.dataset.method === m);
  }, [label, method], { timeout: 30000 });
}

test('[chromium] Teach mode: two classes recorded from a two-scene camera, live bars, train, JSON download, save and restore across a reload, back to ImageNet', { skip }, async () => {
  const page = await chromium.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.base}?camera`);
  await page.waitForFunction(() => document.getElementById('camera-state').dataset.state === 'live', null, { timeout: 30000 });
  await page.waitForFunction((labels) => labels.includes(document.getElementById('top').dataset.top1), CAT_LABELS, { timeout: 30000 });

  await page.locator('#mode-teach').check();
  await page.waitForFunction(() => /Teaching on/.test(document.getElementById('teach-status').textContent), null, { timeout: 30000 });
  assert.equal(await page.locator('#teach').isVisible(), true);
  assert.equal(await page.locator('#top').isVisible(), false, 'the ImageNet list is hidden in Teach mode');
  assert.equal(await page.locator('#teach-train').isDisabled(), true);

  await page.locator('#class-name').fill('my cat');
  await page.locator('#class-add').click();
  await page.evaluate(() => { window.__scene = 'cat'; });
  await record(page, 'my cat', 8);
  await page.locator('#class-name').fill('my bird');
  await page.locator('#class-add').click();
  await page.evaluate(() => { window.__scene = 'bird'; });
  await page.waitForTimeout(1000); // frames of the old scene still in the camera's pipeline
  await record(page, 'my bird', 8);
  const thumbs = await page.locator('#classes li[data-label="my bird"] .thumbs canvas').count();
  assert.ok(thumbs >= 1 && thumbs <= 8, `thumbnails: ${thumbs}`);
  assert.equal(await page.locator('#teach-train').isDisabled(), false);

  // Live bars follow the scene: k-NN.
  await sceneShows(page, 'cat', 'my cat', 'knn');
  await sceneShows(page, 'bird', 'my bird', 'knn');
  await page.screenshot({ path: join(ARTIFACTS, 'demo-teach-knn.png'), fullPage: true });

  // Train: the bars come from the head.
  await page.locator('#teach-train').click();
  await page.waitForFunction(() => document.getElementById('teach-status').dataset.trained === 'true', null, { timeout: 30000 });
  assert.match(await text(page, 'teach-status'), /Trained a softmax head on \d+ examples in \d+ ms \(100% right/);
  await sceneShows(page, 'cat', 'my cat', 'head');
  await sceneShows(page, 'bird', 'my bird', 'head');
  const counts = { cat: await count(page, 'my cat'), bird: await count(page, 'my bird') };

  // Download the JSON, as a user would: the browser's download.
  const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('#teach-json').click()]);
  const saved = JSON.parse(await readFile(await dl.path(), 'utf8'));
  assert.equal(saved.format, 'mobilenet-wasm/classifier');
  assert.deepEqual(saved.labels, ['my cat', 'my bird']);
  assert.equal(saved.examples.labels.length, counts.cat + counts.bird);
  assert.deepEqual([saved.model.alpha, saved.model.dtype, saved.model.resolution, saved.model.features], [1, 'uint8', 224, 1024]);
  assert.match(saved.model.sha256, /^[0-9a-f]{64}$/);
  assert.ok(saved.head, 'the trained head is in the JSON');
  assert.match(dl.suggestedFilename(), /^taught-mobilenet_v1_1\.0_224_quant/);

  // Download the .tflite: the taught model, which this package (here in Node) loads with the
  // taught labels and which names the scenes right.
  assert.equal(await page.locator('#teach-tflite').isVisible(), true);
  const [tf] = await Promise.all([page.waitForEvent('download'), page.locator('#teach-tflite').click()]);
  assert.match(tf.suggestedFilename(), /^taught-mobilenet_v1_1\.0_224_quant\.tflite$/);
  const file = new Uint8Array(await readFile(await tf.path()));
  assert.equal(new TextDecoder().decode(file.subarray(4, 8)), 'TFL3', 'a TFLite flatbuffer');
  const taught = await MobileNet.load(file, { threads: 1 });
  assert.deepEqual(taught.labels, ['my cat', 'my bird']);
  for (const [image, label] of [['cat.bmp', 'my cat'], ['bird.bmp', 'my bird']]) {
    const [top] = await taught.classify(decodeImage(await readFile(join(IMAGES, image)), image), { topK: 1 });
    assert.equal(top.label, label, `the exported file on ${image}`);
  }
  taught.dispose();

  await page.locator('#teach-save').click();
  await page.waitForFunction(() => document.getElementById('teach-status').dataset.saved === 'true', null, { timeout: 30000 });

  // Reload: Teach mode comes back with the saved classes, trained, and they still work.
  await page.reload();
  await page.waitForFunction(() => document.getElementById('teach').dataset.restored === 'true', null, { timeout: 60000 });
  assert.match(await text(page, 'teach-status'), /Restored the classes saved for mobilenet_v1_1\.0_224_quant\.tflite at 224: my cat \d+, my bird \d+ \(trained\)/);
  assert.equal(await count(page, 'my cat'), counts.cat);
  assert.equal(await count(page, 'my bird'), counts.bird);
  await page.waitForFunction(() => document.getElementById('camera-state').dataset.state === 'live', null, { timeout: 30000 });
  await sceneShows(page, 'bird', 'my bird', 'head');
  await sceneShows(page, 'cat', 'my cat', 'head');
  await page.screenshot({ path: join(ARTIFACTS, 'demo-teach-restored.png'), fullPage: true });
  // ImageNet's top 3 in the same list.
  await page.locator('#teach-mix').check();
  await page.waitForFunction(() => {
    const items = [...document.querySelectorAll('#teach-bars li')];
    return items.filter((li) => li.dataset.source === 'imagenet').length === 3 && items.filter((li) => li.dataset.source === 'taught').length === 2;
  }, null, { timeout: 30000 });
  await page.screenshot({ path: join(ARTIFACTS, 'demo-teach-mixed.png'), fullPage: true });
  await page.locator('#teach-mix').uncheck();

  // Back to ImageNet: the 1000 classes on the live camera again.
  await page.locator('#mode-imagenet').check();
  assert.equal(await page.locator('#teach').isVisible(), false);
  await page.waitForFunction((labels) => labels.includes(document.getElementById('top').dataset.top1), CAT_LABELS, { timeout: 30000 });
  await page.screenshot({ path: join(ARTIFACTS, 'demo-teach-imagenet.png'), fullPage: true });

  // The camera's states hold in Teach mode too: the track ending is reported.
  await page.locator('#mode-teach').check();
  await page.waitForFunction(() => document.getElementById('teach').dataset.restored === 'true', null, { timeout: 30000 });
  await page.evaluate(() => document.getElementById('video').srcObject.getVideoTracks()[0].dispatchEvent(new Event('ended')));
  await page.waitForFunction(() => document.getElementById('camera-state').dataset.kind === 'ended', null, { timeout: 30000 });
  // Without a camera a press takes the image on show: a sample photo, predicted at once.
  await page.locator('#samples button', { hasText: 'bird.bmp' }).click();
  await page.waitForFunction(() => document.getElementById('teach-bars').dataset.top1 === 'my bird', null, { timeout: 30000 });
  await page.screenshot({ path: join(ARTIFACTS, 'demo-teach-ended.png'), fullPage: true });
  await page.evaluate(() => localStorage.removeItem('mobilenet-demo-mode'));
  assert.deepEqual(errors, []);
  await page.close();
});
