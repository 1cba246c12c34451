#!/usr/bin/env python3
"""Hand-made mutants of the wasm-only SIMD128 kernels (cargo-mutants cannot reach them: it
builds natively). For each: apply it to the source, run tests/kernels.rs compiled to wasm32 in
Node (`wasm-pack test --node`), record which tests fail, restore the file. A mutant whose text
is no longer in the source is reported SKIPPED (update the list when the kernels change).

Run from the repository root: python3 tools/simd_mutants.py [LOG]
(about a minute per mutant). README's Tests section lists the last results."""
import subprocess, sys, re, os
M = [
 ("requant.rs: multiplier > 1 left shift deleted", "src/kernels/simd128/requant.rs",
  "let x = i32x4_shl(acc, self.left);", "let x = acc;"),
 ("requant.rs: float formulation drops its offset c", "src/kernels/simd128/requant.rs",
  "let y = f32x4_add(f32x4_mul(f32x4_convert_i32x4(acc), self.m), self.c);",
  "let y = f32x4_mul(f32x4_convert_i32x4(acc), self.m);"),
 ("requant.rs: the sign term of the signed single rounding dropped", "src/kernels/simd128/requant.rs",
  "        if SIGNED {\n", "        if false {\n"),
 ("requant.rs: activation clamp dropped", "src/kernels/simd128/requant.rs",
  "u8x16_min(u8x16_max(u8x16_narrow_i16x8(w, w), self.min), self.max)", "u8x16_narrow_i16x8(w, w)"),
 ("gemm.rs: the shared driver stores one channel too few in a partial block (tail length; uint8 and float)", "src/kernels/simd128/gemm.rs",
  "    let valid = (n - c0).min(NR);\n    for (r, acc) in acc.iter().enumerate() {\n",
  "    let valid = (n - c0).min(NR);\n    let valid = if valid < NR { valid - 1 } else { valid };\n    for (r, acc) in acc.iter().enumerate() {\n"),
 ("depthwise.rs: the shared driver stores one channel too few in a partial block (uint8 and float)", "src/kernels/simd128/depthwise.rs",
  "let valid = (c - c0).min(LANES);", "let valid = (c - c0).min(LANES);\n            let valid = if valid < LANES { valid - 1 } else { valid };"),
 ("gemm.rs: the shared driver skips the remainder pixels (band not a multiple of 4)", "src/kernels/simd128/gemm.rs",
  "                while p < end {\n                    let acc = k.tile::<1>",
  "                while p + 1 < end {\n                    let acc = k.tile::<1>"),
 ("gemm.rs: a uint8 pixel's place in its panel of A ignores its lane (1-pixel tail tiles read the panel's first pixel)", "src/kernels/simd128/gemm.rs",
  "p / MR * MR * row + p % MR * 2", "p / MR * MR * row"),
 ("gemm.rs: to_panel's scalar tail (rows not a multiple of 8) puts a pair in the neighbouring pixel's place", "src/kernels/simd128/gemm.rs",
  "panel[kp * 8 + r * 2..][..2]", "panel[kp * 8 + (r ^ 1) * 2..][..2]"),
 ("gemm.rs: pack_u8 forgets the filter zero point", "src/kernels/simd128/gemm.rs",
  "= (i32::from(v) - zero_point) as i16;", "= i32::from(v) as i16;"),
 ("depthwise.rs: off-by-one tap (the 9th tap reads the 8th's input)", "src/kernels/simd128/depthwise.rs",
  "pair(&mut acc, tap(8), tap(8), w[4]);", "pair(&mut acc, tap(7), tap(7), w[4]);"),
 ("depthwise.rs: uint8 3x3 weights held for the row are the wrong pair (the 5th pair loads the 4th's)", "src/kernels/simd128/depthwise.rs",
  "core::array::from_fn(|p| pair_weights(w, p))", "core::array::from_fn(|p| pair_weights(w, p.min(3)))"),
 ("depthwise.rs: float 3x3 weights held for the row shifted by one tap", "src/kernels/simd128/depthwise.rs",
  "v128_load(w.add(t * self.c8 + h) as *const v128)", "v128_load(w.add((t + 1) % 9 * self.c8 + h) as *const v128)"),
 ("depthwise.rs: the 3x3 path taken for 3-tall windows of any width", "src/kernels/simd128/depthwise.rs",
  "if g.kh == 3 && g.kw == 3 {", "if g.kh == 3 {"),
 ("depthwise.rs: the ring's right border left unzeroed (the depthwise kernels' and the stem's)", "src/kernels/simd128/depthwise.rs",
  "                dst[(g.pad_left + g.in_w) * group..].fill(zero);\n", ""),
 ("depthwise.rs: a 3x3 window's column taps 4 elements apart instead of a block (8; uint8 and float)", "src/kernels/simd128/depthwise.rs",
  "unsafe { rows[t / 3].add(t % 3 * LANES) }", "unsafe { rows[t / 3].add(t % 3 * 4) }"),
 ("depthwise.rs: the uint8 ring fill puts a vector's low 8 channels in both blocks", "src/kernels/simd128/depthwise.rs",
  "v128_store(d.add(block_len) as *mut v128, i16x8_sub(u16x8_extend_high_u8x16(v), z));", "v128_store(d.add(block_len) as *mut v128, i16x8_sub(u16x8_extend_low_u8x16(v), z));"),
 ("stem.rs: the pair across kernel rows 0 and 1 has its halves swapped", "src/kernels/simd128/stem.rs",
  "i32::from(a as u16) | (i32::from(b) << 16)", "i32::from(b as u16) | (i32::from(a) << 16)"),
 ("stem.rs: the remainder pixels of a row skipped (row not a multiple of 4)", "src/kernels/simd128/stem.rs",
  "                while ox < x1 {", "                while ox + 1 < x1 {"),
 ("stem.rs: float taps read one value late", "src/kernels/simd128/stem.rs",
  "row.add(r * STEP + j) as *const u32", "row.add(r * STEP + j + 1) as *const u32"),
 ("stem.rs: taken for any vertical stride", "src/kernels/simd128/stem.rs",
  "g.kh == K && g.kw == K && g.stride_h == STRIDE && g.stride_w == STRIDE", "g.kh == K && g.kw == K && g.stride_w == STRIDE"),
 ("mod.rs: widen_sub skips the last element of its scalar tail", "src/kernels/simd128/mod.rs",
  "    for j in i..n {", "    for j in i..n.saturating_sub(1) {"),
 ("pool.rs: uint8 average truncates instead of rounding", "src/kernels/simd128/pool.rs",
  "(a + n / 2) / n", "a / n"),
]
log = open(sys.argv[1] if len(sys.argv) > 1 else "/dev/stdout", "w")
env = dict(os.environ)
env["PATH"] = os.path.expanduser("~/.cargo/bin") + ":" + os.path.join(os.getcwd(), "node_modules/.bin") + ":" + env["PATH"]
for name, path, old, new in M:
    src = open(path).read()
    if src.count(old) != 1:
        print(f"SKIPPED (the code changed: {old!r} found {src.count(old)} times)  {name}", file=log, flush=True)
        continue
    open(path, "w").write(src.replace(old, new))
    try:
        r = subprocess.run(["wasm-pack", "test", "--node", "--mode", "no-install", "--", "--test", "kernels"],
                           capture_output=True, text=True, env=env)
    finally:
        open(path, "w").write(src)
    out = r.stdout + r.stderr
    failed = sorted(set(re.findall(r"^test (\w+) \.\.\. FAIL", out, re.M)))
    if r.returncode == 0:
        verdict = "SURVIVED"
    elif failed:
        verdict = "caught by " + ", ".join(failed)
    else:
        verdict = "BUILD FAILED? " + out[-300:].replace("\n", " ")
    print(f"{verdict:60}  {name}", file=log, flush=True)
