// The published package as a user gets it: `npm pack` of pkg/, installed into a fresh project;
// (a) a Node script imports it and classifies the cat; (b) a plain ES-module page served from
// the installed copy classifies it in headless Chromium through the main-thread API, the Worker
// form and the threaded build, with and without cross-origin isolation — identical results.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { browser, serve } from '../../tools/chromium.mjs';
import { tarball } from '../../tools/pack.mjs';
import { IMAGES, MODELS, ROOT } from '../node/data.mjs';

const exec = promisify(execFile);
let project;
let context;

before(async () => {
  const pack = await tarball();
  project = await mkdtemp(join(tmpdir(), 'mobilenet-consumer-'));
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  await exec('npm', ['install', pack, '--no-audit', '--no-fund', '--silent'], { cwd: project });
  context = await browser();
});

after(async () => {
  await context?.close();
});

test('Node: import the installed package and classify the cat', async () => {
  const script = join(project, 'classify.mjs');
  await writeFile(script, `
import { readFile } from 'node:fs/promises';
import { MobileNet } from 'mobilenet-wasm';
import { decodeImage } from 'mobilenet-wasm/decode';
const net = await MobileNet.load(${JSON.stringify(join(MODELS, 'mobilenet_v1_1.0_224_quant.tflite'))});
const top = await net.classify(decodeImage(await readFile(${JSON.stringify(join(IMAGES, 'cat.bmp'))})), { topK: 3 });
console.log(JSON.stringify({ top, backend: net.info.backend }));
`);
  const { stdout } = await exec(process.execPath, [script], { cwd: project });
  const { top, backend } = JSON.parse(stdout);
  assert.equal(top[0].label, 'Egyptian cat');
  assert.equal(backend, 'simd128');
  const bin = await exec(join(project, 'node_modules/.bin/mobilenet'), ['classify', '--json', '--top', '1', '--model',
    join(MODELS, 'mobilenet_v1_1.0_224_quant.tflite'), join(IMAGES, 'cat.bmp')]);
  assert.equal(JSON.parse(bin.stdout)[0].top[0].label, 'Egyptian cat');
});

async function classifyInPage(base) {
  const page = await context.newPage();
  await page.goto(base);
  const r = await page.evaluate(async () => {
    const { MobileNet } = await import('/pkg/index.js');
    const img = await createImageBitmap(await (await fetch('/images/cat.bmp')).blob());
    const runs = [];
    for (const options of [{ threads: 1 }, { threads: 1, worker: true }, { threads: 2 }]) {
      const net = await MobileNet.load('/models/mobilenet_v1_1.0_224_quant.tflite', options);
      runs.push({ options, top: await net.classify(img, { topK: 5 }), backend: net.info.backend, threads: net.info.threads });
      net.dispose();
    }
    return { isolated: crossOriginIsolated, runs };
  });
  await page.close();
  return r;
}

test('Chromium: main thread, Worker and threads, with and without isolation, identical results', async () => {
  const pkg = join(project, 'node_modules/mobilenet-wasm');
  const isolatedServer = await serve(['--pkg', pkg]);
  const plainServer = await serve(['--pkg', pkg, '--no-isolation']);
  try {
    const isolated = await classifyInPage(isolatedServer.base);
    const plain = await classifyInPage(plainServer.base);
    assert.equal(isolated.isolated, true);
    assert.equal(plain.isolated, false);
    const threaded = isolated.runs.find((r) => r.options.threads === 2);
    assert.equal(threaded.threads, 2);
    assert.match(threaded.backend, /^threads/);
    const fallback = plain.runs.find((r) => r.options.threads === 2);
    assert.equal(fallback.threads, 1);
    assert.doesNotMatch(fallback.backend, /threads/);
    const all = [...isolated.runs, ...plain.runs];
    for (const r of all) {
      assert.equal(r.top[0].label, 'Egyptian cat', JSON.stringify(r.options));
      assert.deepEqual(r.top, all[0].top, `${JSON.stringify(r.options)} ${r.backend} gives the same top-5`);
    }
  } finally {
    isolatedServer.stop();
    plainServer.stop();
  }
});

test('TypeScript: the installed package type-checks with moduleResolution bundler, node16 and nodenext', async () => {
  await copyFile(join(ROOT, 'tests/types/consumer.ts'), join(project, 'consumer.ts'));
  const settings = { bundler: 'esnext', node16: 'node16', nodenext: 'nodenext' };
  for (const [resolution, module] of Object.entries(settings)) {
    const config = join(project, `tsconfig.${resolution}.json`);
    await writeFile(config, JSON.stringify({
      compilerOptions: { target: 'ES2022', module, moduleResolution: resolution, lib: ['ES2022', 'DOM'], strict: true,
        noEmit: true, skipLibCheck: false, types: [] },
      files: ['consumer.ts'],
    }));
    const { stdout } = await exec(join(ROOT, 'node_modules/.bin/tsc'), ['-p', config], { cwd: project })
      .catch((e) => ({ stdout: `${e.stdout}${e.stderr}` }));
    assert.equal(stdout.trim(), '', `moduleResolution ${resolution}: ${stdout}`);
  }
});
