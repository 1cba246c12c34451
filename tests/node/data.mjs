// Where the Node tests find their data (see tests/common/mod.rs for the Rust side).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const PKG = join(ROOT, 'pkg');
export const CLI = join(PKG, 'bin', 'mobilenet.mjs');
export const MODELS = process.env.MOBILENET_MODELS ?? join(ROOT, '../shared/models');
export const REFERENCE = process.env.MOBILENET_REFERENCE ?? join(ROOT, '../shared/reference');
export const IMAGES = process.env.MOBILENET_IMAGES ?? join(ROOT, '../shared/images');

/** Reads a data file, failing with a message that says what is missing and how to provide it. */
export async function data(path) {
  if (!existsSync(path)) {
    throw new Error(`missing test data ${path}: the models, images and reference outputs live in ../shared `
      + '(or set MOBILENET_MODELS / MOBILENET_REFERENCE / MOBILENET_IMAGES)');
  }
  return new Uint8Array(await readFile(path));
}

export async function manifest() {
  return JSON.parse(new TextDecoder().decode(await data(join(REFERENCE, 'manifest.json'))));
}

export const model = (name) => data(join(MODELS, `${name}.tflite`));
