// The `mobilenet` CLI: outputs, exit statuses (0 ok, 1 runtime error, 2 usage) and messages.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { CLI, IMAGES, MODELS, REFERENCE, manifest } from './data.mjs';

const run = async (...args) => {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args]);
    return { code: 0, stdout, stderr };
  } catch (e) {
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
};
const m = (name) => join(MODELS, `${name}.tflite`);
const tmp = await mkdtemp(join(tmpdir(), 'mobilenet-cli-'));

test('infer reproduces the reference output bytes (uint8 and float)', async () => {
  const man = await manifest();
  for (const name of ['mobilenet_v1_0.5_160_quant', 'mobilenet_v1_0.5_160_float']) {
    const c = man.models[name].cases.find((x) => x.case === 'parrot');
    const out = join(tmp, `${name}.out`);
    const r = await run('infer', '--model', m(name), '--input', join(REFERENCE, c.input), '--output', out);
    assert.equal(r.code, 0, r.stderr);
    const got = await readFile(out);
    const want = await readFile(join(REFERENCE, c.output));
    assert.equal(got.length, want.length);
    if (name.endsWith('quant')) {
      assert.ok(got.equals(want), 'uint8 output differs');
    } else {
      const a = new Float32Array(got.buffer, got.byteOffset, got.length / 4);
      const b = new Float32Array(want.buffer, want.byteOffset, want.length / 4);
      a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= 1e-4));
    }
  }
});

test('classify --json: one array, argument order, score order, Egyptian cat first', async () => {
  const r = await run('classify', '--json', '--top', '3', '--model', m('mobilenet_v1_1.0_224_quant'),
    join(IMAGES, 'cat.bmp'), join(IMAGES, 'parrot.jpg'), join(IMAGES, 'bird.bmp'));
  assert.equal(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout);
  assert.deepEqual(res.map((x) => x.file), ['cat.bmp', 'parrot.jpg', 'bird.bmp']);
  assert.deepEqual(res[0].top[0], { index: 286, label: 'Egyptian cat', score: res[0].top[0].score });
  assert.equal(res[1].top[0].label, 'macaw');
  assert.equal(res[2].top[0].label, 'chickadee');
  for (const { top } of res) {
    assert.equal(top.length, 3);
    for (let i = 1; i < top.length; i++) {
      assert.ok(top[i - 1].score > top[i].score || (top[i - 1].score === top[i].score && top[i - 1].index < top[i].index));
    }
    for (const t of top) assert.equal(t.score * 256, Math.round(t.score * 256), 'uint8 scores are q/256');
  }
});

test('classify a PNG and at another resolution', async () => {
  const { PNG } = await import('pngjs');
  const { decodeImage } = await import('../../pkg/decode.js');
  const cat = decodeImage(await readFile(join(IMAGES, 'cat.bmp')));
  const png = new PNG({ width: cat.width, height: cat.height });
  png.data = Buffer.from(cat.data);
  const file = join(tmp, 'cat.png');
  await writeFile(file, PNG.sync.write(png));
  const r = await run('classify', '--resolution', '160', '--top', '1', '--model', m('mobilenet_v1_1.0_224_float'), file);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^cat\.png\n {2}1\. 0\.\d{4} {2}(Egyptian cat|tabby, tabby cat|tiger cat) \(28[2-6]\)\n$/);
});

test('cost and info', async () => {
  let r = await run('cost', '--json');
  assert.equal(r.code, 0, r.stderr);
  const c = JSON.parse(r.stdout);
  assert.equal(c.alpha, 1);
  assert.equal(c.resolution, 224);
  assert.equal(c.classes, 1000);
  assert.equal(c.macs, 568740352);
  assert.equal(c.params, 4209088);
  assert.deepEqual(Object.keys(c.by_type), ['conv', 'depthwise', 'pointwise', 'fc']);
  assert.deepEqual(c.layers[0], { name: 'conv_0', type: 'conv', output: [112, 112, 32], macs: 10838016, params: 864 });
  r = await run('cost', '--alpha', '0.5', '--resolution', '160');
  assert.equal(r.code, 0);
  assert.match(r.stdout, /multiply-adds 76\.52 M/);
  r = await run('info', '--json', '--model', m('mobilenet_v1_0.75_192_quant'));
  assert.equal(r.code, 0, r.stderr);
  const i = JSON.parse(r.stdout);
  assert.equal(i.alpha, 0.75);
  assert.equal(i.resolution, 192);
  assert.equal(i.dtype, 'uint8');
  assert.equal(i.operators[0], 'CONV_2D');
  assert.equal(i.operators.at(-1), 'SOFTMAX');
});

test('runtime errors: exit 1, one line naming the file and the code', async () => {
  const bad = join(tmp, 'bad.tflite');
  await writeFile(bad, 'definitely not a flatbuffer');
  const cases = [
    [['info', '--model', bad], /bad\.tflite: MODEL_MALFORMED: .*identifier/],
    [['info', '--model', join(tmp, 'missing.tflite')], /missing\.tflite: IO: no such file/],
    [['classify', '--model', m('mobilenet_v1_0.25_128_quant'), bad], /bad\.tflite: INPUT_INVALID: .*not a BMP, PNG or JPEG/],
    [['infer', '--model', m('mobilenet_v1_0.25_128_quant'), '--input', bad, '--output', join(tmp, 'o')], /bad\.tflite: INPUT_INVALID: .*input values 27 \(expected 49152\)/],
    [['classify', '--resolution', '16', '--model', m('mobilenet_v1_0.25_128_quant'), join(IMAGES, 'cat.bmp')], /INPUT_INVALID: .*resolution \[16, 16\] \(expected each side from 32 to/],
  ];
  for (const [args, pattern] of cases) {
    const r = await run(...args);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, pattern);
    assert.doesNotMatch(r.stderr, /panicked|RuntimeError|at .*\.js:\d+/);
  }
});

test('usage errors: exit 2', async () => {
  for (const args of [[], ['frobnicate'], ['classify', '--model'], ['classify', '--model', 'x.tflite'],
    ['infer', '--model', 'x'], ['cost', '--alpha', 'abc'], ['cost', '--resolution', '1.5'], ['cost', '--bogus'],
    ['classify', '--top', '0', '--model', 'x', 'y.png']]) {
    const r = await run(...args);
    assert.equal(r.code, 2, `${args.join(' ')} → ${r.code}: ${r.stderr}`);
    assert.match(r.stderr + r.stdout, /usage: mobilenet/);
  }
  const r = await run('--help');
  assert.equal(r.code, 0);
  assert.match(r.stdout, /usage: mobilenet/);
});
