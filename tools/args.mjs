// The benchmarks' checks of their numeric command-line options (node:util parseArgs gives strings).

/** `--name`'s value as an integer of at least `min`; an Error naming the option otherwise.
 *  @param {Record<string, unknown>} values parseArgs' values @param {string} name @param {number} [min] */
export function intOption(values, name, min = 1) {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, not '${values[name]}'`);
  return n;
}
