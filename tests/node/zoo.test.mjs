// MobileNet.fromZoo: official file names under a base folder or URL; a missing file is a
// NETWORK error naming the URL (with the HTTP status when served).
import assert from 'node:assert/strict';
import { copyFile, mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createReadStream, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { MobileNet, MobileNetError, zooFileName } from '../../pkg/node.js';
import { MODELS } from './data.mjs';

let dir;
let server;
let base;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mobilenet-zoo-'));
  // Official names: the shared uint8 file is the official one; the shared float file is served
  // under the official float name.
  await copyFile(join(MODELS, 'mobilenet_v1_0.25_128_quant.tflite'), join(dir, 'mobilenet_v1_0.25_128_quant.tflite'));
  await copyFile(join(MODELS, 'mobilenet_v1_0.5_160_float.tflite'), join(dir, 'mobilenet_v1_0.5_160.tflite'));
  server = createServer((req, res) => {
    const file = join(dir, decodeURIComponent(new URL(req.url, 'http://x').pathname).replace(/^\/models\//, ''));
    if (!existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${server.address().port}/models/`;
});

after(() => server?.close());

test('official file names', () => {
  assert.equal(zooFileName(1, 224, true), 'mobilenet_v1_1.0_224_quant.tflite');
  assert.equal(zooFileName(0.75, 192, false), 'mobilenet_v1_0.75_192.tflite');
  assert.equal(zooFileName('0.5', '160', true), 'mobilenet_v1_0.5_160_quant.tflite');
  assert.throws(() => zooFileName(0.3, 224, true), (e) => e instanceof MobileNetError && e.code === 'INPUT_INVALID');
  assert.throws(() => zooFileName(1, 100, true), (e) => e.code === 'INPUT_INVALID');
});

test('from a folder and from a URL, uint8 and float', async () => {
  for (const baseUrl of [dir, base]) {
    const q = await MobileNet.fromZoo({ alpha: 0.25, resolution: 128, baseUrl });
    assert.equal(q.info.alpha, 0.25);
    assert.equal(q.info.dtype, 'uint8');
    q.dispose();
    let progress = 0;
    const f = await MobileNet.fromZoo({ alpha: 0.5, resolution: 160, quantized: false, baseUrl, onProgress: () => progress++ });
    assert.equal(f.info.dtype, 'float32');
    assert.equal(f.info.resolution, 160);
    if (baseUrl === base) assert.ok(progress > 0, 'download progress reported');
    f.dispose();
  }
});

test('a missing model is a NETWORK error naming the URL', async () => {
  await assert.rejects(MobileNet.fromZoo({ alpha: 1, resolution: 224, baseUrl: base }), (e) => {
    assert.equal(e.code, 'NETWORK');
    assert.equal(e.status, 404);
    assert.match(e.message, /mobilenet_v1_1\.0_224_quant\.tflite/);
    assert.match(e.message, /HTTP 404/);
    return true;
  });
  await assert.rejects(MobileNet.fromZoo({ alpha: 1, resolution: 224, baseUrl: dir }), (e) => {
    assert.equal(e.code, 'NETWORK');
    assert.match(e.message, /mobilenet_v1_1\.0_224_quant\.tflite/);
    return true;
  });
  await assert.rejects(MobileNet.fromZoo({ alpha: 1, resolution: 224, baseUrl: 'http://127.0.0.1:9/' }), (e) => e.code === 'NETWORK');
});

test('worker: true is refused in Node with a clear error', async () => {
  await assert.rejects(MobileNet.load(join(MODELS, 'mobilenet_v1_0.25_128_quant.tflite'), { worker: true }),
    (e) => e.code === 'INPUT_INVALID' && /Worker/.test(e.message));
});
