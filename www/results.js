// The demo's results: the top 5 drawn over the picture, and the live figures (frame-to-result
// latency and inference time, medians over the last second, and frames per second).
const $ = (id) => document.getElementById(id);

/** Draws the ranked classes as a list with bars. */
export function renderTop(list, classes) {
  list.replaceChildren(...classes.map((t) => {
    const li = document.createElement('li');
    li.textContent = `${t.label} — ${(t.score * 100).toFixed(1)}%`;
    const bar = document.createElement('span');
    bar.className = 'bar';
    bar.style.width = `${Math.max(1, t.score * 100)}%`;
    li.append(bar);
    return li;
  }));
  list.dataset.top1 = classes[0]?.label ?? '';
}

/** The last second of results: medians and a rate. */
export class LiveStats {
  #times = []; // [t, frameToResultMs, inferMs]

  reset() {
    this.#times = [];
    for (const id of ['latency', 'infer', 'fps']) {
      $(id).textContent = '–';
      delete $(id).dataset.ms;
    }
  }

  /** Adds one result; returns the median frame-to-result latency of the last second. */
  add(frameToResultMs, inferMs) {
    const now = performance.now();
    this.#times.push([now, frameToResultMs, inferMs]);
    this.#times = this.#times.filter(([t]) => now - t <= 1000);
    const median = (i) => this.#times.map((r) => r[i]).sort((a, b) => a - b)[this.#times.length >> 1];
    const [latency, infer] = [median(1), median(2)];
    $('latency').textContent = `${latency.toFixed(1)} ms`;
    $('latency').dataset.ms = latency.toFixed(2);
    $('infer').textContent = `${infer.toFixed(1)} ms (the frame path: ${(latency - infer).toFixed(1)} ms)`;
    $('infer').dataset.ms = infer.toFixed(2);
    $('fps').textContent = String(this.#times.length);
    return latency;
  }
}
