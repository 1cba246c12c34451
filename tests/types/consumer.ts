// Type-checks a typical use of the public API against pkg/*.d.ts (tsc --noEmit, strict).
import { MobileNet, MobileNetError, cost, topK, LABELS, ZOO, zooFileName, threadsSupported, capabilities, setAssetBase, MobileNetClassifier } from 'mobilenet-wasm';
import type { Classification, ModelInfo, ErrorCode, Cost, Capabilities, LiveVideo, VideoResult, VideoState, Prediction, TrainStats, LinearHead, SavedClassifier, ExportHead } from 'mobilenet-wasm';
import { exportTflite, embeddedLabels } from 'mobilenet-wasm';
import { decodeImage } from 'mobilenet-wasm/decode';
import { fetchModels, archiveUrl } from 'mobilenet-wasm/fetch';

export async function main(bytes: Uint8Array, video: HTMLVideoElement): Promise<number> {
  setAssetBase('/mobilenet-wasm/');
  setAssetBase(null);
  const caps: Capabilities = MobileNet.capabilities();
  const why: string | null = capabilities().reason ?? caps.reason;
  const net = await MobileNet.load(bytes, { threads: 2, worker: false, assetBase: null, onProgress: (l: number, t: number) => void (l + t) });
  const threadsWhy: string | null = net.info.threadsReason;
  void why; void threadsWhy;
  const zoo = await MobileNet.fromZoo({ alpha: ZOO.alphas[0], resolution: 224, quantized: true, baseUrl: '/models/' });
  const info: ModelInfo = net.info;
  const out: Uint8Array = await net.infer(new Uint8Array(info.resolution * info.resolution * 3));
  const f: Float32Array = await zoo.infer(new Float32Array(3));
  const top: Classification[] = await net.classify(video, { topK: 3 });
  const cats: Classification[] = await net.classify(video, { scoreThreshold: 0.1, allow: ['Egyptian cat', 283], deny: [0] });
  void cats;
  const live: LiveVideo = net.classifyVideo(video, (r: VideoResult) => {
    const overhead: number = r.frameToResultMs - r.inferMs + r.prepareMs + r.transferMs + r.waitMs;
    void overhead; void r.classes[0]?.label; void r.timestamp;
  }, { topK: 3, scoreThreshold: 0.2, deny: [0], onError: (e: MobileNetError) => void e.reason, resize: 'engine' });
  live.pause();
  live.resume();
  live.setModel(zoo);
  live.setOptions({ topK: 1 });
  const s: VideoState = live.state;
  void s; void live.stats.dropped; void live.running;
  live.stop();
  const features: Float32Array = await net.embed({ data: new Uint8Array(4), width: 1, height: 1 });
  await net.setResolution(160);
  const layers = await net.profile(out);
  const c: Cost = await cost({ alpha: 0.5 });
  const image = decodeImage(new Uint8Array(0), 'x.bmp');
  const files: string[] = await fetchModels({ out: 'models', alphas: [0.25], types: ['quant'] });
  try {
    net.dispose();
  } catch (e) {
    if (e instanceof MobileNetError) {
      const code: ErrorCode = e.code;
      void code;
    }
  }
  const clf: MobileNetClassifier = await net.createClassifier({ k: 3 });
  const added: { label: string; count: number } = await clf.addExample(video, 'mine');
  const p: Prediction = await clf.predict(video, { method: 'auto', topK: 2, imagenet: 3 });
  void p.mixed?.[0]?.source; void p.imagenet?.[0]?.index;
  const stats: TrainStats = await clf.train({ epochs: 10, seed: 1 });
  const head: LinearHead | null = clf.head();
  const exportedFile: Uint8Array = await clf.exportTflite();
  void exportedFile;
  const saved: SavedClassifier = clf.toJSON();
  const again: MobileNetClassifier = await MobileNetClassifier.fromJSON(net, JSON.stringify(saved));
  await clf.save('mine');
  const names: string[] = await MobileNetClassifier.saved();
  const hash: string = await net.modelHash();
  void added; void p.scores[0]?.similarity; void stats.ms; void head?.weights; void again.counts(); void names; void hash;
  void net.modelBytes().length; void (clf.model.sha256 === saved.model.sha256);
  const best: number[] = topK(f, 5);
  return top.length + features.length + layers.length + c.macs + image.width + files.length + best.length
    + LABELS.length + zooFileName(1, 224, true).length + archiveUrl(1, 224, true).length + Number(threadsSupported())
    + info.threads + (info.backend === 'simd128' ? 1 : 0);
}

// exportTflite: a taught head in place of the ImageNet logits.
export async function exported(bytes: Uint8Array, examples: Float32Array[]): Promise<number> {
  const head: ExportHead = { classes: 2, features: 256, weights: new Float32Array(512), bias: [0, 0], labels: ['a', 'b'] };
  const file: Uint8Array = await exportTflite(bytes, head, { calibration: examples });
  const labels: string[] | null = await embeddedLabels(file.buffer as ArrayBuffer);
  return file.length + (labels?.length ?? 0);
}

// The rest of the public surface (what the hand-written declarations had and main() does not
// use), and the mistakes the types must refuse (each `@ts-expect-error` fails the check if the
// line below it compiles: the types must not get looser).
import type {
  Quant, LayerType, LayerCost, LayerTiming, RgbaFrame, Frame, ClassifyOptions, ClassifyVideoOptions, Limits, LoadOptions,
  ZooOptions, ClassifierOptions, ClassifierModel, PredictOptions, TrainOptions, ZooFile, ThreadStats,
} from 'mobilenet-wasm';
import { parseZooFileName, zooAlphaName, zooUrl } from 'mobilenet-wasm';
import { OFFICIAL_BASE } from 'mobilenet-wasm/fetch';
import type { FetchOptions } from 'mobilenet-wasm/fetch';

export async function surface(net: MobileNet, clf: MobileNetClassifier, frames: {
  image: ImageData; bitmap: ImageBitmap; canvas: HTMLCanvasElement; img: HTMLImageElement; offscreen: OffscreenCanvas;
  videoFrame: VideoFrame; video: HTMLVideoElement;
}): Promise<number> {
  const codes: ErrorCode[] = ['MODEL_MALFORMED', 'MODEL_UNSUPPORTED', 'INPUT_INVALID', 'LIMITS_EXCEEDED', 'INVALID_STATE',
    'NETWORK', 'NO_SIMD', 'CAMERA', 'MODEL_MISMATCH'];
  // @ts-expect-error: not an error code
  const notACode: ErrorCode = 'TIMEOUT';
  const err = new MobileNetError('NETWORK', 'x', { url: 'u', status: 404 });
  const name: 'MobileNetError' = err.name;
  const status: number | undefined = err.status;
  const url: string | undefined = err.url;
  const reason: 'ended' | undefined = err.reason;
  const expected: ClassifierModel | undefined = err.expected;
  const actualSha: string | undefined = err.actual?.sha256;
  // @ts-expect-error: the model is made by MobileNet.load
  new MobileNet();
  // @ts-expect-error: … and a classifier by createClassifier / fromJSON
  new MobileNetClassifier();

  const info: ModelInfo = net.info;
  const q: Quant | null = info.input_quant ?? info.output_quant;
  const shape: [number, number, number] = info.input_shape;
  const dtype: 'uint8' | 'float32' = info.dtype;
  const ops: string[] = info.operators;
  const layer: LayerCost | undefined = info.cost.layers[0];
  const byType: { macs: number; params: number } = info.cost.by_type.depthwise;
  const layerType: LayerType | undefined = layer?.type;
  // @ts-expect-error: not a layer type
  const notALayer: LayerType = 'dense';
  const labels: string[] | null = info.labels;
  const caps: Capabilities = info.capabilities;
  const flags: boolean[] = [caps.simd128, caps.relaxedSimd, caps.threads, caps.crossOriginIsolated, caps.sharedArrayBuffer, caps.inWorker];
  const names: readonly string[] = net.labels;
  const timings: LayerTiming[] = await net.profile(new Float32Array(3));
  const timing: [number, string, LayerType | null, number, number] | null = timings[0]
    ? [timings[0].index, timings[0].op, timings[0].type, timings[0].ms, timings[0].macs] : null;
  const mem: { wasmMemoryBytes: number; liveBytes: number; allocations: number } = await net.memoryStats();
  const ts: ThreadStats = await net.threadStats();
  const runs: number = ts.teamRuns + ts.soloRuns;
  const teamMs: number | null = ts.teamMs;
  const prefer: boolean = ts.preferTeam;
  // @ts-expect-error: a uint8 input gives a uint8 output
  const wrongOut: Float32Array = await net.infer(new Uint8Array(3));
  // @ts-expect-error: only typed arrays are inputs
  await net.infer([1, 2, 3]);

  const rgba: RgbaFrame = { data: new Uint8ClampedArray(4), width: 1, height: 1 };
  const all: Frame[] = [rgba, frames.image, frames.bitmap, frames.canvas, frames.img, frames.offscreen, frames.videoFrame, frames.video];
  // @ts-expect-error: not a frame
  await net.classify('cat.jpg');
  const options: ClassifyOptions = { topK: 1, scoreThreshold: 0.5, allow: ['cat', 1], deny: [2] };
  const videoOptions: ClassifyVideoOptions = { ...options, pauseWhenHidden: false, resize: 'browser' };
  // @ts-expect-error: resize is 'browser' or 'engine'
  const badResize: ClassifyVideoOptions = { resize: 'gpu' };
  const live = net.classifyVideo(frames.video, (r) => {
    const times: number[] = [r.mediaTime, r.frameToResultMs, r.inferMs, r.prepareMs, r.transferMs, r.waitMs, r.grabMs, r.copyMs,
      r.startTime, r.endTime, r.width, r.height, r.inputSize, r.frame, r.dropped];
    const capture: number | null = r.captureTime;
    const path: 'videoframe' | 'canvas' = r.framePath;
    void times; void capture; void path;
  }, videoOptions);
  const liveError: MobileNetError | null = live.error;
  const liveModel: MobileNet = live.model;
  const stats: { frames: number; inFlight: boolean; framePath: 'videoframe' | 'canvas'; fallbackReason: string | null } = live.stats;

  const limits: Limits = { maxModelBytes: 1, maxTensorElements: 2, maxResolution: 3, maxMacs: 4, maxFramePixels: 5 };
  const load: LoadOptions = { cache: true, limits, gemm: 'i16', onRestart: (why: string) => void why, assetBase: new URL('https://cdn.example/') };
  // @ts-expect-error: threads is a number
  const badLoad: LoadOptions = { threads: 'auto' };
  // @ts-expect-error: gemm is one of 'auto', 'dot', 'i16'
  const badGemm: LoadOptions = { gemm: 'fast' };
  const zoo: ZooOptions = { ...load, alpha: 0.5, resolution: 160, quantized: false, baseUrl: new URL('https://models.example/') };
  await MobileNet.load(new ArrayBuffer(8), load);
  await MobileNet.load('https://models.example/m.tflite');
  await MobileNet.load(new Response(new Uint8Array(8)));

  const copts: ClassifierOptions = { k: 5 };
  const model: ClassifierModel = clf.model;
  const popts: PredictOptions = { k: 1, method: 'knn', topK: 1, imagenet: 0 };
  // @ts-expect-error: not a method
  const badMethod: PredictOptions = { method: 'svm' };
  const p = await clf.predict(frames.image, popts);
  const pm: 'knn' | 'head' = p.method;
  const topts: Required<TrainOptions> = { epochs: 1, batchSize: 2, learningRate: 0.1, l2: 0, seed: 3 };
  const saved = clf.toJSON();
  const format: 'mobilenet-wasm/classifier' = saved.format;
  const version: 1 = saved.version;
  const headOptions: Required<TrainOptions> | undefined = saved.head?.options;
  const savedEmbeddings: string = saved.examples.embeddings;
  const counts: Record<string, number> = clf.counts();
  const removed: number = await clf.removeLabel('mine');
  await clf.clear();
  const restored: MobileNetClassifier = await MobileNetClassifier.load(net, 'mine');
  await MobileNetClassifier.remove('mine');
  clf.dispose();

  const official: ZooFile | null = parseZooFileName('mobilenet_v1_0.25_128_quant.tflite');
  const fetchOptions: FetchOptions = { out: 'models', resolutions: [128], base: OFFICIAL_BASE, log: (line: string) => void line };

  void notACode; void name; void status; void url; void reason; void expected; void actualSha; void q; void shape; void dtype;
  void ops; void byType; void layerType; void notALayer; void labels; void flags; void names; void timing; void mem; void wrongOut;
  void all; void badResize; void liveError; void liveModel; void stats; void badLoad; void badGemm; void zoo; void copts; void model;
  void badMethod; void pm; void topts; void format; void version; void headOptions; void savedEmbeddings; void counts; void removed;
  void restored; void fetchOptions;
  return codes.length + clf.labels.length + clf.size + clf.k + Number(clf.trained) + (official?.alpha ?? 0)
    + zooAlphaName(1).length + zooUrl(1, 224, true, '/models/').length + caps.maxThreads + (caps.reason?.length ?? 0);
}
