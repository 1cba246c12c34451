// The live loop, net.classifyVideo, through the package's public API with each browser's fake
// webcam (tools/browsers.mjs; $MOBILENET_BROWSERS picks browsers). In every browser, the Worker
// form: results arrive with their timing breakdown, never more than one frame in flight, the
// result options apply, a hidden page pauses the loop and it resumes, pause()/resume(), a model
// switch and a resolution change while it runs, the track ending reported as a CAMERA error, bad
// arguments as typed errors, overlapping classify calls resolving in order. In Chromium, with a
// fake camera playing the cat (a Y4M file), also: the cat is recognised in both forms,
// resize: 'engine' gives exactly classify(video)'s answer, and under a slow model frames are
// dropped, not queued.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeImage } from '../../pkg/decode.js';
import { browsersUnderTest, openBrowser, serve } from '../../tools/browsers.mjs';
import { writeY4m } from '../../tools/y4m.mjs';
import { IMAGES, ROOT } from '../node/data.mjs';

const CATS = new Set([281, 282, 283, 284, 285, 286]);
let server;

before(async () => {
  server = await serve();
});

after(async () => {
  server?.stop();
});

// In the page: a <video> playing the fake webcam, and helpers.
const SETUP = `
  window.sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  window.until = async (f, ms = 20000) => {
    const end = performance.now() + ms;
    while (!f()) { if (performance.now() > end) throw new Error('timed out: ' + f); await sleep(20); }
  };
  window.camera = async () => {
    const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
    const video = document.createElement('video');
    video.muted = true;
    video.playsInline = true;
    video.srcObject = stream;
    document.body.append(video);
    await video.play();
    return video;
  };
  window.codeOf = (f) => { try { f(); return 'no error'; } catch (e) { return e.name + ':' + e.code; } };
`;

for (const name of browsersUnderTest()) {
  describe(name, () => {
    let b;
    before(async () => { b = await openBrowser(name, { fakeCamera: true }); });
    after(async () => { await b?.close(); });

    test(`[${name}] classifyVideo (Worker form): results, one frame in flight, options, hidden/pause/resume, model and resolution switch, track end, typed errors`, async (t) => {
      const page = await b.newPage(`${server.base}blank.html`);
      const r = await page.evaluate(async (setup) => {
        (0, eval)(setup);
        const { MobileNet } = await import('/pkg/index.js');
        const video = await camera();
        const netA = await MobileNet.load('/models/mobilenet_v1_0.25_128_quant.tflite', { worker: true, threads: 1 });
        const netB = await MobileNet.load('/models/mobilenet_v1_0.5_160_quant.tflite', { worker: true, threads: 1 });
        const results = [];
        const errors = [];
        const live = netA.classifyVideo(video, (res) => results.push(res), { topK: 3, onError: (e) => errors.push(e) });
        const out = { initialState: live.state };
        await until(() => results.length >= 8);
        out.first = results.slice(0, 8).map((x) => ({ ...x, classes: x.classes.length }));
        out.framePath = live.stats.framePath;

        // Result options from the next frame on.
        live.setOptions({ topK: 10, allow: ['tiger cat', 'tabby, tabby cat', 'Egyptian cat', 'ping-pong ball'], scoreThreshold: 0 });
        const n0 = results.length;
        await until(() => results.length >= n0 + 3);
        out.allowed = results.at(-1).classes.map((c) => c.label);

        // Overlapping classify calls while the loop runs: all resolve, in call order.
        const order = [];
        await Promise.all([1, 2, 3, 4, 5].map((k) => netA.classify(video, { topK: k }).then((c) => order.push([k, c.length]))));
        out.order = order;

        // A hidden page pauses the loop; visible again it resumes on the newest frame.
        Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
        document.dispatchEvent(new Event('visibilitychange'));
        out.hiddenState = live.state;
        await sleep(300); // a frame in flight may still land
        const hiddenAt = results.length;
        await sleep(800);
        out.whileHidden = results.length - hiddenAt;
        Object.defineProperty(document, 'hidden', { configurable: true, get: () => false });
        document.dispatchEvent(new Event('visibilitychange'));
        out.visibleState = live.state;
        await until(() => results.length >= hiddenAt + out.whileHidden + 3);

        // pause() / resume().
        live.pause();
        out.pausedState = live.state;
        await sleep(300);
        const pausedAt = results.length;
        await sleep(600);
        out.whilePaused = results.length - pausedAt;
        live.resume();
        await until(() => results.length >= pausedAt + out.whilePaused + 3);

        // Another model while it runs (the old one disposed at once), then another resolution.
        live.setModel(netB);
        netA.dispose();
        await until(() => results.length > 0 && results.at(-1).inputSize === 160 && results.at(-2)?.inputSize === 160);
        await netB.setResolution(192);
        await until(() => results.at(-1).inputSize === 192);
        out.afterSwitch = { state: live.state, errors: errors.length, model: live.model === netB };

        // Never more than one frame in flight: each frame started after the one before ended.
        out.overlaps = 0;
        for (let i = 1; i < results.length; i++) {
          const start = results[i].startTime;
          const prevEnd = results[i - 1].endTime;
          if (start < prevEnd - 0.01) out.overlaps++;
        }
        out.frames = results.length;
        out.stats = live.stats;

        // The camera track ending: a CAMERA error, the loop ends. The track is stopped for real
        // (its readyState becomes 'ended'; stop() fires no event, and Firefox delivers no
        // synthetic 'ended' event to listeners); a second loop sees the 'ended' event itself.
        const [track] = video.srcObject.getVideoTracks();
        const second = [];
        const live2 = netB.classifyVideo(video, () => {}, { onError: (e) => second.push(e.code) });
        track.dispatchEvent(new Event('ended'));
        out.eventEnded = { state: live2.state, errors: second };
        live2.stop();
        track.stop();
        await until(() => live.state !== 'running', 3000).catch(() => {});
        out.ended = { state: live.state, errors: errors.map((e) => `${e.name}:${e.code}:${e.reason}`), error: live.error?.code };
        const endedAt = results.length;
        await sleep(500);
        out.afterEnd = results.length - endedAt;

        // Typed errors for bad arguments.
        out.bad = {
          canvas: codeOf(() => netB.classifyVideo(document.createElement('canvas'), () => {})),
          nothing: codeOf(() => netB.classifyVideo(null, () => {})),
          noSource: codeOf(() => netB.classifyVideo(document.createElement('video'), () => {})),
          noCallback: codeOf(() => netB.classifyVideo(video)),
          badTopK: codeOf(() => netB.classifyVideo(video, () => {}, { topK: -1 })),
          unknownLabel: codeOf(() => netB.classifyVideo(video, () => {}, { allow: ['no such class'] })),
          unknownOption: codeOf(() => netB.classifyVideo(video, () => {}, { fps: 5 })),
          badResize: codeOf(() => netB.classifyVideo(video, () => {}, { resize: 'gpu' })),
          disposed: codeOf(() => netA.classifyVideo(video, () => {})),
        };
        out.bad.endedTrack = codeOf(() => netB.classifyVideo(video, () => {}));
        netB.dispose();
        return out;
      }, SETUP, { timeout: 120000 });
      t.diagnostic(`${b.version}: frame path ${r.framePath}; first results: ${JSON.stringify(r.first.slice(-2))}`);
      assert.equal(r.initialState, 'running');
      for (const x of r.first) {
        assert.equal(x.classes, 3, 'topK 3');
        assert.ok(x.inferMs > 0 && x.prepareMs >= 0 && x.transferMs >= 0 && x.waitMs >= 0, JSON.stringify(x));
        assert.ok(x.frameToResultMs >= x.inferMs, JSON.stringify(x));
        assert.ok(Math.abs(x.frameToResultMs - (x.waitMs + x.prepareMs + x.inferMs + x.transferMs)) < 0.05, JSON.stringify(x));
        assert.ok(x.timestamp > 0 && x.width > 0 && x.height > 0, JSON.stringify(x));
        assert.equal(x.inputSize, 128, 'frames scaled to the model input on the way');
      }
      for (let i = 1; i < r.first.length; i++) {
        assert.equal(r.first[i].frame, r.first[i - 1].frame + 1);
        assert.ok(r.first[i].timestamp > r.first[i - 1].timestamp, 'each result is a newer frame');
      }
      assert.ok(r.allowed.length <= 4 && r.allowed.length > 0, JSON.stringify(r.allowed));
      for (const l of r.allowed) assert.ok(['tiger cat', 'tabby, tabby cat', 'Egyptian cat', 'ping-pong ball'].includes(l), l);
      assert.deepEqual(r.order, [[1, 1], [2, 2], [3, 3], [4, 4], [5, 5]], 'overlapping classify calls resolve in call order');
      assert.equal(r.hiddenState, 'hidden');
      assert.equal(r.whileHidden, 0, 'nothing classified while hidden');
      assert.equal(r.visibleState, 'running');
      assert.equal(r.pausedState, 'paused');
      assert.equal(r.whilePaused, 0, 'nothing classified while paused');
      assert.deepEqual(r.afterSwitch, { state: 'running', errors: 0, model: true });
      assert.equal(r.overlaps, 0, `never more than one frame in flight (${r.frames} frames)`);
      if (name !== 'firefox') assert.deepEqual(r.eventEnded, { state: 'ended', errors: ['CAMERA'] }, "the track's 'ended' event");
      assert.equal(r.ended.state, 'ended');
      assert.deepEqual(r.ended.errors, ['MobileNetError:CAMERA:ended']);
      assert.equal(r.ended.error, 'CAMERA');
      assert.equal(r.afterEnd, 0, 'no results after the track ended');
      assert.deepEqual(r.bad, {
        canvas: 'MobileNetError:INPUT_INVALID', nothing: 'MobileNetError:INPUT_INVALID', noSource: 'MobileNetError:INPUT_INVALID',
        noCallback: 'MobileNetError:INPUT_INVALID', badTopK: 'MobileNetError:INPUT_INVALID', unknownLabel: 'MobileNetError:INPUT_INVALID',
        unknownOption: 'MobileNetError:INPUT_INVALID', badResize: 'MobileNetError:INPUT_INVALID', disposed: 'MobileNetError:INVALID_STATE',
        endedTrack: 'MobileNetError:CAMERA',
      });
      assert.deepEqual(await page.errors(), []);
      await page.close();
    });
  });
}

describe('chromium, the cat on the fake camera', { skip: browsersUnderTest().includes('chromium') ? false : 'MOBILENET_BROWSERS does not include chromium' }, () => {
  let b;
  before(async () => {
    const y4m = join(ROOT, 'target', 'live-cat.y4m');
    await writeY4m(decodeImage(await readFile(join(IMAGES, 'cat.bmp'))), y4m, { width: 640, height: 480 });
    b = await openBrowser('chromium', { fakeCamera: { y4m } });
  });
  after(async () => { await b?.close(); });

  test('[chromium] the cat, live, in every form (1 thread, 2 on the page\'s thread by default, 2 in a Worker); resize: engine gives exactly classify(video); a slow model drops frames, never queues them', async (t) => {
    const page = await b.newPage(`${server.base}blank.html`);
    const r = await page.evaluate(async (setup) => {
      (0, eval)(setup);
      const { MobileNet } = await import('/pkg/index.js');
      const video = await camera();
      const out = {};
      // 'default': what { threads: 2 } gives a small model on a page — its thread, with threads.
      for (const [form, opts] of [['local', { threads: 1 }], ['default', { threads: 2 }], ['worker', { worker: true, threads: 2 }]]) {
        const net = await MobileNet.load('/models/mobilenet_v1_0.25_128_quant.tflite', opts);
        const results = [];
        let live = net.classifyVideo(video, (x) => results.push(x), { topK: 5 });
        await until(() => results.length >= 5);
        live.stop();
        const exact = [];
        live = net.classifyVideo(video, (x) => exact.push(x), { topK: 5, resize: 'engine' });
        await until(() => exact.length >= 3);
        live.stop();
        const direct = await net.classify(video, { topK: 5 });
        out[form] = { top: results.at(-1).classes, framePath: results.at(-1).framePath, inputSize: results.at(-1).inputSize,
          exact: exact.at(-1).classes, exactSize: exact.at(-1).inputSize, direct, backend: net.info.backend,
          runsIn: net.info.runsIn, threads: net.info.threads };
        net.dispose();
      }
      // A slow model (1.0 float at 448 × 448, one thread, in its Worker) against a 30 frames/s camera.
      const slow = await MobileNet.load('/models/mobilenet_v1_1.0_224_float.tflite', { worker: true, threads: 1 });
      await slow.setResolution(448);
      let presented = 0;
      const count = () => { presented++; video.requestVideoFrameCallback(count); };
      video.requestVideoFrameCallback(count);
      const results = [];
      const live = slow.classifyVideo(video, (x) => results.push(x), { topK: 1 });
      await until(() => results.length >= 4, 60000);
      live.stop();
      const stats = live.stats;
      out.slow = { results: results.map(({ startTime, endTime, inferMs, waitMs, dropped }) => ({ startTime, endTime, inferMs, waitMs, dropped })),
        presented, stats };
      slow.dispose();
      return out;
    }, SETUP, { timeout: 180000 });
    for (const form of ['local', 'default', 'worker']) {
      const f = r[form];
      t.diagnostic(`${form} (${f.backend}, ${f.threads} threads, runs in ${f.runsIn}, ${f.framePath}): ${f.top.map((c) => `${c.label} ${c.score}`).join(', ')}`);
      assert.equal(f.runsIn, form === 'worker' ? 'worker' : 'caller', `${form}: where it runs`);
      assert.equal(f.threads, form === 'local' ? 1 : 2, `${form}: threads`);
      assert.ok(CATS.has(f.top[0].index), `${form}: a cat is top-1 (${f.top[0].label})`);
      assert.equal(f.framePath, 'videoframe', "Chromium hands the loop the frame's own planes");
      assert.equal(f.inputSize, 128);
      assert.equal(f.exactSize, 480, "resize: 'engine': the browser only crops");
      assert.deepEqual(f.exact, f.direct, "resize: 'engine' gives exactly classify(video)'s answer on the same (still) picture");
    }
    const s = r.slow;
    t.diagnostic(`slow model: ${s.results.length} results, ${s.stats.dropped} dropped, ${s.presented} frames presented; inference ${s.results.map((x) => x.inferMs.toFixed(0)).join(', ')} ms`);
    assert.ok(s.stats.dropped > 0, 'frames arriving while one is in flight are dropped');
    assert.ok(s.stats.frames + s.stats.dropped <= s.presented, JSON.stringify(s));
    for (let i = 1; i < s.results.length; i++) {
      assert.ok(s.results[i].startTime >= s.results[i - 1].endTime - 0.01, 'one frame in flight');
      // The next frame is the newest one, taken as soon as the model is free: no backlog.
      assert.ok(s.results[i].waitMs < s.results[i - 1].inferMs + 200, JSON.stringify(s.results));
    }
    assert.deepEqual(await page.errors(), []);
    await page.close();
  });
});
