// The download budget: the baseline engine .wasm is at most 150 KB gzipped (labels, JavaScript
// and the CLI's image decoders are outside the budget).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { PKG } from './data.mjs';

test('engine .wasm sizes (gzip -9)', async () => {
  const sizes = {};
  for (const f of ['mobilenet_wasm_bg.wasm', 'relaxed/mobilenet_wasm_bg.wasm', 'threads/mobilenet_wasm_bg.wasm',
    'threads-relaxed/mobilenet_wasm_bg.wasm']) {
    const bytes = await readFile(join(PKG, f));
    sizes[f] = { bytes: bytes.length, gzipped: gzipSync(bytes, { level: 9 }).length };
  }
  console.log(JSON.stringify(sizes));
  assert.ok(sizes['mobilenet_wasm_bg.wasm'].gzipped <= 150 * 1024, `baseline ${sizes['mobilenet_wasm_bg.wasm'].gzipped} bytes gzipped`);
});
