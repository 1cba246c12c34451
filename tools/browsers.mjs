// The three browser engines for the browser tests, behind one small interface:
//
//   const browser = await openBrowser('chromium' | 'firefox' | 'webkit', { fakeCamera });
//   browser.version                       // e.g. 'Chromium 156.0.8078.114'
//   const page = await browser.newPage(url);
//   await page.evaluate(async (arg) => …, arg, { timeout })   // fn is serialised; JSON in, JSON out
//   await page.waitFor((arg) => …, arg, { timeout })          // polls until fn returns something truthy
//   await page.goto(url); await page.reload(); await page.screenshot(path); await page.errors();
//   await page.close(); await browser.close();
//
// - Chromium: headless Debian Chromium through playwright-core, fresh profile.
// - Firefox: Debian's firefox-esr through puppeteer-core over WebDriver BiDi, headless, fresh profile.
// - WebKit: WebKitGTK's MiniBrowser through WebKitWebDriver under xvfb-run, plain WebDriver HTTP.
//
// Every call into a page is bounded (default 60 s): a page that hangs fails the test instead of
// hanging CI. close() always ends the browser's processes (WebKit: the whole process group of
// xvfb-run, WebKitWebDriver, Xvfb and MiniBrowser), and they are killed on exit as a last resort.
// screenshot(path) writes a PNG of the whole page in every engine.
//
// fakeCamera: true gives each browser's fake webcam — Chromium's test pattern, or with
// { y4m: FILE } Chromium plays that Y4M file; Firefox's fake device (media.navigator.streams.fake,
// a green frame); WebKit's mock capture device ("Mock video device 1", a moving test pattern).
// Only Chromium can play a file: `browser.camera` says 'file' or 'pattern'.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { chromium } from 'playwright-core';
import puppeteer from 'puppeteer-core';
import { CHROMIUM, CHROMIUM_ARGS, serve } from './chromium.mjs';

export { serve };

export const BROWSERS = ['chromium', 'firefox', 'webkit'];
export const FIREFOX = process.env.FIREFOX ?? '/usr/bin/firefox-esr';
export const WEBKIT_DRIVER = process.env.WEBKIT_DRIVER ?? 'WebKitWebDriver';
export const MINIBROWSER = process.env.MINIBROWSER ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
export const DEFAULT_TIMEOUT = 60_000;

/** The browsers the tests run in: $MOBILENET_BROWSERS (comma-separated), else all three. */
export function browsersUnderTest() {
  const list = (process.env.MOBILENET_BROWSERS ?? BROWSERS.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
  for (const b of list) if (!BROWSERS.includes(b)) throw new Error(`MOBILENET_BROWSERS: unknown browser ${b} (one of ${BROWSERS})`);
  return list;
}

/** Rejects with a clear message when `promise` does not settle within `ms`. */
function bounded(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The page-side wrapper: runs fn(arg), awaits it and returns a JSON string (so every engine
 * returns the same thing: typed arrays and undefined included), or the error's name, message,
 * code and stack.
 */
function wrap(fn, arg) {
  const src = typeof fn === 'function' ? fn.toString() : `() => (${fn})`;
  return `(async () => {
    try {
      const __value = await (${src})(${arg === undefined ? '' : JSON.stringify(arg)});
      return JSON.stringify({ ok: true, value: __value === undefined ? null : __value });
    } catch (e) {
      return JSON.stringify({ ok: false, name: e?.name, message: e?.message ?? String(e), code: e?.code, stack: e?.stack });
    }
  })()`;
}

function unwrap(browser, json) {
  const r = JSON.parse(json);
  if (r.ok) return r.value;
  const e = new Error(`${browser}: in the page: ${r.name ?? 'Error'}: ${r.message}${r.stack ? `\n${r.stack}` : ''}`);
  Object.assign(e, { pageError: { name: r.name, message: r.message, code: r.code } });
  throw e;
}

/** Shared by all engines: waitFor polls evaluate. */
function addWaitFor(page) {
  page.waitFor = async (fn, arg, { timeout = 30_000, interval = 100 } = {}) => {
    const end = Date.now() + timeout;
    let last;
    for (;;) {
      last = await page.evaluate(fn, arg, { timeout: Math.max(1000, end - Date.now()) });
      if (last) return last;
      if (Date.now() > end) throw new Error(`${page.browser}: waitFor(${String(fn).slice(0, 200)}) still ${JSON.stringify(last)} after ${timeout} ms`);
      await new Promise((r) => setTimeout(r, interval));
    }
  };
  return page;
}

/**
 * Opens a browser. Options: fakeCamera (true, or { y4m } for Chromium), timeout (ms, default 60 s,
 * for each evaluate/navigation), args (extra Chromium flags or MiniBrowser options),
 * prefs (extra Firefox prefs).
 */
export async function openBrowser(name, options = {}) {
  switch (name) {
    case 'chromium': return openChromium(options);
    case 'firefox': return openFirefox(options);
    case 'webkit': return openWebKit(options);
    default: throw new Error(`openBrowser: unknown browser ${name} (one of ${BROWSERS})`);
  }
}

// ------------------------------------------------------------------------ Chromium (Playwright)
async function openChromium({ fakeCamera = false, timeout = DEFAULT_TIMEOUT, args = [] } = {}) {
  const camera = !fakeCamera ? [] : ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
    ...(fakeCamera.y4m ? [`--use-file-for-fake-video-capture=${fakeCamera.y4m}`] : [])];
  // launch() gives a fresh temporary profile, removed on close.
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, timeout,
    args: [...CHROMIUM_ARGS, ...camera, ...args] });
  const context = await browser.newContext();
  context.setDefaultTimeout(timeout);
  context.setDefaultNavigationTimeout(timeout);
  const pages = new Set();
  return {
    name: 'chromium',
    version: `Chromium ${browser.version()}`,
    camera: fakeCamera ? (fakeCamera.y4m ? 'file' : 'pattern') : null,
    raw: context,
    async newPage(url) {
      const raw = await context.newPage();
      const errors = [];
      raw.on('pageerror', (e) => errors.push(e.message));
      const page = addWaitFor({
        browser: 'chromium',
        raw,
        evaluate: async (fn, arg, { timeout: ms = timeout } = {}) =>
          unwrap('chromium', await bounded(raw.evaluate(wrap(fn, arg)), ms, 'chromium: evaluate')),
        goto: (u) => raw.goto(u, { timeout }),
        reload: () => raw.reload({ timeout }),
        screenshot: (path) => raw.screenshot({ path, fullPage: true, timeout }),
        errors: async () => [...errors],
        close: async () => { pages.delete(page); await bounded(raw.close(), 10_000, 'chromium: close page').catch(() => {}); },
      });
      pages.add(page);
      if (url) await page.goto(url);
      return page;
    },
    async close() {
      await bounded(browser.close(), 20_000, 'chromium: close').catch(() => {});
    },
  };
}

// ------------------------------------------------------------------------ Firefox (Puppeteer, BiDi)
async function openFirefox({ fakeCamera = false, timeout = DEFAULT_TIMEOUT, prefs = {} } = {}) {
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: true,
    protocol: 'webDriverBiDi',
    timeout,
    protocolTimeout: timeout + 10_000,
    defaultViewport: { width: 1280, height: 720 },
    // Puppeteer creates a fresh temporary profile and removes it on close.
    extraPrefsFirefox: {
      ...(fakeCamera ? { 'media.navigator.streams.fake': true, 'media.navigator.permission.disabled': true } : {}),
      ...prefs,
    },
  });
  const proc = browser.process();
  const kill = () => { try { proc?.kill('SIGKILL'); } catch { /* gone */ } };
  process.once('exit', kill);
  return {
    name: 'firefox',
    version: `Firefox ${(await browser.version()).replace(/^firefox\//, '')}`,
    camera: fakeCamera ? 'pattern' : null,
    raw: browser,
    async newPage(url) {
      const raw = await browser.newPage();
      raw.setDefaultTimeout(timeout);
      raw.setDefaultNavigationTimeout(timeout);
      const errors = [];
      raw.on('pageerror', (e) => errors.push(e.message));
      const page = addWaitFor({
        browser: 'firefox',
        raw,
        evaluate: async (fn, arg, { timeout: ms = timeout } = {}) =>
          unwrap('firefox', await bounded(raw.evaluate(wrap(fn, arg)), ms, 'firefox: evaluate')),
        goto: (u) => raw.goto(u, { timeout }),
        reload: () => raw.reload({ timeout }),
        screenshot: (path) => raw.screenshot({ path, fullPage: true }),
        errors: async () => [...errors],
        close: () => bounded(raw.close(), 10_000, 'firefox: close page').catch(() => {}),
      });
      if (url) await page.goto(url);
      return page;
    },
    async close() {
      await bounded(browser.close(), 20_000, 'firefox: close').catch(() => {});
      kill();
      process.removeListener('exit', kill);
    },
  };
}

// ------------------------------------------------------------------------ WebKit (WebDriver HTTP)
function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function openWebKit({ fakeCamera = false, timeout = DEFAULT_TIMEOUT, args = [] } = {}) {
  const port = await freePort();
  // Its own process group, so that close() can end xvfb-run, Xvfb, the driver and MiniBrowser
  // with one signal.
  const driver = spawn('xvfb-run', ['-a', '-s', '-screen 0 1280x4096x24 -nolisten tcp', WEBKIT_DRIVER, `--port=${port}`],
    { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  driver.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  let exited = false;
  const exitedPromise = new Promise((resolve) => driver.on('exit', () => { exited = true; resolve(); }));
  driver.on('error', (e) => { stderr += String(e); exited = true; });
  const killGroup = (signal) => { try { process.kill(-driver.pid, signal); } catch { /* gone */ } };
  const killOnExit = () => killGroup('SIGKILL');
  process.once('exit', killOnExit);
  const base = `http://127.0.0.1:${port}`;

  // After a call that got no answer (a page stuck in a loop blocks the whole WebDriver session),
  // every later call fails at once instead of waiting out its own timeout.
  let broken = null;
  async function http(method, path, body, ms = timeout + 5000) {
    if (broken && method !== 'DELETE') throw new Error(`webkit: ${method} ${path}: not tried, the session is stuck since: ${broken}`);
    let res;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: body ? { 'content-type': 'application/json' } : {},
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(ms),
      });
    } catch (e) {
      if (e.name !== 'TimeoutError') throw new Error(`webkit: ${method} ${path}: ${e.message}`);
      broken = `${method} ${path}: no answer within ${ms} ms`;
      throw new Error(`webkit: ${broken}`);
    }
    const json = await res.json().catch(() => ({}));
    if (!res.ok || json.value?.error) {
      const v = json.value ?? {};
      throw new Error(`webkit: ${method} ${path}: ${v.error ?? res.status}: ${v.message ?? ''}`);
    }
    return json.value;
  }

  let session = null;
  const close = async () => {
    if (session) await http('DELETE', `/session/${session}`, undefined, 10_000).catch(() => {});
    killGroup('SIGTERM');
    await bounded(exitedPromise, 5000, 'webkit: driver exit').catch(() => killGroup('SIGKILL'));
    killGroup('SIGKILL'); // anything the group left behind (Xvfb, MiniBrowser's helpers)
    process.removeListener('exit', killOnExit);
  };

  try {
    // Wait for the driver to listen.
    const start = Date.now();
    for (;;) {
      if (exited) throw new Error(`webkit: ${WEBKIT_DRIVER} exited: ${stderr.trim()}`);
      try {
        const status = await http('GET', '/status', undefined, 2000);
        if (status.ready) break;
      } catch { /* not yet */ }
      if (Date.now() - start > 15_000) throw new Error(`webkit: ${WEBKIT_DRIVER} not ready after 15 s: ${stderr.trim()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const camera = fakeCamera ? ['--enable-media-stream=true', '--enable-mock-capture-devices=true'] : [];
    const created = await http('POST', '/session', {
      capabilities: {
        alwaysMatch: {
          browserName: 'MiniBrowser',
          'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation', ...camera, ...args] },
        },
      },
    }, 30_000);
    session = created.sessionId;
    const version = `WebKitGTK ${created.capabilities.browserVersion}`;
    const s = `/session/${session}`;
    await http('POST', `${s}/timeouts`, { script: timeout, pageLoad: timeout });
    await http('POST', `${s}/window/rect`, { width: 1280, height: 800 }).catch(() => {});

    // WebDriver has one current window: operations on pages are serialised and each one switches
    // to its page's window first.
    let queue = Promise.resolve();
    let current = await http('GET', `${s}/window`);
    let firstFree = true; // the session's own window, reused by the first page
    const initial = current;
    const onPage = (handle, op) => {
      const run = queue.then(async () => {
        if (current !== handle) {
          await http('POST', `${s}/window`, { handle });
          current = handle;
        }
        return op();
      });
      queue = run.catch(() => {});
      return run;
    };
    // WebDriver classic reports no page errors: a listener installed after each navigation keeps them.
    const ERRORS = `(() => { if (!window.__pageErrors) { window.__pageErrors = [];
      addEventListener('error', (e) => window.__pageErrors.push(e.message));
      addEventListener('unhandledrejection', (e) => window.__pageErrors.push(String(e.reason?.message ?? e.reason))); } })()`;
    const script = (code, ms) => http('POST', `${s}/execute/async`, {
      script: `const __done = arguments[arguments.length - 1]; (${code}).then(__done, (e) => __done(JSON.stringify({ ok: false, message: String(e) })));`,
      args: [],
    }, ms + 5000);

    return {
      name: 'webkit',
      version,
      camera: fakeCamera ? 'pattern' : null,
      raw: { http, session },
      async newPage(url) {
        let handle;
        if (firstFree) {
          firstFree = false;
          handle = initial;
        } else {
          handle = (await onPage(current, () => http('POST', `${s}/window/new`, { type: 'window' }))).handle;
        }
        const evaluate = (fn, arg, { timeout: ms = timeout } = {}) => onPage(handle, async () => {
          // The driver's script timeout bounds the call; the fetch timeout backs it up.
          if (ms !== timeout) await http('POST', `${s}/timeouts`, { script: ms });
          try {
            return unwrap('webkit', await script(wrap(fn, arg), ms));
          } catch (e) {
            if (/script timeout/.test(e.message)) throw new Error(`webkit: evaluate: no answer within ${ms} ms`);
            if (/execute\/async: no answer/.test(e.message) && !/not tried/.test(e.message)) {
              throw new Error(`webkit: evaluate: no answer within ${ms} ms (the page does not respond: the session is unusable now)`);
            }
            throw e;
          } finally {
            if (ms !== timeout) await http('POST', `${s}/timeouts`, { script: timeout });
          }
        });
        const afterLoad = () => script(`Promise.resolve(${ERRORS}).then(() => '{"ok":true,"value":null}')`, 5000);
        const page = addWaitFor({
          browser: 'webkit',
          raw: { handle },
          evaluate,
          goto: (u) => onPage(handle, async () => { await http('POST', `${s}/url`, { url: u }); await afterLoad(); }),
          reload: () => onPage(handle, async () => { await http('POST', `${s}/refresh`, {}); await afterLoad(); }),
          // The whole page: the window is grown to the page's height for the shot (the Xvfb
          // screen is 4096 px high), then restored.
          screenshot: (path) => onPage(handle, async () => {
            const size = JSON.parse(await script(wrap(() => ({ page: document.documentElement.scrollHeight, view: innerHeight })), 5000)).value;
            const rect = await http('GET', `${s}/window/rect`);
            const grow = Math.min(4000, rect.height + size.page - size.view);
            if (grow > rect.height) {
              await http('POST', `${s}/window/rect`, { width: rect.width, height: grow });
              // Let the page see its new size and paint.
              await script(wrap(async (h) => {
                for (let i = 0; i < 20 && innerHeight < h; i++) await new Promise((r) => setTimeout(r, 50));
                await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
              }, size.page), 5000);
            }
            try {
              await writeFile(path, Buffer.from(await http('GET', `${s}/screenshot`), 'base64'));
            } finally {
              if (grow > rect.height) await http('POST', `${s}/window/rect`, { width: rect.width, height: rect.height });
            }
          }),
          errors: () => evaluate(() => window.__pageErrors ?? []),
          close: () => onPage(handle, async () => {
            if (handle === initial) {
              // Keep the session's first window (closing the last one would end the session).
              await http('POST', `${s}/url`, { url: 'about:blank' }).catch(() => {});
              firstFree = true;
            } else {
              await http('DELETE', `${s}/window`).catch(() => {});
              current = null;
            }
          }),
        });
        if (url) await page.goto(url);
        return page;
      },
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
