// Nothing here is about mobilenet-wasm: a static export, served like the other fixtures. The
// test copies this app into tests/bundlers/.apps/next, below the folder holding next itself, so
// Turbopack's root is set to that folder (a real app has its own root and needs neither).
import { fileURLToPath } from 'node:url';

export default {
  output: 'export',
  turbopack: { root: fileURLToPath(new URL('../..', import.meta.url)) },
};
