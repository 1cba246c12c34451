// The demo's Teach mode: your own classes on top of the running model's embeddings
// (MobileNetClassifier). Add and name classes, hold a class's button to record examples from
// the camera (thumbnails and counts), live bars for the taught classes (k-NN, or the trained
// head after Train), save to IndexedDB (restored after a reload for the same model and size),
// download the JSON (and the .tflite when the package can export one), optionally ImageNet's
// top 3 in the same ranked list, back to ImageNet.
// Without a camera, a press records the image on show. Uses only the package's public API.
import { MobileNetClassifier, MobileNetError } from '/pkg/index.js';

const THUMBS = 8; // thumbnails kept per class
const RECORD_EVERY_MS = 100; // at most 10 examples a second while a button is held

const $ = (id) => document.getElementById(id);

/** One frame → a small square thumbnail (the center crop the engine takes). */
function thumbnail(source) {
  const w = source.videoWidth || source.width;
  const h = source.videoHeight || source.height;
  const s = Math.min(w, h);
  const c = document.createElement('canvas');
  c.width = c.height = 48;
  c.getContext('2d').drawImage(source, (w - s) / 2, (h - s) / 2, s, s, 0, 0, 48, 48);
  return c;
}

/** Waits for the next video frame (requestVideoFrameCallback where there is one). */
const nextFrame = (video) => new Promise((resolve) => {
  if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(() => resolve());
  else requestAnimationFrame(() => resolve());
});

function download(name, blob) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

export class TeachMode {
  /**
   * `video`: the camera's element; `camera`: the Camera (is it live?); `still()`: the image on
   * show (or null); `net()`: the running model and `modelName()` its file and size;
   * `onEnter()` / `onLeave()`: stop / restart the ImageNet loop; `showError(e)`.
   */
  constructor({ video, camera, still, net, modelName, onEnter, onLeave, showError }) {
    Object.assign(this, { video, camera, still, net, modelName, onEnter, onLeave, showError });
    this.ui = {
      panel: $('teach'), imagenet: $('mode-imagenet'), teach: $('mode-teach'), name: $('class-name'), add: $('class-add'),
      classes: $('classes'), train: $('teach-train'), save: $('teach-save'), json: $('teach-json'), tflite: $('teach-tflite'),
      clear: $('teach-clear'), status: $('teach-status'), bars: $('teach-bars'), top: $('top'), mix: $('teach-mix'),
    };
    this.active = false;
    this.clf = null;
    this.clfModel = null; // modelName() the classifier belongs to
    this.recording = null; // the label being recorded
    this.thumbs = new Map(); // label → [canvas]
    this.loopRunning = false;
    this.ui.teach.addEventListener('change', () => { if (this.ui.teach.checked) this.enter(); });
    this.ui.imagenet.addEventListener('change', () => { if (this.ui.imagenet.checked) this.leave(); });
    $('class-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.addClass(this.ui.name.value.trim());
    });
    this.ui.train.addEventListener('click', () => this.train());
    this.ui.save.addEventListener('click', () => this.save());
    this.ui.json.addEventListener('click', () => this.downloadJson());
    this.ui.tflite.addEventListener('click', () => this.downloadTflite());
    this.ui.clear.addEventListener('click', () => this.clear());
  }

  status(text) {
    this.ui.status.textContent = text;
  }

  /** The IndexedDB name of the running model's saved classes. */
  savedName() {
    return `demo:${this.modelName()}`;
  }

  async enter() {
    this.active = true;
    this.ui.panel.hidden = false;
    this.ui.teach.checked = true;
    localStorage.setItem('mobilenet-demo-mode', 'teach');
    this.onEnter();
    await this.modelChanged();
    this.run();
  }

  leave() {
    this.active = false;
    this.stopRecording();
    this.ui.panel.hidden = true;
    this.ui.imagenet.checked = true;
    this.ui.bars.replaceChildren();
    this.ui.bars.dataset.top1 = '';
    localStorage.setItem('mobilenet-demo-mode', 'imagenet');
    this.onLeave();
  }

  /**
   * The running model (or its size) changed: classes belong to one model at one size, so take
   * the ones saved for the new one, or start empty.
   */
  async modelChanged() {
    if (!this.active || !this.net()) return;
    const name = this.modelName();
    if (this.clf && this.clfModel === name) return;
    this.clf?.dispose();
    this.clf = null;
    this.thumbs.clear();
    this.clfModel = name;
    const net = this.net();
    let restored = null;
    try {
      if ((await MobileNetClassifier.saved()).includes(this.savedName())) restored = await MobileNetClassifier.load(net, this.savedName());
    } catch (e) {
      this.showError(e);
    }
    if (this.clfModel !== name) { restored?.dispose(); return; } // another switch meanwhile
    this.clf = restored ?? await net.createClassifier();
    this.render();
    const counts = Object.entries(this.clf.counts()).map(([l, n]) => `${l} ${n}`).join(', ');
    this.status(restored ? `Restored the classes saved for ${name}: ${counts}${this.clf.trained ? ' (trained)' : ''}.`
      : `Teaching on ${name}. Add a class, then hold its button to record examples.`);
    this.ui.panel.dataset.restored = restored ? 'true' : 'false';
  }

  addClass(name) {
    if (!name) return;
    if (!this.thumbs.has(name) && !this.clf?.labels.includes(name)) this.thumbs.set(name, []);
    this.ui.name.value = '';
    this.render();
  }

  /** Labels shown: the classifier's, plus classes added but not recorded yet. */
  labels() {
    const taught = this.clf?.labels ?? [];
    return [...taught, ...[...this.thumbs.keys()].filter((l) => !taught.includes(l))];
  }

  render() {
    const counts = this.clf?.counts() ?? {};
    const rows = this.labels().map((label) => {
      const li = document.createElement('li');
      li.dataset.label = label;
      const rec = document.createElement('button');
      rec.type = 'button';
      rec.className = 'record';
      rec.textContent = `Hold to record “${label}”`;
      rec.setAttribute('aria-pressed', String(this.recording === label));
      const start = (ev) => { ev.preventDefault(); this.startRecording(label); };
      const stop = () => this.stopRecording();
      rec.addEventListener('pointerdown', start);
      rec.addEventListener('pointerup', stop);
      rec.addEventListener('pointerleave', stop);
      rec.addEventListener('pointercancel', stop);
      rec.addEventListener('keydown', (ev) => { if ((ev.key === ' ' || ev.key === 'Enter') && !ev.repeat) start(ev); });
      rec.addEventListener('keyup', (ev) => { if (ev.key === ' ' || ev.key === 'Enter') stop(); });
      const count = document.createElement('span');
      count.className = 'count';
      count.textContent = `${counts[label] ?? 0} examples`;
      count.dataset.count = String(counts[label] ?? 0);
      const strip = document.createElement('span');
      strip.className = 'thumbs';
      strip.append(...(this.thumbs.get(label) ?? []));
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'remove';
      remove.textContent = 'Remove';
      remove.setAttribute('aria-label', `Remove class ${label}`);
      remove.addEventListener('click', () => this.removeClass(label));
      li.append(rec, count, remove, strip);
      return li;
    });
    this.ui.classes.replaceChildren(...rows);
    const n = this.clf?.labels.length ?? 0;
    this.ui.train.disabled = n < 2;
    this.ui.save.disabled = !this.clf?.size;
    this.ui.json.disabled = !this.clf?.size;
    this.ui.tflite.hidden = typeof this.clf?.exportTflite !== 'function';
    this.ui.tflite.disabled = !this.clf?.trained;
    this.ui.clear.disabled = !this.clf?.size;
  }

  startRecording(label) {
    if (this.recording === label) return;
    this.recording = label;
    this.lastRecord = 0;
    for (const b of this.ui.classes.querySelectorAll('button.record')) {
      b.setAttribute('aria-pressed', String(b.closest('li').dataset.label === label));
    }
    // No camera: one press records the image on show.
    if (!this.camera.live) {
      const img = this.still();
      if (img) this.record(img, label).catch((e) => this.showError(e));
      else this.status('Start the camera (or pick an image) to record examples.');
    }
  }

  stopRecording() {
    if (!this.recording) return;
    this.recording = null;
    for (const b of this.ui.classes.querySelectorAll('button.record')) b.setAttribute('aria-pressed', 'false');
  }

  async record(source, label) {
    const clf = this.clf;
    const thumb = thumbnail(source);
    const { count } = await clf.addExample(source, label);
    if (clf !== this.clf) return;
    const list = this.thumbs.get(label) ?? [];
    list.unshift(thumb);
    list.length = Math.min(list.length, THUMBS);
    this.thumbs.set(label, list);
    this.status(`${label}: ${count} examples${this.clf.trained ? '' : ' — k-NN until you train again'}.`);
    this.render();
  }

  /** One frame at a time while Teach mode is on and the camera runs: record or predict. */
  async run() {
    if (this.loopRunning) return;
    this.loopRunning = true;
    try {
      while (this.active && this.camera.live) {
        await nextFrame(this.video);
        if (!this.active || !this.camera.live || !this.clf || this.video.readyState < 2) continue;
        try {
          if (this.recording) {
            if (performance.now() - this.lastRecord >= RECORD_EVERY_MS) {
              this.lastRecord = performance.now();
              await this.record(this.video, this.recording);
            }
          } else if (this.clf.size) {
            this.showPrediction(await this.clf.predict(this.video, this.predictOptions()));
          }
        } catch (e) {
          if (e instanceof MobileNetError && e.code === 'INVALID_STATE' && !this.camera.live) break;
          this.showError(e);
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    } finally {
      this.loopRunning = false;
    }
  }

  /** The camera went live (again). */
  cameraLive() {
    if (this.active) this.run();
  }

  /** A still image is on show: predict it once. */
  async predictStill(img) {
    if (!this.active || !this.clf?.size) return;
    try {
      this.showPrediction(await this.clf.predict(img, this.predictOptions()));
    } catch (e) {
      this.showError(e);
    }
  }

  predictOptions() {
    return this.ui.mix.checked ? { imagenet: 3 } : {};
  }

  showPrediction(p) {
    this.ui.bars.replaceChildren(...(p.mixed ?? p.scores.map((s) => ({ ...s, source: 'taught' }))).map((s) => {
      const li = document.createElement('li');
      li.dataset.source = s.source;
      li.textContent = `${s.label}${s.source === 'imagenet' ? ' (ImageNet)' : ''} — ${(s.score * 100).toFixed(0)}%`;
      const bar = document.createElement('span');
      bar.className = 'bar';
      bar.style.width = `${Math.max(1, s.score * 100)}%`;
      li.append(bar);
      return li;
    }));
    this.ui.bars.dataset.top1 = p.label;
    this.ui.bars.dataset.method = p.method;
  }

  async train() {
    this.status('training…');
    try {
      const s = await this.clf.train();
      this.status(`Trained a softmax head on ${s.examples} examples in ${s.ms.toFixed(0)} ms `
        + `(${(s.accuracy * 100).toFixed(0)}% right on them, loss ${s.loss.toFixed(3)}); the bars now show its probabilities.`);
      this.ui.status.dataset.trained = 'true';
    } catch (e) {
      this.status('training failed');
      this.showError(e);
    }
    this.render();
  }

  async save() {
    try {
      await this.clf.save(this.savedName());
      this.status(`Saved ${this.clf.size} examples${this.clf.trained ? ' and the trained head' : ''} in this browser (IndexedDB) for ${this.modelName()}; a reload restores them.`);
      this.ui.status.dataset.saved = 'true';
    } catch (e) {
      this.showError(e);
    }
  }

  downloadJson() {
    const name = this.modelName().replace(/\.tflite.*$/, '');
    download(`taught-${name}.json`, new Blob([JSON.stringify(this.clf)], { type: 'application/json' }));
  }

  async downloadTflite() {
    try {
      const bytes = await this.clf.exportTflite();
      download(`taught-${this.modelName().replace(/\.tflite.*$/, '')}.tflite`, new Blob([bytes], { type: 'application/octet-stream' }));
    } catch (e) {
      this.showError(e);
    }
  }

  async removeClass(label) {
    this.thumbs.delete(label);
    if (this.clf?.labels.includes(label)) {
      try {
        await this.clf.removeLabel(label);
      } catch (e) {
        this.showError(e);
      }
    }
    this.render();
  }

  async clear() {
    await this.clf.clear();
    this.thumbs.clear();
    this.ui.bars.replaceChildren();
    this.status('Cleared (the saved copy stays until you save again).');
    this.render();
  }
}
