#!/usr/bin/env node
// The `mobilenet` command: MobileNet v1 through the WebAssembly build, from the shell.
// Exit status: 0 success, 1 runtime error (one line on stderr, with the error code), 2 usage.

import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { MobileNet, MobileNetError, ZOO, cost } from '../node.js';
import { decodeImage } from '../decode.js';
import { OFFICIAL_BASE, fetchModels } from '../fetch.js';

const USAGE = `usage: mobilenet <command> [options]

commands:
  infer --model M.tflite --input in.bin --output out.bin [--resolution R]
      raw input tensor (HWC, uint8 or float32 little-endian) to raw output bytes
  classify --model M.tflite [--resolution R] [--top K] [--json] IMAGE...
      BMP, PNG or JPEG files, center-cropped and resized to the model input
  cost [--alpha A] [--resolution R] [--classes N] [--json]
      multiply-adds and parameters of MobileNet v1 (defaults: 1, 224, 1000)
  info --model M.tflite [--json]
      alpha, input size, dtype, multiply-adds, parameters and operators of a model
  fetch-models --out DIR [--alpha A,…] [--resolution R,…] [--quantized | --float] [--base-url URL]
      download TensorFlow's official models and extract the .tflite files into DIR, to host
      them for MobileNet.fromZoo (default: all α and sizes, uint8 and float)
`;

class UsageError extends Error {}

/** Parsed options of one command (node:util parseArgs). @typedef {Record<string, string | string[] | boolean | undefined>} Values */

/** A runtime failure tied to a file. */
class FileError extends Error {
  /** @param {string} file @param {any} err */
  constructor(file, err) {
    const code = err instanceof MobileNetError ? err.code : 'IO';
    super(`${file}: ${code}: ${err.message}`);
  }
}

/**
 * @type {Record<string, { options: import('node:util').ParseArgsConfig['options'], positionals?: boolean,
 *   run: (values: any, positionals: string[]) => Promise<void> }>}
 */
const COMMANDS = {
  infer: {
    options: { model: { type: 'string' }, input: { type: 'string' }, output: { type: 'string' }, resolution: { type: 'string' } },
    run: infer,
  },
  classify: {
    options: { model: { type: 'string' }, resolution: { type: 'string' }, top: { type: 'string' }, json: { type: 'boolean' } },
    positionals: true,
    run: classify,
  },
  cost: {
    options: { alpha: { type: 'string' }, resolution: { type: 'string' }, classes: { type: 'string' }, json: { type: 'boolean' } },
    run: costCommand,
  },
  info: {
    options: { model: { type: 'string' }, json: { type: 'boolean' } },
    run: info,
  },
  'fetch-models': {
    options: {
      out: { type: 'string' },
      alpha: { type: 'string', multiple: true },
      resolution: { type: 'string', multiple: true },
      quantized: { type: 'boolean' },
      float: { type: 'boolean' },
      'base-url': { type: 'string' },
    },
    run: fetchModelsCommand,
  },
};

/** @param {Values} values @param {string} name @returns {string} */
function required(values, name) {
  if (values[name] === undefined) throw new UsageError(`--${name} is required`);
  return /** @type {string} */ (values[name]);
}

/**
 * @overload @param {Values} values @param {string} name @param {{ integer?: boolean, fallback: number }} options @returns {number}
 */
/**
 * @overload @param {Values} values @param {string} name @param {{ integer?: boolean }} [options] @returns {number | undefined}
 */
/** @param {Values} values @param {string} name @param {{ integer?: boolean, fallback?: number }} [options] */
function number(values, name, { integer = false, fallback } = {}) {
  const raw = /** @type {string | undefined} */ (values[name]);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'}, not ${JSON.stringify(raw)}`);
  }
  return n;
}

/** @param {string} file */
async function readOrFail(file) {
  try {
    return new Uint8Array(await readFile(file));
  } catch (e) {
    throw new FileError(file, /** @type {NodeJS.ErrnoException} */ (e).code === 'ENOENT' ? new Error('no such file') : e);
  }
}

/** @param {string} file @param {number} [resolution] */
async function loadModel(file, resolution) {
  const bytes = await readOrFail(file);
  let net;
  try {
    net = await MobileNet.load(bytes);
  } catch (e) {
    throw new FileError(file, e);
  }
  if (resolution !== undefined) {
    try {
      await net.setResolution(resolution);
    } catch (e) {
      throw new FileError(file, e);
    }
  }
  return net;
}

/** @param {Values} values */
async function infer(values) {
  const modelFile = required(values, 'model');
  const inputFile = required(values, 'input');
  const outputFile = required(values, 'output');
  const net = await loadModel(modelFile, number(values, 'resolution', { integer: true }));
  const raw = await readOrFail(inputFile);
  const { dtype } = net.info;
  /** @type {Uint8Array | Float32Array} */
  let input;
  if (dtype === 'uint8') {
    input = raw;
  } else {
    if (raw.byteLength % 4 !== 0) {
      throw new FileError(inputFile, new MobileNetError('INPUT_INVALID', `${raw.byteLength} bytes is not a whole number of float32 values`));
    }
    input = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  }
  /** @type {Uint8Array | Float32Array} */
  let out;
  try {
    out = await (input instanceof Uint8Array ? net.infer(input) : net.infer(input));
  } catch (e) {
    throw new FileError(inputFile, e);
  }
  try {
    await writeFile(outputFile, new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
  } catch (e) {
    throw new FileError(outputFile, e);
  }
}

/** @param {Values} values @param {string[]} positionals */
async function classify(values, positionals) {
  const modelFile = required(values, 'model');
  const k = number(values, 'top', { integer: true, fallback: 5 });
  if (k < 1) throw new UsageError('--top must be at least 1');
  if (positionals.length === 0) throw new UsageError('classify needs at least one image file');
  const net = await loadModel(modelFile, number(values, 'resolution', { integer: true }));
  const results = [];
  for (const file of positionals) {
    const bytes = await readOrFail(file);
    let top;
    try {
      top = await net.classify(decodeImage(bytes, file), { topK: k });
    } catch (e) {
      throw new FileError(file, e);
    }
    results.push({ file: basename(file), top });
  }
  if (values.json) {
    console.log(JSON.stringify(results));
    return;
  }
  for (const { file, top } of results) {
    console.log(file);
    top.forEach((t, i) => console.log(`  ${i + 1}. ${t.score.toFixed(4)}  ${t.label} (${t.index})`));
  }
}

/** @param {number} n */
function millions(n) {
  return `${(n / 1e6).toFixed(2)} M`;
}

/** @param {Values} values */
async function costCommand(values) {
  const alpha = number(values, 'alpha', { fallback: 1 });
  const resolution = number(values, 'resolution', { integer: true, fallback: 224 });
  const classes = number(values, 'classes', { integer: true, fallback: 1000 });
  let c;
  try {
    c = await cost({ alpha, resolution, classes });
  } catch (e) {
    if (e instanceof MobileNetError && e.code === 'INPUT_INVALID') throw new UsageError(e.message);
    throw e;
  }
  if (values.json) {
    console.log(JSON.stringify(c));
    return;
  }
  console.log(`MobileNet v1, alpha ${c.alpha}, ${c.resolution}x${c.resolution}, ${c.classes} classes`);
  console.log(`multiply-adds ${millions(c.macs)}   parameters ${millions(c.params)}`);
  for (const [type, t] of Object.entries(c.by_type)) {
    console.log(`  ${type.padEnd(10)} ${millions(t.macs).padStart(10)} (${(100 * t.macs / c.macs).toFixed(2)}%)  ${millions(t.params).padStart(9)} (${(100 * t.params / c.params).toFixed(2)}%)`);
  }
}

/** @param {Values} values */
async function info(values) {
  const modelFile = required(values, 'model');
  const net = await loadModel(modelFile);
  const i = net.info;
  const out = {
    file: basename(modelFile),
    alpha: i.alpha,
    resolution: i.resolution,
    dtype: i.dtype,
    classes: i.classes,
    macs: i.macs,
    params: i.params,
    input_quant: i.input_quant,
    output_quant: i.output_quant,
    operators: i.operators,
  };
  if (values.json) {
    console.log(JSON.stringify(out));
    return;
  }
  console.log(`${out.file}: MobileNet v1 alpha ${out.alpha}, input ${out.resolution}x${out.resolution}x3 ${out.dtype}, ${out.classes} classes`);
  console.log(`multiply-adds ${millions(out.macs)}   parameters ${millions(out.params)}`);
  /** @type {Record<string, number>} */
  const counts = {};
  for (const op of out.operators) counts[op] = (counts[op] ?? 0) + 1;
  console.log(`operators (${out.operators.length}): ${Object.entries(counts).map(([k, v]) => `${k} x${v}`).join(', ')}`);
}

/** `--x 1,2 --x 3` → [1, 2, 3].
 *  @param {Values} values @param {string} name @param {readonly number[]} allowed @returns {readonly number[]} */
function list(values, name, allowed) {
  if (values[name] === undefined) return allowed;
  const items = /** @type {string[]} */ (values[name]).flatMap((v) => v.split(',')).map((v) => Number(v.trim()));
  for (const v of items) {
    if (!allowed.includes(v)) throw new UsageError(`--${name} must be among ${allowed.join(', ')}`);
  }
  return [...new Set(items)];
}

/** @param {Values} values */
async function fetchModelsCommand(values) {
  const out = required(values, 'out');
  if (values.quantized && values.float) throw new UsageError('--quantized and --float exclude each other');
  /** @type {('quant' | 'float')[]} */
  const types = values.quantized ? ['quant'] : values.float ? ['float'] : ['quant', 'float'];
  const files = await fetchModels({
    out,
    alphas: list(values, 'alpha', ZOO.alphas),
    resolutions: list(values, 'resolution', ZOO.resolutions),
    types,
    base: /** @type {string | undefined} */ (values['base-url']) ?? OFFICIAL_BASE,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  console.log(`${files.length} model(s) in ${out}`);
}

/** @param {string[]} argv @returns {Promise<number>} */
async function main(argv) {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  const spec = COMMANDS[command];
  if (!spec) throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: spec.options, allowPositionals: !!spec.positionals, strict: true });
  } catch (e) {
    throw new UsageError(/** @type {Error} */ (e).message);
  }
  await spec.run(parsed.values, parsed.positionals);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e) => {
    if (e instanceof UsageError) {
      process.stderr.write(`mobilenet: ${e.message}\n${USAGE}`);
      process.exitCode = 2;
    } else if (e instanceof FileError) {
      process.stderr.write(`mobilenet: ${e.message}\n`);
      process.exitCode = 1;
    } else if (e instanceof MobileNetError) {
      process.stderr.write(`mobilenet: ${e.code}: ${e.message}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`mobilenet: ${e?.message ?? e}\n`);
      process.exitCode = 1;
    }
  },
);

