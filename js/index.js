// The browser entry of mobilenet-wasm: the API of api.js. build.sh bundles it with every module it
// imports into this one file, so a page fetches a single module before it asks for the engine's
// .wasm (the Node entry, node.js, imports api.js and the modules as they are, to share
// platform.js' hooks with them).
export * from './api.js';
