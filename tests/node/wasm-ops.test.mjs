// The built engines' hot kernels keep the instructions their design relies on. Reads each
// build's .wasm as cargo wrote it in target/ (pkg/'s copies ship without function names) with wasm-objdump (Debian's wabt, installed by build.sh) and fails if any
// function of the SIMD128 kernels contains `i64x2.mul` — V8 emulates it with ~8 instructions;
// the requantization's widening multiplies must stay `i64x2.extmul_*_i32x4_s` (LLVM turns them
// into extend + i64x2.mul when it hoists the multiplier's sign extension) — and that the
// uint8 GEMM, depthwise and stem kernels are one function per requantization formulation: one
// requantizes in float (convert, truncate), two with one integer rounding, and none narrows its
// outputs with i8x16.narrow_i16x8_u (see src/kernels/simd128/requant.rs). The
// relaxed builds' dot-product GEMMs (both readings) multiply with `i32x4.relaxed_dot_i8x16_i7x16_add_s`
// and nothing else does; the other builds have no dot-product GEMM. The convolution kernels
// (GEMM, depthwise, stem, both element types, and the dot-product GEMMs) call nothing that
// returns, directly or indirectly, and use no `memory.copy`
// (SpiderMonkey compiles it to a call) — as the copy of a layer's last partial block of channels
// did: SpiderMonkey keeps every vector live across a call in memory
// for the whole loop around it, and Firefox ran the GEMM at half its speed in Chromium — and no
// build carries core's float formatting (~20 KB; messages format reals with error.rs's `Real`).
// The GEMMs' broadcasts of A load at constant offsets from pointers moved on by each step of k,
// with no address computed in front of a load (see the A panels in src/kernels/simd128/gemm.rs).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { PKG } from './data.mjs';

const TARGET = join(PKG, '..', 'target');
const RELEASE = join('wasm32-unknown-unknown', 'release', 'mobilenet_wasm.wasm');
/** Each build of pkg/ and the file cargo wrote for it (build.sh: wasm-pack for the baseline). */
const BUILDS = {
  'mobilenet_wasm_bg.wasm': join(TARGET, RELEASE),
  'relaxed/mobilenet_wasm_bg.wasm': join(TARGET, 'relaxed', RELEASE),
  'threads/mobilenet_wasm_bg.wasm': join(TARGET, 'threads', RELEASE),
  'threads-relaxed/mobilenet_wasm_bg.wasm': join(TARGET, 'threads-relaxed', RELEASE),
};

/** The parsed builds, by file: each test of a build reads the same (read-only) map. */
const parsed = new Map();

/** Function name → instruction counts, the names it calls (`calls`) and its broadcast loads
 *  (`splats`: the instruction before each `v128.load32_splat` and its offset), for every
 *  function of a .wasm (names from its name section); disassembled once per file. */
function functions(file) {
  if (!parsed.has(file)) parsed.set(file, disassemble(file));
  return parsed.get(file);
}

function disassemble(file) {
  const text = execFileSync('wasm-objdump', ['-d', file], { maxBuffer: 1 << 28, encoding: 'utf8' });
  const funcs = new Map();
  let ops = null;
  let prev = '';
  for (const line of text.split('\n')) {
    const head = /^[0-9a-f]+ func\[\d+\] <(.*)>:$/.exec(line);
    if (head) {
      ops = new Map([['calls', []], ['splats', []]]);
      funcs.set(head[1], ops);
      continue;
    }
    const bar = line.indexOf('|');
    if (ops && bar >= 0) {
      const ins = line.slice(bar + 1).trim();
      const words = ins.split(/\s+/);
      const op = words[0];
      // (An instruction of more than 9 bytes goes on over lines with nothing after the bar.)
      if (!op) continue;
      ops.set(op, (ops.get(op) ?? 0) + 1);
      if (op === 'call') ops.get('calls').push(/<(.*)>/.exec(ins)?.[1] ?? ins);
      // wabt prints a load's alignment, then its offset.
      if (op === 'v128.load32_splat') ops.get('splats').push({ after: prev, offset: Number(words.at(-1)) });
      prev = op;
    }
  }
  return funcs;
}

/** The functions of `funcs` whose names match `re`, not their closures (legacy mangling in the
 *  stable builds, v0 in the nightly ones; closures start `_RNC`). */
const drivers = (funcs, re) => [...funcs].filter(([name]) => re.test(name) && !/closure|^_RNC/.test(name));

/** A call that does not return (a panic: bounds, overflow, a failed check). */
const PANICS = /panic|slice_index_fail|slice_end_index|slice_start_index|index_len_fail|len_mismatch_fail|assert_failed|handle_error|unwrap_failed|expect_failed/;

for (const [build, file] of Object.entries(BUILDS)) {
  test(`${build}: no i64x2.mul in the SIMD128 kernels; the uint8 kernels requantize in float; the relaxed dot product only in the dot-product GEMMs`, () => {
    const funcs = functions(file);
    const kernels = [...funcs].filter(([name]) => /simd128/.test(name));
    const named = (re) => kernels.filter(([name]) => re.test(name));
    // The name section must be there, or this test would check nothing.
    // One function per requantization formulation (`gemm::gemm_u8`), and per element type and
    // formulation (`depthwise::depthwise`, `stem::stem`; not their closures).
    const driver = (re) => drivers(kernels, re);
    const gemm = driver(/simd1284gemm7gemm_u8/);
    const depthwise = driver(/simd1289depthwise9depthwise/);
    const stem = driver(/simd1284stem4stem/);
    assert.ok(gemm.length === 3 && depthwise.length === 4 && stem.length === 4,
      `the uint8 kernels are not found by name: ${kernels.map(([n]) => n).join(', ') || 'no simd128 functions'}`);
    for (const [name, ops] of kernels) {
      assert.equal(ops.get('i64x2.mul') ?? 0, 0, `${name} contains i64x2.mul`);
    }
    // The dot-product module's functions (mangled `…simd1283dot…`; the probe apart).
    const dotModule = named(/simd1283dot/).filter(([name]) => !/probe|measure/.test(name));
    // (wabt 1.0.32 prints it without `relaxed_`.)
    const dots = (ops) => (ops.get('i32x4.relaxed_dot_i8x16_i7x16_add_s') ?? 0) + (ops.get('i32x4.dot_i8x16_i7x16_add_s') ?? 0);
    const withDot = (fs) => fs.filter(([, ops]) => dots(ops) >= 2);
    const relaxedDot = kernels.filter(([, ops]) => dots(ops) > 0).map(([n]) => n);
    if (build.includes('relaxed')) {
      const dot = withDot(dotModule);
      // One GEMM per reading and requantization formulation (or per reading, if inlined less).
      assert.ok(dot.length >= 2, `the dot-product GEMMs are not found: ${dotModule.map(([n]) => n).join(', ')}`);
      for (const [name, ops] of dot) assert.equal(ops.get('i32x4.dot_i16x8_s') ?? 0, 0, `${name}: multiplies with i32x4.dot_i16x8_s`);
      const stray = relaxedDot.filter((n) => !/simd1283dot/.test(n));
      assert.deepEqual(stray, [], 'the relaxed dot product outside the dot-product module');
    } else {
      assert.deepEqual(relaxedDot, [], 'a build without relaxed SIMD has no relaxed dot product');
    }
    // The outputs' last step is a byte shuffle after the clamp in int16, not the unsigned
    // narrow, which LLVM lowers with a clamp to [0, 255] of its own in front (the dot-product
    // GEMMs requantize through the same output stage).
    const noByteNarrow = (name, ops) => {
      assert.equal(ops.get('i8x16.narrow_i16x8_u') ?? 0, 0, `${name}: narrows to bytes with i8x16.narrow_i16x8_u`);
      assert.equal(ops.get('i8x16.max_u') ?? 0, 0, `${name}: clamps bytes (i8x16.max_u)`);
    };
    for (const [name, ops] of withDot(dotModule)) noByteNarrow(name, ops);
    for (const [kernel, fs] of Object.entries({ gemm, depthwise, stem })) {
      const float = fs.filter(([, ops]) => ((ops.get('i32x4.trunc_sat_f32x4_s') ?? 0) + (ops.get('i32x4.relaxed_trunc_f32x4_s') ?? 0)) >= 1
        && (ops.get('f32x4.convert_i32x4_s') ?? 0) >= 1);
      const integer = fs.filter(([, ops]) => (ops.get('i64x2.extmul_low_i32x4_s') ?? 0) >= 1);
      assert.equal(float.length, 1, `${kernel}: one instance requantizes in float`);
      assert.equal(integer.length, 2, `${kernel}: two instances requantize with one integer rounding (with and without the sign term)`);
      for (const [name, ops] of fs) noByteNarrow(`${kernel} ${name}`, ops);
    }
  });

  test(`${build}: the convolution kernels make no call that returns and no memory.copy; no core float formatting`, () => {
    const funcs = functions(file);
    // Both element types: the uint8 GEMMs (one per requantization formulation), the float GEMM,
    // every depthwise and stem instance, and the dot-product GEMMs of the relaxed builds.
    const convs = [/simd1284gemm7gemm_u8/, /simd1284gemm8gemm_f32/, /simd1289depthwise9depthwise/, /simd1284stem4stem/, /simd1283dot8gemm_dot/]
      .flatMap((re) => drivers(funcs, re));
    const expected = build.includes('relaxed') ? 15 : 12;
    assert.equal(convs.length, expected, `the convolution kernels are not found: ${convs.map(([n]) => n).join(', ')}`);
    for (const [name, ops] of convs) {
      // Ring::fill runs once per input row, outside the loops over channel blocks.
      const returning = ops.get('calls').filter((callee) => !PANICS.test(callee) && !/Ring4fill/.test(callee));
      assert.deepEqual(returning, [], `${name} calls a function that returns (SpiderMonkey then spills the loop's vectors)`);
      assert.equal(ops.get('call_indirect') ?? 0, 0, `${name} makes an indirect call`);
      // (A `memory.fill` may set up a row, outside the loops over channel blocks.)
      assert.equal(ops.get('memory.copy') ?? 0, 0, `${name} uses memory.copy, a call in SpiderMonkey (which then spills the loop's vectors)`);
    }
    const formatting = [...funcs.keys()].filter((name) => /flt2dec|fmt5float/.test(name));
    assert.deepEqual(formatting, [], 'core\'s float formatting is in the build (an f32/f64 formatted with {} or {:?}, or f32::clamp)');
  });

  test(`${build}: the GEMMs broadcast A from pointers at constant offsets, with no address arithmetic per load`, () => {
    const funcs = functions(file);
    const u8 = drivers(funcs, /simd1284gemm7gemm_u8/);
    const f32 = drivers(funcs, /simd1284gemm8gemm_f32/);
    assert.ok(u8.length === 3 && f32.length === 1, 'the GEMMs are not found by name');
    // An `i32.add` in front of a load is an address computed in the loop: an instruction more per
    // load in the engines' code (build.sh's WASM_CODEGEN keeps LLVM from making them).
    for (const [name, ops] of [...u8, ...f32]) {
      assert.ok(ops.get('splats').length >= 4, `${name}: the tile's broadcasts are not found`);
      const computed = ops.get('splats').filter((s) => s.after === 'i32.add');
      assert.deepEqual(computed, [], `${name}: a broadcast's address is computed before it`);
    }
    // The uint8 tile reads its 4 pixels' pairs of k from one place in a panel of A.
    for (const [name, ops] of u8) {
      const offsets = new Set(ops.get('splats').map((s) => s.offset));
      assert.ok([4, 8, 12].every((o) => offsets.has(o)), `${name}: the tile's broadcasts are not at offsets 4, 8 and 12 of one pointer`);
    }
  });
}
