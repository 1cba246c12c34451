// Nothing here is about mobilenet-wasm: a static export, served like the other fixtures.
export default { output: 'export' };
