// The type check of the package's JavaScript (`./build.sh lint`: tsc --checkJs --strict over the
// JSDoc, js/tsconfig.json) bites: on a copy of js/ it reports nothing, and with four mistakes
// seeded into the copy — arguments swapped, a misspelled method, a value that may be null, a
// wrong return type — it reports exactly those four, at their lines, and nothing else.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { PKG, ROOT } from './data.mjs';

const exec = promisify(execFile);
let dir;

before(async () => {
  // Inside the repository (target/), so the copy finds node_modules as js/ does.
  dir = await mkdtemp(join(ROOT, 'target', 'typecheck-'));
  const bin = join(ROOT, 'js', 'bin');
  await cp(join(ROOT, 'js'), dir, { recursive: true, filter: (f) => f !== bin && !f.startsWith(`${bin}/`) });
  // js/tsconfig.json's options, with the copy in place of js/ (the generated glue and labels
  // still come from pkg/).
  await writeFile(join(dir, 'tsconfig.check.json'), JSON.stringify({
    extends: join(ROOT, 'js/tsconfig.json'),
    compilerOptions: { rootDirs: [dir, PKG] },
    include: ['*.js'],
  }));
});

after(() => rm(dir, { recursive: true, force: true }));

/** tsc's errors on the copy: [{ file, line, code }]. */
async function check() {
  const { stdout } = await exec(join(ROOT, 'node_modules/.bin/tsc'), ['-p', join(dir, 'tsconfig.check.json'), '--pretty', 'false'])
    .catch((e) => ({ stdout: e.stdout }));
  return stdout.split('\n').filter((l) => /error TS\d+:/.test(l)).map((l) => {
    const m = /^(.*?)\((\d+),\d+\): error (TS\d+):/.exec(l);
    assert.ok(m, l);
    return { file: m[1].replace(/^.*\//, ''), line: Number(m[2]), code: m[3] };
  });
}

/** Replaces `from` (once, exactly) in the copy's `file`; resolves to the 1-based line it is on. */
async function seed(file, from, to) {
  const path = join(dir, file);
  const text = await readFile(path, 'utf8');
  const at = text.indexOf(from);
  assert.ok(at >= 0 && text.indexOf(from, at + 1) < 0, `${file} holds ${JSON.stringify(from)} once`);
  await writeFile(path, text.slice(0, at) + to + text.slice(at + from.length));
  return text.slice(0, at).split('\n').length;
}

test('the type check passes on the source and reports exactly the mistakes seeded into a copy', async () => {
  assert.deepEqual(await check(), [], 'js/ type-checks clean');
  const seeded = [
    // fromZoo passing baseUrl where zooUrl takes `quantized` (a boolean), and the other way round
    { file: 'api.js', line: await seed('api.js', 'zooUrl(alpha, resolution, quantized, baseUrl)', 'zooUrl(alpha, resolution, baseUrl, quantized)'), code: 'TS2345' },
    // a method the driver does not have
    { file: 'api.js', line: await seed('api.js', 'this.#run((d) => d.infer(input));', 'this.#run((d) => d.inferr(input));'), code: 'TS2551' },
    // a header that may be missing (get() returns string | null)
    { file: 'source.js', line: await seed('source.js', "Number(response.headers.get('content-length')) || 0;", "response.headers.get('content-length').length;"), code: 'TS2531' },
    // topK's documented number[] result
    { file: 'frames.js', line: await seed('frames.js', '  return best;', "  return best.join(',');"), code: 'TS2322' },
  ];
  const found = await check();
  const key = (e) => `${e.file}:${e.line} ${e.code}`;
  assert.deepEqual(found.map(key).sort(), seeded.map(key).sort());
});
