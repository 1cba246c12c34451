// The demo's auto mode: measures every α×ρ of the current type on one frame, then picks the most
// accurate configuration whose latency meets the frame-rate target (the fastest when none does).
import { ZOO } from '/pkg/index.js';
import { published } from './accuracy.js';

/**
 * `models`: the Models; `frame`: an ImageBitmap to measure on; `dtype`; `target` (frames/s);
 * `record(α, ρ, ms)` keeps each measurement. Resolves to { pick, fitting, candidates } or null.
 */
export async function autoPick({ models, frame, dtype, target, record }) {
  const budget = 1000 / target;
  const candidates = [];
  for (const alpha of ZOO.alphas) {
    const f = models.fileFor({ alpha, resolution: 224, dtype });
    if (!f) continue;
    const net = await models.load(f.file);
    try {
      for (const resolution of ZOO.resolutions) {
        await net.setResolution(resolution);
        await net.classify(frame); // warm-up
        const times = [];
        for (let i = 0; i < 3; i++) {
          const t0 = performance.now();
          await net.classify(frame);
          times.push(performance.now() - t0);
        }
        times.sort((a, b) => a - b);
        record(alpha, resolution, times[1]);
        candidates.push({ alpha, resolution, ms: times[1], acc: published(alpha, resolution, dtype)?.top1 ?? 0 });
      }
    } finally {
      net.dispose();
    }
  }
  if (candidates.length === 0) return null;
  const fitting = candidates.filter((c) => c.ms <= budget).sort((a, b) => b.acc - a.acc || a.ms - b.ms);
  const pick = fitting[0] ?? [...candidates].sort((a, b) => a.ms - b.ms)[0];
  return { pick, fitting, candidates };
}
