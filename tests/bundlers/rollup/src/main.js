import { MobileNet, setAssetBase } from 'mobilenet-wasm';
import { run } from './classify.js';

// The build copies node_modules/mobilenet-wasm to dist/mobilenet-wasm/ (esbuild does not copy
// the .wasm and worker files that the package references with new URL(…, import.meta.url)).
setAssetBase('/mobilenet-wasm/');
run(MobileNet);
