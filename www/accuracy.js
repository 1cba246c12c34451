// Published ImageNet accuracy of TensorFlow's MobileNet v1 models (top-1 / top-5, single crop),
// by width multiplier α and input size ρ. These belong to models trained at that size; a model
// run at another size is somewhat less accurate. (The α and ρ lists and the file names are the
// package's: ZOO, zooAlphaName, parseZooFileName.)

// [α, ρ, float top-1, float top-5, uint8 top-1, uint8 top-5]
const TABLE = [
  [1, 224, 70.9, 89.9, 69.7, 89.5], [1, 192, 70.0, 89.2, 69.0, 88.9],
  [1, 160, 68.0, 87.7, 67.3, 87.7], [1, 128, 65.2, 85.8, 64.0, 85.5],
  [0.75, 224, 68.4, 88.2, 67.9, 88.1], [0.75, 192, 67.2, 87.3, 66.2, 87.1],
  [0.75, 160, 65.3, 86.0, 63.9, 85.5], [0.75, 128, 62.1, 83.9, 59.8, 82.8],
  [0.5, 224, 63.3, 84.9, 62.2, 84.5], [0.5, 192, 61.7, 83.6, 60.4, 83.2],
  [0.5, 160, 59.1, 81.9, 57.7, 81.3], [0.5, 128, 56.3, 79.4, 54.9, 78.9],
  [0.25, 224, 49.8, 74.2, 48.2, 73.8], [0.25, 192, 47.7, 72.3, 45.8, 71.9],
  [0.25, 160, 45.5, 70.3, 43.5, 69.1], [0.25, 128, 41.5, 66.3, 39.9, 65.8],
];

/** Published { top1, top5 } of α×ρ for 'uint8' or 'float32'. */
export function published(alpha, resolution, dtype) {
  const row = TABLE.find(([a, r]) => a === alpha && r === resolution);
  if (!row) return null;
  return dtype === 'uint8' ? { top1: row[4], top5: row[5] } : { top1: row[2], top5: row[3] };
}
