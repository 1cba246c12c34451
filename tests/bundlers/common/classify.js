// What every fixture app does, as a user of the package would: load the 1.0 uint8 model,
// classify the cat photo, show the result; the test reads window.__result (or __failure).
export async function run(MobileNet) {
  const out = document.getElementById('out');
  try {
    const net = await MobileNet.load('/models/mobilenet_v1_1.0_224_quant.tflite');
    const image = await createImageBitmap(await (await fetch('/images/cat.bmp')).blob());
    const top = await net.classify(image, { topK: 3 });
    const { backend, threads, threadsReason } = net.info;
    window.__result = { top, backend, threads, threadsReason, isolated: globalThis.crossOriginIsolated === true,
      capabilities: MobileNet.capabilities() };
    out.textContent = `${top[0].label} (${top[0].score.toFixed(3)}) — ${backend}, ${threads} thread(s)`;
  } catch (e) {
    window.__failure = { name: e.name, code: e.code, message: e.message };
    out.textContent = `${e.name}: ${e.message}`;
  }
}
