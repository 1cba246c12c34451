// Nothing here is about mobilenet-wasm: the dev server sends the cross-origin isolation headers
// when ISOLATE is set (the hosting side of threads).
const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
export default {
  server: { headers: process.env.ISOLATE ? isolation : {} },
};
