// Type declarations of the mobilenet-wasm public API.

/** Stable error codes of {@link MobileNetError}. */
export type ErrorCode =
  | 'MODEL_MALFORMED'
  | 'MODEL_UNSUPPORTED'
  | 'INPUT_INVALID'
  | 'LIMITS_EXCEEDED'
  | 'INVALID_STATE'
  | 'NETWORK'
  | 'NO_SIMD';

/** Every failure of this package. */
export class MobileNetError extends Error {
  constructor(code: ErrorCode, message: string, extra?: Record<string, unknown>);
  readonly name: 'MobileNetError';
  readonly code: ErrorCode;
  /** HTTP status, for NETWORK errors from a server answer. */
  readonly status?: number;
  /** The URL or path, for NETWORK errors. */
  readonly url?: string;
}

/** uint8 per-tensor quantization: real = scale · (q − zero_point). */
export interface Quant {
  scale: number;
  zero_point: number;
}

export type LayerType = 'conv' | 'depthwise' | 'pointwise' | 'fc';

export interface LayerCost {
  name: string;
  type: LayerType;
  /** [height, width, channels] */
  output: [number, number, number];
  macs: number;
  params: number;
}

export interface Cost {
  alpha: number;
  resolution: number;
  classes: number;
  macs: number;
  params: number;
  by_type: Record<LayerType, { macs: number; params: number }>;
  layers: LayerCost[];
}

export interface ModelInfo {
  /** Width multiplier α (stem channels / 32). */
  alpha: number;
  /** Current input resolution. */
  resolution: number;
  /** The input resolution the file declares (the one it was trained at). */
  trained_resolution: number;
  dtype: 'uint8' | 'float32';
  classes: number;
  input_shape: [number, number, number];
  input_quant: Quant | null;
  output_quant: Quant | null;
  /** TFLite operator names, in execution order. */
  operators: string[];
  /** Kernel implementation in the engine. */
  kernels: string;
  macs: number;
  params: number;
  cost: Cost;
  /** Threads actually used. */
  threads: number;
  /** Build in use: "simd128", "relaxed-simd", "threads" or "threads-relaxed-simd". */
  backend: 'simd128' | 'relaxed-simd' | 'threads' | 'threads-relaxed-simd';
  /** Why this model runs on one thread although more were asked for (null otherwise). */
  threadsReason: string | null;
  /** What the context running the engine offers (see {@link MobileNet.capabilities}). */
  capabilities: Capabilities;
}

/** What a JavaScript context gives the engine. */
export interface Capabilities {
  /** WebAssembly SIMD128 (required). */
  simd128: boolean;
  /** Relaxed SIMD (the faster builds use it where it validates). */
  relaxedSimd: boolean;
  /** Whether the threaded build can run here. */
  threads: boolean;
  /** Threads a model gets by default (navigator.hardwareConcurrency where threads work, else 1). */
  maxThreads: number;
  crossOriginIsolated: boolean;
  sharedArrayBuffer: boolean;
  /** Whether this context is itself a Worker. */
  inWorker: boolean;
  /** When threads are off: why, and what to change (e.g. the two headers to send). */
  reason: string | null;
}

export interface LayerTiming {
  index: number;
  /** TFLite operator name. */
  op: string;
  /** Cost-model type of a weighted layer. */
  type: LayerType | null;
  ms: number;
  macs: number;
}

export interface Classification {
  index: number;
  label: string;
  score: number;
}

/** RGBA pixels. */
export interface RgbaFrame {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
}

export type Frame =
  | RgbaFrame
  | ImageData
  | ImageBitmap
  | HTMLVideoElement
  | HTMLCanvasElement
  | HTMLImageElement
  | OffscreenCanvas
  | VideoFrame;

/** Which classes classify() returns. */
export interface ClassifyOptions {
  /** How many classes at most (integer ≥ 0, default 5). */
  topK?: number;
  /** Only classes with a score ≥ this (0..1, default 0). */
  scoreThreshold?: number;
  /** Only these classes (labels or class indices). */
  allow?: (string | number)[];
  /** Never these classes (labels or class indices). */
  deny?: (string | number)[];
}

export interface Limits {
  /** Largest model file (default 64 MiB). */
  maxModelBytes?: number;
  /** Largest activation tensor in elements (default 16 Mi). */
  maxTensorElements?: number;
  /** Largest input resolution (default 1024). */
  maxResolution?: number;
  /** Most multiply-adds per inference (default 16 G). */
  maxMacs?: number;
  /** Largest frame for classify / embed, in pixels (default 4096 × 4096). */
  maxFramePixels?: number;
}

export interface LoadOptions {
  /** Threads to use (default: navigator.hardwareConcurrency on a cross-origin isolated page,
   *  else 1). Where threads are unavailable the model runs on one. */
  threads?: number;
  /** Run the model in a module Worker (default: when threads > 1 on a page's main thread). */
  worker?: boolean;
  /** Keep a URL's download in the Cache API (browsers), so a reload does not download again. */
  cache?: boolean;
  /** Size limits; beyond them calls fail with LIMITS_EXCEEDED. */
  limits?: Limits;
  /** Worker form: called after the engine trapped or ran out of memory and its Worker was
   *  replaced (same model and resolution, ready again). */
  onRestart?: (reason: string) => void;
  /** Called during downloads with the bytes loaded so far and the total (0 if unknown). */
  onProgress?: (loaded: number, total: number) => void;
  /** Where the package's files (its .wasm builds and worker.js, in the package's folder layout)
   *  are served, for bundlers that do not copy them (esbuild, Rollup) or a CDN copy; the same
   *  as calling {@link setAssetBase} first. */
  assetBase?: string | URL | null;
}

export interface ZooOptions extends LoadOptions {
  /** Width multiplier: 1, 0.75, 0.5 or 0.25 (default 1). */
  alpha?: number;
  /** Input size: 224, 192, 160 or 128 (default 224). */
  resolution?: number;
  /** The uint8 model (default) or the float one. */
  quantized?: boolean;
  /** Folder or URL holding the official file names (default "models/"). */
  baseUrl?: string | URL;
}

/** The α and ρ of the official models. */
export const ZOO: { readonly alphas: readonly number[]; readonly resolutions: readonly number[] };

/** Official file name: `mobilenet_v1_<α>_<ρ>[_quant].tflite`. */
export function zooFileName(alpha: number, resolution: number, quantized: boolean): string;

export class MobileNet {
  private constructor();
  /** What this context gives the engine and, when threads are off, why. */
  static capabilities(): Capabilities;
  /** Loads a `.tflite` MobileNet v1 model from a URL, a path (Node), a Response or bytes. */
  static load(source: string | URL | Response | ArrayBuffer | Uint8Array, options?: LoadOptions): Promise<MobileNet>;
  /** One of the official models, by α and ρ, from `baseUrl` (default "models/"), cached. */
  static fromZoo(options?: ZooOptions): Promise<MobileNet>;
  /** Model facts at the current resolution. */
  readonly info: ModelInfo;
  /** Raw HWC input tensor → raw output (1001 values). */
  infer(input: Uint8Array): Promise<Uint8Array>;
  infer(input: Float32Array): Promise<Float32Array>;
  /** Center crop, resize, run: the top classes, score descending (ties by lower index). */
  classify(frame: Frame, options?: ClassifyOptions): Promise<Classification[]>;
  /** The feature vector before the classifier (1024·α values), for transfer learning. */
  embed(frame: Frame): Promise<Float32Array>;
  /** Runs at another input size (re-plans, no reload). */
  setResolution(resolution: number): Promise<void>;
  /** Diagnostics: wasm memory size, bytes allocated by the engine, allocations made so far. */
  memoryStats(): Promise<{ wasmMemoryBytes: number; liveBytes: number; allocations: number }>;
  /** Runs once on a raw input and times every layer. */
  profile(input: Uint8Array | Float32Array): Promise<LayerTiming[]>;
  /** Frees the model; later calls throw INVALID_STATE. */
  dispose(): void;
}

/** Whether this context can run the threaded build (cross-origin isolated browser page or Worker). */
export function threadsSupported(): boolean;

/** What this context gives the engine and, when threads are off, why (= MobileNet.capabilities()). */
export function capabilities(): Capabilities;

/** Where the package's files are served (null: next to the package's modules, the default). */
export function setAssetBase(base: string | URL | null): void;

/** The cost model of the plain MobileNet v1 architecture. */
export function cost(options?: { alpha?: number; resolution?: number; classes?: number }): Promise<Cost>;

/** Indices of the k largest scores, score descending, ties by lower index. */
export function topK(scores: ArrayLike<number>, k: number): number[];

/** The 1001 ImageNet labels (index 0 = "background"). */
export const LABELS: readonly string[];
