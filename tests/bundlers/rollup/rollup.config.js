import { nodeResolve } from '@rollup/plugin-node-resolve';

// Rollup resolves packages with @rollup/plugin-node-resolve; it does not copy new URL() assets,
// so the build copies the package folder next to the bundle (see package.json) and main.js names
// it with setAssetBase.
export default {
  input: 'src/main.js',
  output: { dir: 'dist', format: 'es' },
  plugins: [nodeResolve({ browser: true })],
};
