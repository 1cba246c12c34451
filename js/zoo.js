// The official MobileNet v1 models, in one place for the API (fromZoo), the CLI (fetch-models)
// and the demo: their α and ρ, file names (both ways), where fromZoo finds them, and the URLs of
// TensorFlow's archives.
import { MobileNetError } from './errors.js';
import { platform } from './platform.js';

/**
 * The α and ρ of the official MobileNet v1 models.
 * @type {{ readonly alphas: readonly number[], readonly resolutions: readonly number[] }}
 */
export const ZOO = Object.freeze({
  alphas: Object.freeze([1, 0.75, 0.5, 0.25]),
  resolutions: Object.freeze([224, 192, 160, 128]),
});

/** TensorFlow's download area for the official models. @type {string} */
export const OFFICIAL_BASE = 'https://storage.googleapis.com/download.tensorflow.org/models';

/**
 * α as the official file names write it: "1.0", "0.75", "0.5", "0.25".
 * @param {number} alpha
 * @returns {string}
 */
export function zooAlphaName(alpha) {
  const a = Number(alpha);
  return a === 1 ? '1.0' : String(a);
}

/**
 * Official file name of a model: `mobilenet_v1_<α>_<ρ>[_quant].tflite`.
 * @param {number} alpha one of ZOO.alphas
 * @param {number} resolution one of ZOO.resolutions
 * @param {boolean} quantized the uint8 model (else the float one)
 * @returns {string}
 */
export function zooFileName(alpha, resolution, quantized) {
  const a = Number(alpha);
  if (!ZOO.alphas.includes(a)) {
    throw new MobileNetError('INPUT_INVALID', `alpha must be one of ${ZOO.alphas.join(', ')}, not ${alpha}`);
  }
  if (!ZOO.resolutions.includes(Number(resolution))) {
    throw new MobileNetError('INPUT_INVALID', `resolution must be one of ${ZOO.resolutions.join(', ')}, not ${resolution}`);
  }
  return `mobilenet_v1_${zooAlphaName(a)}_${Number(resolution)}${quantized ? '_quant' : ''}.tflite`;
}

/**
 * @typedef {object} ZooFile What a MobileNet v1 file name says (see {@link parseZooFileName}).
 * @property {number} alpha
 * @property {number} resolution The input size the model was trained at.
 * @property {boolean} quantized uint8 (`_quant`) or float.
 * @property {boolean} official Whether the name is exactly {@link zooFileName}'s (a float file
 *   named `…_float.tflite` is not: TensorFlow's float files have no suffix).
 */

/**
 * Which official model fromZoo loads, and from where (with the load options: ZooOptions).
 * @typedef {object} ZooChoice
 * @property {number} [alpha] Width multiplier: 1, 0.75, 0.5 or 0.25 (default 1).
 * @property {number} [resolution] Input size: 224, 192, 160 or 128 (default 224).
 * @property {boolean} [quantized] The uint8 model (default) or the float one.
 * @property {string | URL} [baseUrl] Folder or URL holding the official file names (default "models/").
 */

const NAME = /^mobilenet_v1_(1\.0|0\.75|0\.5|0\.25)_(\d+)(_quant|_float)?\.tflite$/;

/**
 * The α, ρ and type a MobileNet v1 file name says (`mobilenet_v1_<α>_<ρ>[_quant|_float].tflite`,
 * any folder before it), or null for another name. ρ is any size; `official` says whether it is
 * one of the 32 official names.
 * @param {string} name
 * @returns {ZooFile | null}
 */
export function parseZooFileName(name) {
  const m = NAME.exec(String(name).replace(/^.*[/\\]/, ''));
  if (!m) return null;
  const alpha = Number(m[1]);
  const resolution = Number(m[2]);
  const quantized = m[3] === '_quant';
  const official = m[3] !== '_float' && ZOO.resolutions.includes(resolution);
  return { alpha, resolution, quantized, official };
}

/**
 * Where fromZoo finds a model: `baseUrl` + its official name (a folder path in Node).
 * @param {number} alpha
 * @param {number} resolution
 * @param {boolean} quantized
 * @param {string | URL} baseUrl
 * @returns {string}
 */
export function zooUrl(alpha, resolution, quantized, baseUrl) {
  const file = zooFileName(alpha, resolution, quantized);
  const base = String(baseUrl).endsWith('/') ? String(baseUrl) : `${baseUrl}/`;
  if (platform.node && !/^(https?|file):/i.test(base)) return `${base}${file}`; // a folder path
  const root = globalThis.location?.href ?? (platform.node ? `file://${process.cwd()}/` : undefined);
  return new URL(file, new URL(base, root)).href;
}

/**
 * The .tgz archive URL of one official model in TensorFlow's download area (or a copy of it
 * laid out the same way at `base`).
 * @param {number} alpha
 * @param {number} resolution
 * @param {boolean} quantized
 * @param {string} [base] default OFFICIAL_BASE
 * @returns {string}
 */
export function archiveUrl(alpha, resolution, quantized, base = OFFICIAL_BASE) {
  const file = zooFileName(alpha, resolution, quantized).replace(/\.tflite$/, '.tgz');
  const folder = quantized ? 'mobilenet_v1_2018_08_02' : 'mobilenet_v1_2018_02_22';
  return `${base.replace(/\/$/, '')}/${folder}/${file}`;
}
