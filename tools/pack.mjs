// The packed package (`npm pack` of pkg/), made once per build and reused by every test that
// installs it into a fresh project (the consumer test and each bundler fixture).
import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PKG, ROOT } from '../tests/node/data.mjs';

const exec = promisify(execFile);

/** Path of the tarball of the current pkg/, packing it if pkg/ is newer than the last one. */
export async function tarball() {
  const dir = join(ROOT, 'target/pack');
  await mkdir(dir, { recursive: true });
  const built = statSync(join(PKG, 'package.json')).mtimeMs;
  const have = (await readdir(dir)).filter((f) => f.endsWith('.tgz')).map((f) => join(dir, f));
  const fresh = have.find((f) => existsSync(f) && statSync(f).mtimeMs >= built && statSync(f).mtimeMs >= statSync(join(PKG, 'index.js')).mtimeMs);
  if (fresh) return fresh;
  const { stdout } = await exec('npm', ['pack', PKG, '--pack-destination', dir, '--silent']);
  return join(dir, stdout.trim().split('\n').pop());
}
