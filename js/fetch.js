// Fetching the official MobileNet v1 models (Node): TensorFlow's .tgz archives, with progress,
// the .tflite extracted under its official name into a folder to self-host (for fromZoo).
import { createWriteStream } from 'node:fs';
import { mkdir, rename, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Parser } from 'tar';
import { MobileNetError } from './errors.js';
import { ZOO, zooFileName } from './zoo.js';

/** TensorFlow's download area for the official models. */
export const OFFICIAL_BASE = 'https://storage.googleapis.com/download.tensorflow.org/models';

/** The archive URL of one official model. */
export function archiveUrl(alpha, resolution, quantized, base = OFFICIAL_BASE) {
  const file = zooFileName(alpha, resolution, quantized).replace(/\.tflite$/, '.tgz');
  const folder = quantized ? 'mobilenet_v1_2018_08_02' : 'mobilenet_v1_2018_02_22';
  return `${base.replace(/\/$/, '')}/${folder}/${file}`;
}

async function download(url, onProgress) {
  let response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new MobileNetError('NETWORK', `cannot download ${url}: ${e.cause?.message ?? e.message}`, { url });
  }
  if (!response.ok) {
    throw new MobileNetError('NETWORK', `downloading ${url} failed: HTTP ${response.status}`, { status: response.status, url });
  }
  const total = Number(response.headers.get('content-length')) || 0;
  const chunks = [];
  let loaded = 0;
  for await (const chunk of response.body) {
    chunks.push(chunk);
    loaded += chunk.length;
    onProgress(loaded, total);
  }
  return Buffer.concat(chunks);
}

/** Writes the archive entry named `want` (any folder) to `out`; resolves to whether it was found. */
function extract(archive, want, out) {
  return new Promise((resolve, reject) => {
    let found = false;
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
 * Downloads and extracts official models into `out`. Files already there are skipped.
 * @param {{out: string, alphas?: number[], resolutions?: number[], types?: ('quant'|'float')[],
 *   base?: string, log?: (line: string) => void}} options
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
        const archive = await download(url, (loaded, total) => {
          const step = total ? Math.floor((10 * loaded) / total) : Math.floor(loaded / (1 << 20));
          if (step !== shown) {
            shown = step;
            log(`${basename(url)}: ${(loaded / 1e6).toFixed(1)}${total ? ` / ${(total / 1e6).toFixed(1)}` : ''} MB`);
          }
        });
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
