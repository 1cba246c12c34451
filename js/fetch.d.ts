// Type declarations of mobilenet-wasm/fetch (Node): the official models, for self-hosting.

/** TensorFlow's download area for the official models. */
export const OFFICIAL_BASE: string;

/** The .tgz archive URL of one official model. */
export function archiveUrl(alpha: number, resolution: number, quantized: boolean, base?: string): string;

export interface FetchOptions {
  /** Folder the .tflite files are written to (created if needed). */
  out: string;
  alphas?: number[];
  resolutions?: number[];
  types?: ('quant' | 'float')[];
  /** Download area (default OFFICIAL_BASE). */
  base?: string;
  /** Progress and status lines. */
  log?: (line: string) => void;
}

/** Downloads and extracts official models into `out`, skipping files already there. */
export function fetchModels(options: FetchOptions): Promise<string[]>;
