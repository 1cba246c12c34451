// Image variants for the teaching tests (Node and browser): crops, mirror images and brightness
// changes of an RGBA image { data, width, height }, so that a classifier taught on some
// variants of a photo can be checked on others it never saw.

/** The `w × h` window at (x, y). */
export function crop(img, x, y, w, h) {
  const data = new Uint8Array(w * h * 4);
  for (let r = 0; r < h; r++) {
    const from = ((y + r) * img.width + x) * 4;
    data.set(img.data.subarray(from, from + w * 4), r * w * 4);
  }
  return { data, width: w, height: h };
}

/** The mirror image (left ↔ right). */
export function mirror(img) {
  const { width: w, height: h } = img;
  const data = new Uint8Array(w * h * 4);
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      const a = (r * w + c) * 4;
      const b = (r * w + (w - 1 - c)) * 4;
      data[b] = img.data[a]; data[b + 1] = img.data[a + 1]; data[b + 2] = img.data[a + 2]; data[b + 3] = img.data[a + 3];
    }
  }
  return { data, width: w, height: h };
}

/** Every colour value times `f` (clamped), alpha kept. */
export function brightness(img, f) {
  const data = Uint8Array.from(img.data, (v, i) => ((i & 3) === 3 ? v : Math.min(255, Math.round(v * f))));
  return { data, width: img.width, height: img.height };
}

/** Crops of `frac` of the image's shorter side at the given relative positions (0..1). */
function window(img, frac, px, py) {
  const s = Math.round(Math.min(img.width, img.height) * frac);
  return crop(img, Math.round((img.width - s) * px), Math.round((img.height - s) * py), s, s);
}

/** The variants a classifier is taught with: four crops and a mirror image. */
export function taught(img) {
  return [
    window(img, 0.9, 0, 0.5),
    window(img, 0.9, 1, 0.5),
    window(img, 0.8, 0.5, 0),
    window(img, 0.8, 0.5, 1),
    mirror(window(img, 1, 0.5, 0.5)),
  ];
}

/** Held-back variants, none of them among the taught ones: other crops, a mirrored crop,
 *  darker and brighter versions. */
export function heldBack(img) {
  return [
    window(img, 0.85, 0.3, 0.3),
    window(img, 0.75, 0.6, 0.6),
    mirror(window(img, 0.8, 0.2, 0.7)),
    brightness(window(img, 0.95, 0.5, 0.5), 0.6),
    brightness(mirror(window(img, 0.9, 0.7, 0.4)), 1.3),
  ];
}
