// Type declarations of the mobilenet-wasm public API.

/** Stable error codes of {@link MobileNetError}. */
export type ErrorCode =
  | 'MODEL_MALFORMED'
  | 'MODEL_UNSUPPORTED'
  | 'INPUT_INVALID'
  | 'LIMITS_EXCEEDED'
  | 'INVALID_STATE'
  | 'NETWORK'
  | 'NO_SIMD'
  /** classifyVideo: the camera track ended (`reason: 'ended'`). */
  | 'CAMERA'
  /** A saved classifier restored on another model (file, α, dtype) or resolution, or a
   *  classifier used after its model moved to another input resolution. */
  | 'MODEL_MISMATCH';

/** What is wrong and where: the fields of an error raised by the engine (MODEL_MALFORMED,
 *  MODEL_UNSUPPORTED, INPUT_INVALID, LIMITS_EXCEEDED, INVALID_STATE). Only `what` is always
 *  there. */
export interface ErrorDetails {
  /** A stable snake_case key: `'stride'`, `'frame_size'`, `'model_bytes'`, `'operator'`… */
  what: string;
  /** The layer (the operator's position in the model's chain). */
  layer?: number;
  /** The operator's name (`'CONV_2D'`, `'MAX_POOL_2D'`, a custom operator's name). */
  operator?: string;
  /** The tensor's index in the file. */
  tensor?: number;
  /** The tensor's name in the file. */
  tensorName?: string;
  /** A byte offset in the model file. */
  offset?: number;
  /** The value found. */
  found?: number | number[] | string;
  /** What a valid value is. */
  expected?: number | number[] | string;
  /** The limit that was exceeded (LIMITS_EXCEEDED). */
  limit?: number;
}

/** Every failure of this package. */
export class MobileNetError extends Error {
  constructor(code: ErrorCode, message: string, extra?: Record<string, unknown>);
  readonly name: 'MobileNetError';
  readonly code: ErrorCode;
  /** HTTP status, for NETWORK errors from a server answer. */
  readonly status?: number;
  /** The URL or path, for NETWORK errors. */
  readonly url?: string;
  /** What is wrong and where, for errors raised by the engine. */
  readonly details?: ErrorDetails;
  /** What happened to the camera, for CAMERA errors. */
  readonly reason?: 'ended';
  /** MODEL_MISMATCH from fromJSON: the model the classifier was taught on. */
  readonly expected?: ClassifierModel;
  /** MODEL_MISMATCH from fromJSON: the model it was offered. */
  readonly actual?: Pick<ClassifierModel, 'alpha' | 'dtype' | 'resolution' | 'sha256'>;
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
  /** The labels in the file's metadata (a file from `exportTflite()`), or null: ImageNet's. */
  labels: string[] | null;
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

/** Options of {@link MobileNet.classifyVideo}: the result options, and how the loop runs. */
export interface ClassifyVideoOptions extends ClassifyOptions {
  /** Called once when the loop ends by itself: a CAMERA error (the track ended) or the model's
   *  error (e.g. INVALID_STATE, disposed). Without it the error goes to console.error. */
  onError?: (error: MobileNetError) => void;
  /** Pause while the page is hidden and resume on the newest frame (default true). */
  pauseWhenHidden?: boolean;
  /** 'browser' (default): each frame is center-cropped and scaled to the model's input size on
   *  its way — from the frame's own planes (VideoFrame) where the browser has WebCodecs, else
   *  drawn into a canvas (the cheapest path). 'engine': the browser only crops (a canvas), the
   *  engine resizes, as classify(video) does. */
  resize?: 'browser' | 'engine';
}

/** One frame's result from {@link MobileNet.classifyVideo}. */
export interface VideoResult {
  /** The ranked classes (the result options applied). */
  classes: Classification[];
  /** When the loop got the frame (requestVideoFrameCallback's time, performance.now() clock). */
  timestamp: number;
  /** The frame's media time in seconds. */
  mediaTime: number;
  /** When the camera captured the frame (performance.now() clock), where the browser says. */
  captureTime: number | null;
  /** From `timestamp` to this result, in ms. */
  frameToResultMs: number;
  /** The engine's work: its preprocessing (crop and resize of what it got) and the inference. */
  inferMs: number;
  /** Taking the frame from the video (draw, crop, scale, read back) and copying it into the engine. */
  prepareMs: number;
  /** The rest: the call queue, the Worker round trip (Worker form), the result's conversion. */
  transferMs: number;
  /** How long the frame waited for the frame before it (0 unless the model is slower than the camera). */
  waitMs: number;
  /** Of prepareMs: taking the frame from the video on the calling thread, and putting it into
   *  the engine's frame buffer (the VideoFrame path: converting size² pixels from its planes). */
  grabMs: number;
  copyMs: number;
  /** When this frame's processing started and when its result came (performance.now() clock). */
  startTime: number;
  endTime: number;
  /** 'videoframe' (the frame's own planes, WebCodecs) or 'canvas' (drawn into a canvas). */
  framePath: 'videoframe' | 'canvas';
  /** The video's size, and the side of the square the engine got. */
  width: number;
  height: number;
  inputSize: number;
  /** This result's number (1, 2, …) and the frames dropped so far. */
  frame: number;
  dropped: number;
}

export type VideoState = 'running' | 'paused' | 'hidden' | 'stopped' | 'ended' | 'error';

/** The running loop of {@link MobileNet.classifyVideo}. */
export interface LiveVideo {
  /** Stops for good (a result still in flight is not reported). */
  stop(): void;
  /** Stops classifying until resume(). */
  pause(): void;
  /** Resumes with the newest frame. */
  resume(): void;
  /** The next frames go to this model (e.g. another α); the camera keeps running. */
  setModel(net: MobileNet): void;
  /** New result options from the next frame on. */
  setOptions(options: ClassifyOptions): void;
  readonly state: VideoState;
  /** state === 'running'. */
  readonly running: boolean;
  /** What ended the loop (state 'ended' or 'error'), else null. */
  readonly error: MobileNetError | null;
  /** Frames classified, frames dropped (they arrived while one was in flight), and whether one is in flight. */
  readonly stats: { frames: number; dropped: number; inFlight: boolean; framePath: 'videoframe' | 'canvas'; fallbackReason: string | null };
  /** The model frames go to. */
  readonly model: MobileNet;
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
  /** The class names results carry: ImageNet's 1001, or the taught labels of an exported file. */
  readonly labels: readonly string[];
  /** Raw HWC input tensor → raw output (1001 values). */
  infer(input: Uint8Array): Promise<Uint8Array>;
  infer(input: Float32Array): Promise<Float32Array>;
  /** Center crop, resize, run: the top classes, score descending (ties by lower index). */
  classify(frame: Frame, options?: ClassifyOptions): Promise<Classification[]>;
  /** Classifies a playing video (a webcam) frame after frame: one frame in flight at most, frames
   *  arriving meanwhile dropped, paused while the page is hidden, the track ending reported. */
  classifyVideo(video: HTMLVideoElement, onResult: (result: VideoResult) => void, options?: ClassifyVideoOptions): LiveVideo;
  /** The feature vector before the classifier (1024·α values), for transfer learning. */
  embed(frame: Frame): Promise<Float32Array>;
  /** Runs at another input size (re-plans, no reload). */
  setResolution(resolution: number): Promise<void>;
  /** Diagnostics: wasm memory size, bytes allocated by the engine, allocations made so far. */
  memoryStats(): Promise<{ wasmMemoryBytes: number; liveBytes: number; allocations: number }>;
  /** Runs once on a raw input and times every layer. */
  profile(input: Uint8Array | Float32Array): Promise<LayerTiming[]>;
  /** A classifier of your own classes on this model's embeddings (k-NN, optional trained head). */
  createClassifier(options?: ClassifierOptions): Promise<MobileNetClassifier>;
  /** A copy of the `.tflite` file this model was loaded from. */
  modelBytes(): Uint8Array;
  /** SHA-256 of the model file, lowercase hex. */
  modelHash(): Promise<string>;
  /** Frees the model; later calls throw INVALID_STATE. */
  dispose(): void;
}

export interface ClassifierOptions {
  /** Nearest examples that vote in a k-NN prediction (default 3). */
  k?: number;
}

/** The model a classifier is bound to (and a saved one records). */
export interface ClassifierModel {
  alpha: number;
  dtype: 'uint8' | 'float32';
  /** The input size the examples were taken at. */
  resolution: number;
  trainedResolution: number;
  /** Embedding length (1024·α). */
  features: number;
  /** SHA-256 of the model file, lowercase hex. */
  sha256: string;
}

export interface PredictOptions {
  /** Neighbours that vote (default: the classifier's k). */
  k?: number;
  /** 'auto' (default): the trained head if there is one, else k-NN. */
  method?: 'auto' | 'knn' | 'head';
  /** Labels in `scores` at most (default all). */
  topK?: number;
  /** Also run the whole model on the frame: its top n ImageNet classes, and `mixed` (default 0). */
  imagenet?: number;
}

export interface Prediction {
  label: string;
  /** The top score. */
  confidence: number;
  method: 'knn' | 'head';
  /** Every label (or topK), best first. k-NN: share of the k votes, and the best cosine
   *  similarity to an example of the label; head: softmax probability. */
  scores: { label: string; score: number; similarity?: number }[];
  /** With `imagenet: n`: the model's own top n classes on the same frame. */
  imagenet?: Classification[];
  /** With `imagenet: n`: taught labels and ImageNet's top n in one list by score. */
  mixed?: { label: string; score: number; source: 'taught' | 'imagenet'; index?: number }[];
}

export interface TrainOptions {
  /** Passes over the examples (default 60). */
  epochs?: number;
  /** Examples per step (default 16). */
  batchSize?: number;
  /** Adam's step size (default 0.01). */
  learningRate?: number;
  /** L2 penalty on the weights (default 0.001). */
  l2?: number;
  /** Seed of the visiting order (default 1). */
  seed?: number;
}

export interface TrainStats {
  examples: number;
  epochs: number;
  steps: number;
  /** Mean cross-entropy on the examples after training. */
  loss: number;
  /** Fraction of the examples labelled right. */
  accuracy: number;
  /** Wall time of the call. */
  ms: number;
}

/** A trained linear head: logits = W·e + b on `embed()`'s output (dequantized floats for uint8
 *  models); the predicted label is `labels[argmax]`. */
export interface LinearHead {
  classes: number;
  features: number;
  /** `classes × features`, row-major. */
  weights: Float32Array;
  bias: Float32Array;
  labels: string[];
}

/** The persistence format of {@link MobileNetClassifier.toJSON}. */
export interface SavedClassifier {
  format: 'mobilenet-wasm/classifier';
  version: 1;
  model: ClassifierModel;
  k: number;
  labels: string[];
  /** `labels[i]` indexes the classifier's labels; `embeddings`: base64 of little-endian
   *  float32, one row of `model.features` per example. */
  examples: { labels: number[]; embeddings: string };
  /** base64 little-endian float32 (`labels.length × features` weights, row-major; biases). */
  head: { weights: string; bias: string; options: Required<TrainOptions> } | null;
}

/** Your own classes, taught from examples, on one model's embeddings. */
export class MobileNetClassifier {
  private constructor();
  /** The model it is bound to. */
  readonly model: ClassifierModel;
  /** Labels in the order they were first taught. */
  readonly labels: string[];
  /** Stored examples. */
  readonly size: number;
  readonly k: number;
  /** Whether a trained head is in place (predict uses it by default). */
  readonly trained: boolean;
  /** Examples per label. */
  counts(): Record<string, number>;
  /** Adds the frame's embedding under `label`. */
  addExample(frame: Frame, label: string): Promise<{ label: string; count: number }>;
  predict(frame: Frame, options?: PredictOptions): Promise<Prediction>;
  /** Removes a label and its examples; resolves to how many were removed. */
  removeLabel(label: string): Promise<number>;
  clear(): Promise<void>;
  /** Fits a softmax head on the examples, in the engine (seeded, deterministic). */
  train(options?: TrainOptions): Promise<TrainStats>;
  /** The trained head, or null. */
  head(): LinearHead | null;
  /** The model with the trained head in place of its ImageNet logits, as `.tflite` bytes (see
   *  exportTflite); INVALID_STATE before train(), MODEL_UNSUPPORTED if the examples were taken
   *  at another size than the file's own. */
  exportTflite(): Promise<Uint8Array>;
  toJSON(): SavedClassifier;
  /** Restores a classifier on the model it was taught on (else MODEL_MISMATCH). */
  static fromJSON(net: MobileNet, json: SavedClassifier | string): Promise<MobileNetClassifier>;
  /** Saves into this origin's IndexedDB under `name`. */
  save(name: string): Promise<void>;
  /** Restores the one saved under `name` (INPUT_INVALID if none, MODEL_MISMATCH for another model). */
  static load(net: MobileNet, name: string): Promise<MobileNetClassifier>;
  /** Names saved in this origin's IndexedDB. */
  static saved(): Promise<string[]>;
  /** Deletes the one saved under `name`. */
  static remove(name: string): Promise<void>;
  /** Frees its examples in the engine; later calls reject with INVALID_STATE. */
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

/** A taught linear classifier over the embedding `embed` returns, logits = weights · e + bias, as
 *  exportTflite takes it (a {@link LinearHead} from `classifier.head()` is one). */
export interface ExportHead {
  classes: number;
  /** The embedding's length (1024·α). */
  features: number;
  /** classes × features values, row-major (one row per class). */
  weights: Float32Array | ArrayLike<number>;
  /** classes values. */
  bias: Float32Array | ArrayLike<number>;
  /** One label per class (no line breaks), written into the file's metadata as `labels`. */
  labels?: string[];
}

/**
 * The bytes of a `.tflite`: `model` (the original file's bytes) with its 1001-class logits
 * replaced by `head` — float32 weights in a float model, uint8 weights (int32 bias) in a uint8
 * one. `calibration` (uint8 models): embeddings the head will see, e.g. its examples, which set
 * the logits' quantization range (without it the range covers any embedding, more coarsely).
 * Errors: MODEL_UNSUPPORTED (no AVERAGE_POOL_2D → CONV_2D 1×1 → RESHAPE → SOFTMAX classifier),
 * INPUT_INVALID (sizes that do not match the model or each other, non-finite values, labels),
 * MODEL_MALFORMED (not a model), LIMITS_EXCEEDED (over 100 000 classes).
 */
export function exportTflite(
  model: Uint8Array | ArrayBuffer,
  head: ExportHead,
  options?: { calibration?: Float32Array | ArrayLike<number>[] },
): Promise<Uint8Array>;

/** The labels an exported `.tflite` carries in its metadata (`labels`), or null. */
export function embeddedLabels(model: Uint8Array | ArrayBuffer): Promise<string[] | null>;
