// The TypeScript declarations type-check a typical use of the whole public API (strict mode),
// and an engine without SIMD128 gets a NO_SIMD error, not a crash.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { MODELS, ROOT } from './data.mjs';

const exec = promisify(execFile);

test('pkg/*.d.ts type-check tests/types/consumer.ts', async () => {
  const { stdout } = await exec(join(ROOT, 'node_modules/.bin/tsc'), ['-p', join(ROOT, 'tests/types/tsconfig.json')])
    .catch((e) => ({ stdout: e.stdout, failed: true }));
  assert.equal(stdout.trim(), '', stdout);
});

test('without SIMD128: a NO_SIMD MobileNetError', async () => {
  // A fresh process whose engine reports no SIMD (what WebAssembly.validate says on such engines).
  const script = `
    WebAssembly.validate = () => false;
    const { MobileNet } = await import(${JSON.stringify(join(ROOT, 'pkg/node.js'))});
    try { await MobileNet.load(${JSON.stringify(join(MODELS, 'mobilenet_v1_0.25_128_quant.tflite'))}); console.log('loaded'); }
    catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message })); }`;
  const { stdout } = await exec(process.execPath, ['--input-type=module', '-e', script]);
  const e = JSON.parse(stdout);
  assert.equal(e.name, 'MobileNetError');
  assert.equal(e.code, 'NO_SIMD');
  assert.match(e.message, /SIMD128/);
});
