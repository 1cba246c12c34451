import HtmlWebpackPlugin from 'html-webpack-plugin';
import { resolve } from 'node:path';

// Nothing here is about mobilenet-wasm: webpack 5 follows its new URL() assets and
// new Worker(new URL()) entries by itself.
export default {
  mode: 'production',
  entry: './src/main.js',
  output: { path: resolve('dist'), clean: true },
  plugins: [new HtmlWebpackPlugin({
    templateContent: '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>mobilenet-wasm</title></head>'
      + '<body><h1>mobilenet-wasm</h1><p id="out">classifying…</p></body></html>',
    scriptLoading: 'module',
  })],
};
