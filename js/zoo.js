// The official MobileNet v1 models: their α and ρ, file names and URLs.
import { MobileNetError } from './errors.js';
import { platform } from './platform.js';

/** The α and ρ of the official MobileNet v1 models. */
export const ZOO = Object.freeze({ alphas: [1, 0.75, 0.5, 0.25], resolutions: [224, 192, 160, 128] });

/** Official file name of a model: `mobilenet_v1_<α>_<ρ>[_quant].tflite`. */
export function zooFileName(alpha, resolution, quantized) {
  const a = Number(alpha);
  if (!ZOO.alphas.includes(a)) {
    throw new MobileNetError('INPUT_INVALID', `alpha must be one of ${ZOO.alphas.join(', ')}, not ${alpha}`);
  }
  if (!ZOO.resolutions.includes(Number(resolution))) {
    throw new MobileNetError('INPUT_INVALID', `resolution must be one of ${ZOO.resolutions.join(', ')}, not ${resolution}`);
  }
  const name = `mobilenet_v1_${a === 1 ? '1.0' : String(a)}_${Number(resolution)}`;
  return `${name}${quantized ? '_quant' : ''}.tflite`;
}

/** Where fromZoo finds a model: `baseUrl` + its official name (a folder path in Node). */
export function zooUrl(alpha, resolution, quantized, baseUrl) {
  const file = zooFileName(alpha, resolution, quantized);
  const base = String(baseUrl).endsWith('/') ? String(baseUrl) : `${baseUrl}/`;
  if (platform.node && !/^(https?|file):/i.test(base)) return `${base}${file}`; // a folder path
  const root = globalThis.location?.href ?? (platform.node ? `file://${process.cwd()}/` : undefined);
  return new URL(file, new URL(base, root)).href;
}
