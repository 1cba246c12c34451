// The demo's model selection: which files the server has, the file to run for an α, ρ and type
// (the official one for exactly α×ρ, else that α's file trained at another size, run at ρ), and
// loading it (download progress, the Cache API) or re-planning the one loaded. The camera keeps
// running meanwhile; the newest pick wins when picks overlap.
import { MobileNet, parseZooFileName, zooAlphaName } from '/pkg/index.js';

export class Models {
  /** `progress`: a <progress> element; `onRestart(reason)`: the Worker of a model restarted. */
  constructor({ progress, onRestart }) {
    this.progress = progress;
    this.onRestart = onRestart;
    this.files = []; // [{ file, bytes }] from the server
    this.net = null;
    this.file = null;
    this.picks = 0;
  }

  /** Reads the server's list of model files. */
  async init() {
    const res = await fetch('/models/index.json');
    this.files = res.ok ? await res.json() : [];
    return this.files.length > 0;
  }

  /** { file, bytes, trained } to run for { alpha, resolution, dtype }, or null: the file of that
   *  α and type trained at ρ (official name first), else one trained at another size. */
  fileFor({ alpha, resolution, dtype }) {
    const quantized = dtype === 'uint8';
    const candidates = this.files.map((f) => ({ f, z: parseZooFileName(f.file) }))
      .filter(({ z }) => z && z.alpha === alpha && z.quantized === quantized)
      .sort((a, b) => Number(b.z.resolution === resolution) - Number(a.z.resolution === resolution) || Number(b.z.official) - Number(a.z.official));
    if (candidates.length === 0) return null;
    const { f, z } = candidates[0];
    return { ...f, trained: z.resolution };
  }

  /** Loads a file where the package puts it: with threads (an isolated page), a small model on
   *  the page's thread, a large one in a Worker of its own (net.info.runsIn). */
  load(file, options = {}) {
    return MobileNet.load(`/models/${file}`, { cache: true, ...options });
  }

  /**
   * Makes the model of configuration `c` the running one: `{ net, target, previous }` (previous:
   * the model it replaced, for the caller to dispose once nothing uses it), or null when a newer
   * pick overtook this one. Throws (with `target`) when the file cannot load.
   */
  async apply(c) {
    const pick = ++this.picks;
    const target = this.fileFor(c);
    if (!target) throw Object.assign(new Error(`no ${c.dtype} model file for α ${zooAlphaName(c.alpha)} on this server`), { target: null });
    let previous = null;
    try {
      if (this.file !== target.file) {
        this.progress.hidden = false;
        this.progress.value = 0;
        const next = await this.load(target.file, {
          onProgress: (loaded, total) => { if (total) this.progress.value = loaded / total; },
          onRestart: this.onRestart,
        });
        if (pick !== this.picks) {
          next.dispose();
          return null;
        }
        previous = this.net;
        this.net = next;
        this.file = target.file;
      }
      await this.net.setResolution(c.resolution);
    } catch (e) {
      throw Object.assign(e, { target });
    } finally {
      if (pick === this.picks) this.progress.hidden = true;
    }
    return pick === this.picks ? { net: this.net, target, previous } : null;
  }
}
