// `mobilenet fetch-models` against a local HTTP server laid out like TensorFlow's download area,
// serving .tgz archives made here from ../shared/models (these machines have no internet).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { c as tarCreate } from 'tar';
import { CLI, MODELS } from './data.mjs';

let root;
let server;
let base;
const requests = [];

async function archive(folder, official, source) {
  const src = await mkdtemp(join(tmpdir(), 'mobilenet-src-'));
  await copyFile(join(MODELS, source), join(src, official));
  await copyFile(join(MODELS, 'imagenet_labels.txt'), join(src, 'labels.txt'));
  await mkdir(join(root, folder), { recursive: true });
  await tarCreate({ gzip: true, file: join(root, folder, official.replace(/\.tflite$/, '.tgz')), cwd: src },
    ['labels.txt', official]);
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'mobilenet-archives-'));
  await archive('mobilenet_v1_2018_08_02', 'mobilenet_v1_0.25_128_quant.tflite', 'mobilenet_v1_0.25_128_quant.tflite');
  await archive('mobilenet_v1_2018_02_22', 'mobilenet_v1_0.25_128.tflite', 'mobilenet_v1_0.25_128_float.tflite');
  server = createServer((req, res) => {
    requests.push(req.url);
    const file = join(root, decodeURIComponent(new URL(req.url, 'http://x').pathname));
    if (!file.startsWith(root) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    stat(file).then((s) => {
      res.writeHead(200, { 'Content-Length': s.size });
      createReadStream(file).pipe(res);
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${server.address().port}`;
});

after(() => server?.close());

const run = async (...args) => {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args]);
    return { code: 0, stdout, stderr };
  } catch (e) {
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
};

test('fetches, extracts under the official names, reports progress, skips what is there', async () => {
  const out = await mkdtemp(join(tmpdir(), 'mobilenet-out-'));
  const r = await run('fetch-models', '--out', out, '--alpha', '0.25', '--resolution', '128', '--base-url', base);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /mobilenet_v1_0\.25_128_quant\.tgz: [\d.]+ \/ [\d.]+ MB/);
  assert.match(r.stdout, /2 model\(s\)/);
  const q = await readFile(join(out, 'mobilenet_v1_0.25_128_quant.tflite'));
  assert.ok(q.equals(await readFile(join(MODELS, 'mobilenet_v1_0.25_128_quant.tflite'))));
  const f = await readFile(join(out, 'mobilenet_v1_0.25_128.tflite'));
  assert.ok(f.equals(await readFile(join(MODELS, 'mobilenet_v1_0.25_128_float.tflite'))));
  assert.ok(!existsSync(join(out, 'labels.txt')), 'only the .tflite is extracted');
  const before = requests.length;
  const again = await run('fetch-models', '--out', out, '--alpha', '0.25', '--resolution', '128', '--base-url', base);
  assert.equal(again.code, 0);
  assert.match(again.stderr, /already there/);
  assert.equal(requests.length, before, 'nothing downloaded again');
  const { MobileNet } = await import('../../pkg/node.js');
  const net = await MobileNet.fromZoo({ alpha: 0.25, resolution: 128, baseUrl: out });
  assert.equal(net.info.alpha, 0.25);
  net.dispose();
});

test('a missing archive: exit 1 naming the URL and the HTTP status', async () => {
  const out = await mkdtemp(join(tmpdir(), 'mobilenet-out-'));
  const r = await run('fetch-models', '--out', out, '--alpha', '1', '--resolution', '224', '--quantized', '--base-url', base);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /NETWORK: .*mobilenet_v1_2018_08_02\/mobilenet_v1_1\.0_224_quant\.tgz.*HTTP 404/);
  assert.ok(!existsSync(join(out, 'mobilenet_v1_1.0_224_quant.tflite')));
});

test('usage errors', async () => {
  for (const args of [['fetch-models'], ['fetch-models', '--out', '/tmp/x', '--alpha', '0.3'],
    ['fetch-models', '--out', '/tmp/x', '--resolution', '100'], ['fetch-models', '--out', '/tmp/x', '--quantized', '--float']]) {
    const r = await run(...args);
    assert.equal(r.code, 2, args.join(' '));
  }
});
