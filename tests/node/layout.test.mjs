// The package layout bundlers depend on: the browser entry (index.js) and the Workers it starts
// are one module each and import no `node:` module; every build is reached through
// literal paths that exist in pkg/; the exports map sends Node to node.js and everything else
// to index.js.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { test } from 'node:test';
import { PKG } from './data.mjs';

const withoutComments = (src) => src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');

/** The Worker entries each module starts (literal new Worker(new URL(…))). */
const workers = new Map();

/** Every module reachable from `entry` through static imports, re-exports, dynamic imports
 *  with literal paths and `new Worker(new URL(literal, import.meta.url))`. */
function graph(entry) {
  const seen = new Map();
  const visit = (file) => {
    if (seen.has(file)) return;
    const src = withoutComments(readFileSync(file, 'utf8'));
    const specs = [
      ...src.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm),
      ...src.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm),
      ...src.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g),
      ...src.matchAll(/new Worker\(\s*new URL\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url/g),
    ].map((m) => m[1]);
    workers.set(file, [...src.matchAll(/new Worker\(\s*new URL\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url/g)]
      .map((m) => join(dirname(file), m[1])));
    seen.set(file, specs);
    for (const s of specs) if (s.startsWith('.')) visit(join(dirname(file), s));
  };
  visit(entry);
  return seen;
}

test('the browser entry and its Workers import no node: module, and every file they import exists', () => {
  const modules = graph(join(PKG, 'index.js'));
  const files = [...modules.keys()].map((f) => relative(PKG, f));
  for (const want of ['worker.js', 'threads/thread.js']) {
    assert.ok(files.includes(want), `${want} is reachable from index.js (found: ${files.join(', ')})`);
  }
  // The entries are bundles (build.sh bundle_entries): a page, the engine's Worker and each
  // thread fetch one module each.
  const page = [...modules.keys()].filter((f) => !/worker\.js$|thread\.js$/.test(f)).map((f) => relative(PKG, f)).sort();
  assert.deepEqual(page, ['index.js']);
  for (const entry of ['index.js', 'worker.js', 'threads/thread.js']) {
    assert.deepEqual([...graph(join(PKG, entry)).values()].flat().filter((s) => !/(worker|thread)\.js$/.test(s)), [],
      `${entry} imports nothing (one module)`);
  }
  for (const [file, specs] of modules) {
    assert.ok(existsSync(file), `${relative(PKG, file)} exists`);
    for (const s of specs) {
      assert.ok(!s.startsWith('node:'), `${relative(PKG, file)} imports ${s}`);
      assert.ok(s.startsWith('.'), `${relative(PKG, file)} imports the bare specifier ${s} (a CDN copy could not load it)`);
    }
    // No dynamic import() at all: Vite builds Workers as classic scripts, which cannot be split.
    assert.ok(!/\bimport\(/.test(withoutComments(readFileSync(file, 'utf8'))), `${relative(PKG, file)} has a dynamic import()`);
  }
});

test('every .wasm the browser entry and the Worker name with a literal new URL() exists', () => {
  for (const entry of ['index.js', 'worker.js']) {
    const src = readFileSync(join(PKG, entry), 'utf8');
    const urls = new Set([...src.matchAll(/new URL\((['"])(\.\/[^'"]+\.wasm)\1, import\.meta\.url\)/g)].map((m) => m[2]));
    assert.equal(urls.size, 4, `${entry}: one literal per build`);
    for (const u of urls) assert.ok(existsSync(join(PKG, u)), `${u} exists`);
  }
});

test('the relaxed builds ship their .wasm only: they run on their twins\' glue', () => {
  for (const dir of ['relaxed', 'threads-relaxed']) assert.deepEqual(readdirSync(join(PKG, dir)), ['mobilenet_wasm_bg.wasm']);
  for (const glue of ['mobilenet_wasm.js', 'threads/mobilenet_wasm.js']) assert.ok(existsSync(join(PKG, glue)), `${glue} exists`);
});

test('exports: Node gets node.js, browsers and bundlers index.js; Node-only subpaths carry the node condition', () => {
  const pkg = JSON.parse(readFileSync(join(PKG, 'package.json'), 'utf8'));
  const root = pkg.exports['.'];
  assert.equal(root.node, './node.js');
  assert.equal(root.browser, './index.js');
  assert.equal(root.default, './index.js');
  assert.deepEqual(Object.keys(root)[0], 'types');
  assert.ok(Object.keys(root).indexOf('browser') < Object.keys(root).indexOf('node'), 'browser before node');
  assert.equal(pkg.exports['./decode'].node, './decode.js');
  assert.equal(pkg.browser, './index.js');
  const nodeSide = graph(join(PKG, 'node.js'));
  assert.ok([...nodeSide.values()].flat().includes('node:fs/promises'), 'node.js reads files with node:fs');
  // The Node entry sets the hooks of the platform.js the API's modules import: it must reach the
  // unbundled api.js, not the browser bundle (whose copy of the hooks it cannot reach).
  const nodeFiles = [...nodeSide.keys()].map((f) => relative(PKG, f));
  for (const want of ['api.js', 'platform.js', 'errors.js']) assert.ok(nodeFiles.includes(want), `node.js reaches ${want}`);
  assert.ok(!nodeFiles.includes('index.js'), 'node.js does not load the browser bundle');
});

test('no Worker starts itself: a Worker entry\'s own module graph holds no Worker literal back to it', () => {
  // (Such a cycle makes Turbopack, Next.js 16's bundler, hang.)
  graph(join(PKG, 'index.js'));
  const entries = new Set([...workers.values()].flat());
  assert.ok(entries.size >= 2, `worker.js and thread.js (found ${[...entries].map((e) => relative(PKG, e))})`);
  for (const entry of entries) {
    for (const file of graph(entry).keys()) {
      assert.ok(!(workers.get(file) ?? []).includes(entry), `${relative(PKG, file)}, inside ${relative(PKG, entry)}'s graph, starts it again`);
    }
  }
});
