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
