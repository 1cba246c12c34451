// Fetching the official MobileNet v1 models (Node): TensorFlow's .tgz archives, with progress,
// the .tflite extracted under its official name into a folder to self-host (for fromZoo). The
// names and URLs are zoo.js's; the download is source.js's.
import { createWriteStream } from 'node:fs';
import { mkdir, rename, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Parser } from 'tar';
import { MobileNetError } from './errors.js';
import { download } from './source.js';
import { OFFICIAL_BASE, ZOO, archiveUrl, zooFileName } from './zoo.js';

export { OFFICIAL_BASE, archiveUrl } from './zoo.js';

/**
 * Writes the archive entry named `want` (any folder) to `out`; resolves to whether it was found.
 * @param {Buffer} archive @param {string} want @param {string} out
 * @returns {Promise<boolean>}
 */
function extract(archive, want, out) {
  return new Promise((resolve, reject) => {
    let found = false;
    /** @type {Promise<void>[]} */
    const writes = [];
    const parser = new Parser({
      onReadEntry(entry) {
        if (!found && entry.type === 'File' && basename(entry.path) === want) {
          found = true;
          const file = createWriteStream(out);
          writes.push(new Promise((ok, fail) => { file.on('finish', ok); file.on('error', fail); }));
          entry.pipe(file);
        } else {
          entry.resume();
        }
      },
    });
    parser.on('error', reject);
    parser.on('end', () => Promise.all(writes).then(() => resolve(found), reject));
    parser.end(archive);
  });
}

/**
 * @typedef {object} FetchOptions
 * @property {string} out Folder the .tflite files are written to (created if needed).
 * @property {readonly number[]} [alphas] Default all of ZOO.alphas.
 * @property {readonly number[]} [resolutions] Default all of ZOO.resolutions.
 * @property {('quant' | 'float')[]} [types] Default both.
 * @property {string} [base] Download area (default OFFICIAL_BASE).
 * @property {(line: string) => void} [log] Progress and status lines.
 */

/**
 * Downloads and extracts official models into `out`. Files already there are skipped.
 * @param {FetchOptions} options
 * @returns {Promise<string[]>} the files written or already present
 */
export async function fetchModels({ out, alphas = ZOO.alphas, resolutions = ZOO.resolutions, types = ['quant', 'float'],
  base = OFFICIAL_BASE, log = () => {} }) {
  await mkdir(out, { recursive: true });
  const files = [];
  for (const type of types) {
    for (const alpha of alphas) {
      for (const resolution of resolutions) {
        const quantized = type === 'quant';
        const name = zooFileName(alpha, resolution, quantized);
        const target = join(out, name);
        if (await stat(target).then((s) => s.size > 0, () => false)) {
          log(`${name}: already there`);
          files.push(target);
          continue;
        }
        const url = archiveUrl(alpha, resolution, quantized, base);
        let shown = -1;
        const bytes = await download(url, (loaded, total) => {
          const step = total ? Math.floor((10 * loaded) / total) : Math.floor(loaded / (1 << 20));
          if (step !== shown) {
            shown = step;
            log(`${basename(url)}: ${(loaded / 1e6).toFixed(1)}${total ? ` / ${(total / 1e6).toFixed(1)}` : ''} MB`);
          }
        });
        const archive = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        const partial = `${target}.part`;
        if (!(await extract(archive, name, partial))) {
          throw new MobileNetError('MODEL_MALFORMED', `${url} holds no ${name}`, { url });
        }
        await rename(partial, target);
        log(`${name}: written`);
        files.push(target);
      }
    }
  }
  return files;
}
