// Development server for the demo: static files with the headers that make the page
// cross-origin isolated (COOP/COEP, so threads can work), the package under /pkg/ and the
// models under /models/.
// Usage: node www/serve.mjs [--port 8080] [--models DIR] [--images DIR] [--reference DIR] [--pkg DIR]
//        [--no-isolation] [--csp | --csp-policy POLICY] [--log-requests]
// A file's URL may end in ?delay=MS: its body then comes MS ms after its headers (tests).
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8080' },
    host: { type: 'string', default: '127.0.0.1' },
    models: { type: 'string', default: join(ROOT, '../shared/models') },
    images: { type: 'string', default: join(ROOT, '../shared/images') },
    reference: { type: 'string', default: join(ROOT, '../shared/reference') },
    // The package to serve under /pkg/ (default: the build's pkg/; tests serve an installed copy).
    pkg: { type: 'string', default: join(ROOT, 'pkg') },
    // For tests of the single-threaded fallback: serve without the isolation headers.
    'no-isolation': { type: 'boolean', default: false },
    // A strict Content-Security-Policy on every response (the CSP tests): --csp sends
    // "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'",
    // --csp-policy POLICY sends another one.
    csp: { type: 'boolean', default: false },
    'csp-policy': { type: 'string' },
    // Print "request METHOD PATH STATUS" for every request (tests count downloads with it).
    'log-requests': { type: 'boolean', default: false },
    // What '/' serves (default: www/): the bundler tests serve a built app from here.
    root: { type: 'string', default: join(ROOT, 'www') },
  },
});

const MOUNTS = [
  ['/pkg/', resolve(values.pkg)],
  ['/models/', resolve(values.models)],
  ['/images/', resolve(values.images)],
  ['/reference/', resolve(values.reference)],
  // The benchmark page loads the peer (tfjs-tflite) from the dev dependencies.
  ['/node_modules/', join(ROOT, 'node_modules')],
  ['/', resolve(values.root)],
];

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.tflite': 'application/octet-stream',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.bmp': 'image/bmp',
  '.jpg': 'image/jpeg',
  '.png': 'image/png',
  '.y4m': 'application/octet-stream',
};

const ISOLATION = values['no-isolation'] ? {} : {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

const STRICT_CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'";
const CSP = values['csp-policy'] ?? (values.csp ? STRICT_CSP : null);
if (CSP) ISOLATION['Content-Security-Policy'] = CSP;

function resolvePath(urlPath) {
  for (const [prefix, dir] of MOUNTS) {
    if (urlPath.startsWith(prefix)) {
      const rel = normalize(decodeURIComponent(urlPath.slice(prefix.length)));
      const full = resolve(dir, rel === '.' ? '' : rel);
      if (full !== dir && !full.startsWith(dir + sep)) return null;
      return { dir, full };
    }
  }
  return null;
}

function send(res, status, body, type = 'text/plain; charset=utf-8') {
  res.writeHead(status, { ...ISOLATION, 'Content-Type': type, 'Cache-Control': 'no-cache' });
  res.end(body);
}

const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  if (values['log-requests']) res.on('finish', () => console.log(`request ${req.method} ${url.pathname} ${res.statusCode}`));
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed');
  if (url.pathname === '/models/index.json') {
    const dir = MOUNTS[1][1];
    const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.tflite')).sort() : [];
    return send(res, 200, JSON.stringify(files.map((f) => ({ file: f, bytes: statSync(join(dir, f)).size }))), TYPES['.json']);
  }
  let target;
  try {
    target = resolvePath(url.pathname);
  } catch {
    return send(res, 400, 'bad path');
  }
  if (!target) return send(res, 403, 'forbidden');
  let file = target.full;
  if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
  if (!existsSync(file) || !statSync(file).isFile()) return send(res, 404, `not found: ${url.pathname}`);
  res.writeHead(200, {
    ...ISOLATION,
    'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
    'Content-Length': statSync(file).size,
    'Cache-Control': 'no-cache',
  });
  if (req.method === 'HEAD') return res.end();
  // ?delay=MS: the headers now, the body MS ms later (at most 10 s) — a download on its way,
  // for the tests of what a page does meanwhile.
  const delay = Math.min(Number(url.searchParams.get('delay')) || 0, 10_000);
  if (delay > 0) {
    res.flushHeaders();
    setTimeout(() => createReadStream(file).pipe(res), delay);
  } else {
    createReadStream(file).pipe(res);
  }
});

server.on('error', (e) => {
  console.error(`serve: ${e.message}`);
  process.exit(1);
});
server.listen(Number(values.port), values.host, () => {
  console.log(`models from ${MOUNTS[1][1]}`);
  console.log(`serving http://${values.host}:${server.address().port}/`);
});
