// A few SIMD loops, assembled here into a small WebAssembly module that imports the WASM backend's own
// memory, so that they run over tensors in place. The backend's kernels cover neither fused batch norm
// nor our other passes, and the same passes in JS over the heap cost 4–6 ns per value (batch norm was
// 25 % of a default `cnn` step); these cost a fraction of that.
//
// Sums accumulate in float64 lanes in the same order as the JS loops they replace, and the affine passes
// compute in float64 before rounding to float32 exactly as JS arithmetic on Float32Array values does,
// so results are bit-identical to those loops. Every loop takes channels-last data whose channel count
// is a multiple of 4 (callers fall back to JS otherwise), with byte addresses into the heap.
import type { BackendWasm } from './wasmOps';

const I32 = 0x7f;
const V128 = 0x7b;

function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

function sleb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

type Code = number[];

const get = (local: number): Code => [0x20, ...uleb(local)];
const set = (local: number): Code => [0x21, ...uleb(local)];
const i32 = (value: number): Code => [0x41, ...sleb(value)];
const ADD = 0x6a;
const MUL = 0x6c;
const SHL = 0x74;
const GE_U = 0x4f;
const simd = (op: number): Code => [0xfd, ...uleb(op)];
const load = (offset = 0): Code => [0xfd, 0x00, 4, ...uleb(offset)];
const store = (offset = 0): Code => [0xfd, 0x0b, 4, ...uleb(offset)];
/** pointer += step (both i32 locals): moves a row pointer on. */
const advance = (pointer: number, step: number): Code => [
  ...get(pointer),
  ...get(step),
  ADD,
  ...set(pointer),
];
/** into = the v128 at base + offset (i32 locals). */
const loadInto = (base: number, offset: number, into: number): Code => [
  ...get(base),
  ...get(offset),
  ADD,
  ...load(),
  ...set(into),
];
const F32X4_GT = simd(0x44);
const V128_AND = simd(0x4e);
const V128_ANDNOT = simd(0x4f);
const V128_OR = simd(0x50);
const BITSELECT = simd(0x52);
const F32X4_DEMOTE = simd(0x5e);
const F64X2_PROMOTE_LOW = simd(0x5f);
const F64X2_ADD = simd(0xf0);
const F64X2_MUL = simd(0xf2);
/** The high two float32 lanes of the first operand moved to the low half. */
const HIGH_HALF: Code = [0xfd, 0x0d, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7];
/** Low 8 bytes of the first operand, then low 8 bytes of the second (two demoted halves joined). */
const JOIN_LOW_HALVES: Code = [0xfd, 0x0d, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];

/** for (i = 0; i < end; i += step) body — `end` and `step` are code pushing an i32. */
function loop(i: number, end: Code, step: Code, body: Code): Code {
  return [
    ...i32(0),
    ...set(i),
    0x02,
    0x40, // block
    0x03,
    0x40, // loop
    ...get(i),
    ...end,
    GE_U,
    0x0d,
    1, // br_if out of the block
    ...body,
    ...get(i),
    ...step,
    ADD,
    ...set(i),
    0x0c,
    0, // br to the loop
    0x0b,
    0x0b,
  ];
}

/** Pushes the float64 lanes of a float32 vector in `local`: low two, or high two. */
const promoteLow = (v: number): Code => [...get(v), ...F64X2_PROMOTE_LOW];
const promoteHigh = (v: number): Code => [...get(v), ...get(v), ...HIGH_HALF, ...F64X2_PROMOTE_LOW];

/** acc[a .. a+32) (four float64) += the float64 values `low` and `high` push. */
function accumulate(address: number, offset: number, low: Code, high: Code): Code {
  return [
    ...get(address),
    ...get(address),
    ...load(offset),
    ...low,
    ...F64X2_ADD,
    ...store(offset),
    ...get(address),
    ...get(address),
    ...load(offset + 16),
    ...high,
    ...F64X2_ADD,
    ...store(offset + 16),
  ];
}

interface FunctionSpec {
  name: string;
  params: number;
  i32Locals: number;
  v128Locals: number;
  body: Code;
}

/**
 * columnStats(x, rows, channels, acc, squares): acc[c] += Σ_r x[r,c] (float64), and when squares ≠ 0
 * acc[channels + c] += Σ_r x[r,c]².
 */
function columnStats(): FunctionSpec {
  const [x, rows, channels, acc, squares] = [0, 1, 2, 3, 4];
  const [r, j, rowBytes, a, sqOffset] = [5, 6, 7, 8, 9];
  const [v] = [10];
  const body: Code = [
    ...get(channels),
    ...i32(2),
    SHL,
    ...set(rowBytes),
    ...get(channels),
    ...i32(3),
    SHL,
    ...set(sqOffset),
    ...loop(r, get(rows), i32(1), [
      ...loop(j, get(rowBytes), i32(16), [
        ...loadInto(x, j, v),
        ...get(acc),
        ...get(j),
        ...i32(1),
        SHL,
        ADD,
        ...set(a),
        ...accumulate(a, 0, promoteLow(v), promoteHigh(v)),
        ...get(squares),
        0x04,
        0x40, // if
        ...advance(a, sqOffset),
        ...accumulate(
          a,
          0,
          [...promoteLow(v), ...promoteLow(v), ...F64X2_MUL],
          [...promoteHigh(v), ...promoteHigh(v), ...F64X2_MUL],
        ),
        0x0b,
      ]),
      ...advance(x, rowBytes),
    ]),
  ];
  return { name: 'columnStats', params: 5, i32Locals: 5, v128Locals: 1, body };
}

/** gradStats(dy, x, rows, channels, acc): acc[c] += Σ_r dy[r,c]; acc[channels + c] += Σ_r dy·x (float64). */
function gradStats(): FunctionSpec {
  const [dy, x, rows, channels, acc] = [0, 1, 2, 3, 4];
  const [r, j, rowBytes, a] = [5, 6, 7, 8];
  const [d, xv] = [9, 10];
  const body: Code = [
    ...get(channels),
    ...i32(2),
    SHL,
    ...set(rowBytes),
    ...loop(r, get(rows), i32(1), [
      ...loop(j, get(rowBytes), i32(16), [
        ...loadInto(dy, j, d),
        ...loadInto(x, j, xv),
        ...get(acc),
        ...get(j),
        ...i32(1),
        SHL,
        ADD,
        ...set(a),
        ...accumulate(a, 0, promoteLow(d), promoteHigh(d)),
        ...get(a),
        ...get(channels),
        ...i32(3),
        SHL,
        ADD,
        ...set(a),
        ...accumulate(
          a,
          0,
          [...promoteLow(d), ...promoteLow(xv), ...F64X2_MUL],
          [...promoteHigh(d), ...promoteHigh(xv), ...F64X2_MUL],
        ),
      ]),
      ...advance(dy, rowBytes),
      ...advance(x, rowBytes),
    ]),
  ];
  return { name: 'gradStats', params: 5, i32Locals: 4, v128Locals: 2, body };
}

/**
 * affine(x, y, rows, channels, scale, shift): y[r,c] = f32(x·scale[c] + shift[c]), computed in float64
 * (scale and shift are float32 [channels]).
 */
function affine(): FunctionSpec {
  const [x, y, rows, channels, scale, shift] = [0, 1, 2, 3, 4, 5];
  const [r, j, rowBytes] = [6, 7, 8];
  const [xv, s, t] = [9, 10, 11];
  const part = (p: (v: number) => Code): Code => [...p(xv), ...p(s), ...F64X2_MUL, ...p(t), ...F64X2_ADD];
  const body: Code = [
    ...get(channels),
    ...i32(2),
    SHL,
    ...set(rowBytes),
    ...loop(r, get(rows), i32(1), [
      ...loop(j, get(rowBytes), i32(16), [
        ...loadInto(x, j, xv),
        ...loadInto(scale, j, s),
        ...loadInto(shift, j, t),
        ...get(y),
        ...get(j),
        ADD,
        ...part(promoteLow),
        ...F32X4_DEMOTE,
        ...part(promoteHigh),
        ...F32X4_DEMOTE,
        ...JOIN_LOW_HALVES,
        ...store(),
      ]),
      ...advance(x, rowBytes),
      ...advance(y, rowBytes),
    ]),
  ];
  return { name: 'affine', params: 6, i32Locals: 3, v128Locals: 3, body };
}

/**
 * affine2(dy, x, out, rows, channels, a, b, c): out[r,c] = f32(a[c]·dy + b[c]·x + c[c]), in float64
 * (a, b, c float32 [channels]).
 */
function affine2(): FunctionSpec {
  const [dy, x, out, rows, channels, av, bv, cv] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [r, j, rowBytes] = [8, 9, 10];
  const [d, xv, ka, kb, kc] = [11, 12, 13, 14, 15];
  const part = (p: (v: number) => Code): Code => [
    ...p(ka),
    ...p(d),
    ...F64X2_MUL,
    ...p(kb),
    ...p(xv),
    ...F64X2_MUL,
    ...F64X2_ADD,
    ...p(kc),
    ...F64X2_ADD,
  ];
  const loadAtJ = (base: number, local: number): Code => loadInto(base, j, local);
  const body: Code = [
    ...get(channels),
    ...i32(2),
    SHL,
    ...set(rowBytes),
    ...loop(r, get(rows), i32(1), [
      ...loop(j, get(rowBytes), i32(16), [
        ...loadAtJ(dy, d),
        ...loadAtJ(x, xv),
        ...loadAtJ(av, ka),
        ...loadAtJ(bv, kb),
        ...loadAtJ(cv, kc),
        ...get(out),
        ...get(j),
        ADD,
        ...part(promoteLow),
        ...F32X4_DEMOTE,
        ...part(promoteHigh),
        ...F32X4_DEMOTE,
        ...JOIN_LOW_HALVES,
        ...store(),
      ]),
      ...[dy, x, out].flatMap((p) => [...get(p), ...get(rowBytes), ADD, ...set(p)]),
    ]),
  ];
  return { name: 'affine2', params: 8, i32Locals: 3, v128Locals: 5, body };
}

/**
 * maxPoolGrad2x2(x, dy, dx, batch, inHeight, inWidth, channels, outHeight, outWidth): for 2×2 windows
 * at stride 2 inside the input, writes dy at each window's first maximum and 0 at its other three
 * pixels (pixels outside every window are left alone).
 */
function maxPoolGrad2x2(): FunctionSpec {
  const [x, dy, dx, batch, inHeight, inWidth, channels, outHeight, outWidth] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [b, oh, ow, j, rowBytes, pixelBytes, image, row, at] = [9, 10, 11, 12, 13, 14, 15, 16, 17];
  const [v0, v1, v2, v3, best, m1, m2, m3, g] = [18, 19, 20, 21, 22, 23, 24, 25, 26];
  const loadAt = (offset: Code, local: number): Code => [
    ...get(x),
    ...get(at),
    ADD,
    ...offset,
    ADD,
    ...load(),
    ...set(local),
  ];
  const zero = i32(0);
  const keepIfGreater = (v: number, mask: number): Code => [
    ...get(v),
    ...get(best),
    ...F32X4_GT,
    ...set(mask),
    ...get(v),
    ...get(best),
    ...get(mask),
    ...BITSELECT,
    ...set(best),
  ];
  const storeAt = (offset: Code, value: Code): Code => [
    ...get(dx),
    ...get(at),
    ADD,
    ...offset,
    ADD,
    ...value,
    ...store(),
  ];
  const body: Code = [
    ...get(inWidth),
    ...get(channels),
    MUL,
    ...i32(2),
    SHL,
    ...set(rowBytes),
    ...get(channels),
    ...i32(2),
    SHL,
    ...set(pixelBytes),
    ...loop(b, get(batch), i32(1), [
      ...get(b),
      ...get(inHeight),
      MUL,
      ...get(rowBytes),
      MUL,
      ...set(image),
      ...loop(oh, get(outHeight), i32(1), [
        ...get(image),
        ...get(oh),
        ...get(rowBytes),
        MUL,
        ...i32(1),
        SHL,
        ADD,
        ...set(row),
        ...loop(ow, get(outWidth), i32(1), [
          ...loop(j, get(pixelBytes), i32(16), [
            ...get(row),
            ...get(ow),
            ...get(pixelBytes),
            MUL,
            ...i32(1),
            SHL,
            ADD,
            ...get(j),
            ADD,
            ...set(at),
            ...loadAt(zero, v0),
            ...loadAt(get(pixelBytes), v1),
            ...loadAt(get(rowBytes), v2),
            ...loadAt([...get(rowBytes), ...get(pixelBytes), ADD], v3),
            ...get(v0),
            ...set(best),
            ...keepIfGreater(v1, m1),
            ...keepIfGreater(v2, m2),
            ...keepIfGreater(v3, m3),
            ...get(dy),
            ...load(),
            ...set(g),
            ...get(dy),
            ...i32(16),
            ADD,
            ...set(dy),
            // winner 3: m3; 2: m2 and not m3; 1: m1 and not (m2 or m3); 0: none of them.
            ...storeAt([...get(rowBytes), ...get(pixelBytes), ADD], [...get(g), ...get(m3), ...V128_AND]),
            ...storeAt(get(rowBytes), [...get(g), ...get(m2), ...V128_AND, ...get(m3), ...V128_ANDNOT]),
            ...storeAt(get(pixelBytes), [
              ...get(g),
              ...get(m1),
              ...V128_AND,
              ...get(m2),
              ...get(m3),
              ...V128_OR,
              ...V128_ANDNOT,
            ]),
            ...storeAt(zero, [
              ...get(g),
              ...get(m1),
              ...get(m2),
              ...V128_OR,
              ...get(m3),
              ...V128_OR,
              ...V128_ANDNOT,
            ]),
          ]),
        ]),
      ]),
    ]),
  ];
  return { name: 'maxPoolGrad2x2', params: 9, i32Locals: 9, v128Locals: 9, body };
}

/** Rows of B (a block of k) that one pass over the rows of A reuses from cache. */
const GEMM_K_BLOCK = 256;

/**
 * gemmN(a, b, c, m, k, n): C[m,n] += A[m,k]·B[k,n], row-major float32, for n a multiple of
 * 4·vectors: each pass keeps `vectors` accumulators of one row of C in registers and walks k, adding
 * A[i,k] × B[k, cols]. Made for long k and small m·n (filter gradients: k = batch × positions).
 */
function gemm(vectors: number): FunctionSpec {
  const [a, b, c, rows, depth, cols] = [0, 1, 2, 3, 4, 5];
  const [k0, i, j, kk, count, bRowBytes, aPtr, bPtr, cPtr] = [6, 7, 8, 9, 10, 11, 12, 13, 14];
  const s = 15;
  const acc = Array.from({ length: vectors }, (_, v) => 16 + v);
  const F32_LOAD: Code = [0x2a, 2, 0];
  const body: Code = [
    ...get(cols),
    ...i32(2),
    SHL,
    ...set(bRowBytes),
    ...loop(k0, get(depth), i32(GEMM_K_BLOCK), [
      // count = min(k0 + block, depth) − k0
      ...get(k0),
      ...i32(GEMM_K_BLOCK),
      ADD,
      ...get(depth),
      ...get(k0),
      ...i32(GEMM_K_BLOCK),
      ADD,
      ...get(depth),
      0x49, // i32.lt_u
      0x1b, // select
      ...get(k0),
      0x6b, // i32.sub
      ...set(count),
      ...loop(i, get(rows), i32(1), [
        ...loop(j, get(bRowBytes), i32(16 * vectors), [
          ...get(c),
          ...get(i),
          ...get(bRowBytes),
          MUL,
          ADD,
          ...get(j),
          ADD,
          ...set(cPtr),
          ...acc.flatMap((local, v) => [...get(cPtr), ...load(16 * v), ...set(local)]),
          ...get(a),
          ...get(i),
          ...get(depth),
          MUL,
          ...get(k0),
          ADD,
          ...i32(2),
          SHL,
          ADD,
          ...set(aPtr),
          ...get(b),
          ...get(k0),
          ...get(bRowBytes),
          MUL,
          ADD,
          ...get(j),
          ADD,
          ...set(bPtr),
          ...loop(kk, get(count), i32(1), [
            ...get(aPtr),
            ...F32_LOAD,
            ...simd(0x13), // f32x4.splat
            ...set(s),
            ...acc.flatMap((local, v) => [
              ...get(local),
              ...get(s),
              ...get(bPtr),
              ...load(16 * v),
              ...simd(0xe6), // f32x4.mul
              ...simd(0xe4), // f32x4.add
              ...set(local),
            ]),
            ...get(aPtr),
            ...i32(4),
            ADD,
            ...set(aPtr),
            ...advance(bPtr, bRowBytes),
          ]),
          ...acc.flatMap((local, v) => [...get(cPtr), ...get(local), ...store(16 * v)]),
        ]),
      ]),
    ]),
  ];
  return { name: `gemm${4 * vectors}`, params: 6, i32Locals: 9, v128Locals: 1 + vectors, body };
}

/**
 * adam(value, m, v, g, outValue, outM, outV, count, constants): tfjs' Adam update, op for op in float32
 * (so bit-identical to its ten element-wise kernels), over `count` values (a multiple of 4).
 * `constants` holds 8 splatted float32 vectors: β1, 1−β1, β2, 1−β2, 1−β1ᵗ, 1−β2ᵗ, ε, −learning rate.
 *   m' = m·β1 + g·(1−β1);  v' = v·β2 + g²·(1−β2)
 *   value' = (m'/(1−β1ᵗ)) / (sqrt(v'/(1−β2ᵗ)) + ε) · (−lr) + value
 */
function adam(): FunctionSpec {
  const [value, m, v, g, outValue, outM, outV, count, constants] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [j, bytes] = [9, 10];
  const [gv, nm, nv] = [11, 12, 13];
  const [B1, C1, B2, C2, D1, D2, EPS, NEG_LR] = [14, 15, 16, 17, 18, 19, 20, 21];
  const MUL_ = simd(0xe6);
  const ADD_ = simd(0xe4);
  const DIV_ = simd(0xe7);
  const SQRT_ = simd(0xe3);
  const at = (base: number): Code => [...get(base), ...get(j), ADD];
  const body: Code = [
    ...[B1, C1, B2, C2, D1, D2, EPS, NEG_LR].flatMap((local, k) => [
      ...get(constants),
      ...load(16 * k),
      ...set(local),
    ]),
    ...get(count),
    ...i32(2),
    SHL,
    ...set(bytes),
    ...loop(j, get(bytes), i32(16), [
      ...at(g),
      ...load(),
      ...set(gv),
      // m' = m·β1 + g·(1−β1)
      ...at(m),
      ...load(),
      ...get(B1),
      ...MUL_,
      ...get(gv),
      ...get(C1),
      ...MUL_,
      ...ADD_,
      ...set(nm),
      ...at(outM),
      ...get(nm),
      ...store(),
      // v' = v·β2 + (g·g)·(1−β2)
      ...at(v),
      ...load(),
      ...get(B2),
      ...MUL_,
      ...get(gv),
      ...get(gv),
      ...MUL_,
      ...get(C2),
      ...MUL_,
      ...ADD_,
      ...set(nv),
      ...at(outV),
      ...get(nv),
      ...store(),
      // value' = ((m'/(1−β1ᵗ)) / (sqrt(v'/(1−β2ᵗ)) + ε))·(−lr) + value
      ...at(outValue),
      ...get(nm),
      ...get(D1),
      ...DIV_,
      ...get(nv),
      ...get(D2),
      ...DIV_,
      ...SQRT_,
      ...get(EPS),
      ...ADD_,
      ...DIV_,
      ...get(NEG_LR),
      ...MUL_,
      ...at(value),
      ...load(),
      ...ADD_,
      ...store(),
    ]),
  ];
  return { name: 'adam', params: 9, i32Locals: 2, v128Locals: 11, body };
}

/**
 * filterGradTap(x, dy, acc, rows, cols, ci, co, xColBytes, xRowBytes, dyRowBytes): one filter tap's
 * gradient over one image, acc[i, o] += Σ_{r<rows, c<cols} x[r, c, i] · dy[r, c, o], where x and dy
 * point at the first window position the tap reads (x advancing by xColBytes per column and xRowBytes
 * per row, i.e. the stride; dy by co floats and dyRowBytes). acc is [ci, co] float32. Each pass keeps
 * a 4 × 8 block of acc in registers (ci and co multiples of 4 and 8).
 */
function filterGradTap(): FunctionSpec {
  const [x, dy, acc, rows, cols, ci, co, xColBytes, xRowBytes, dyRowBytes] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const [i0, o0, r, c, xp, dp, block, coBytes, ciBytes] = [10, 11, 12, 13, 14, 15, 16, 17, 18];
  const [d0, d1, s] = [19, 20, 21];
  const a = Array.from({ length: 8 }, (_, k) => 22 + k); // a[lane·2 + half]
  const MUL_ = simd(0xe6);
  const ADD_ = simd(0xe4);
  const LOAD32_SPLAT = (offset: number): Code => [0xfd, 0x09, 2, ...uleb(offset)];
  const accAddress = (lane: number): Code => [...get(block), ...get(coBytes), ...i32(lane), MUL, ADD];
  const body: Code = [
    ...get(co),
    ...i32(2),
    SHL,
    ...set(coBytes),
    ...get(ci),
    ...i32(2),
    SHL,
    ...set(ciBytes),
    ...loop(i0, get(ciBytes), i32(16), [
      ...loop(o0, get(coBytes), i32(32), [
        // block = acc + i0·co + o0 (bytes)
        ...get(acc),
        ...get(i0),
        ...get(co),
        MUL,
        ADD,
        ...get(o0),
        ADD,
        ...set(block),
        ...[0, 1, 2, 3].flatMap((lane) => [
          ...accAddress(lane),
          ...load(0),
          ...set(a[2 * lane]),
          ...accAddress(lane),
          ...load(16),
          ...set(a[2 * lane + 1]),
        ]),
        ...loop(r, get(rows), i32(1), [
          ...get(x),
          ...get(r),
          ...get(xRowBytes),
          MUL,
          ADD,
          ...get(i0),
          ADD,
          ...set(xp),
          ...get(dy),
          ...get(r),
          ...get(dyRowBytes),
          MUL,
          ADD,
          ...get(o0),
          ADD,
          ...set(dp),
          ...loop(c, get(cols), i32(1), [
            ...get(dp),
            ...load(0),
            ...set(d0),
            ...get(dp),
            ...load(16),
            ...set(d1),
            ...[0, 1, 2, 3].flatMap((lane) => [
              ...get(xp),
              ...LOAD32_SPLAT(4 * lane),
              ...set(s),
              ...get(a[2 * lane]),
              ...get(s),
              ...get(d0),
              ...MUL_,
              ...ADD_,
              ...set(a[2 * lane]),
              ...get(a[2 * lane + 1]),
              ...get(s),
              ...get(d1),
              ...MUL_,
              ...ADD_,
              ...set(a[2 * lane + 1]),
            ]),
            ...advance(xp, xColBytes),
            ...advance(dp, coBytes),
          ]),
        ]),
        ...[0, 1, 2, 3].flatMap((lane) => [
          ...accAddress(lane),
          ...get(a[2 * lane]),
          ...store(0),
          ...accAddress(lane),
          ...get(a[2 * lane + 1]),
          ...store(16),
        ]),
      ]),
    ]),
  ];
  return { name: 'filterGradTap', params: 10, i32Locals: 9, v128Locals: 11, body };
}

/**
 * inputGradTap(dy, wT, dx, rows, cols, ci, co, dxColBytes, dxRowBytes, dyRowBytes): one filter tap's
 * share of the input gradient over one image, dx[r, c, i] += Σ_o dy[r, c, o] · wT[o, i] over a
 * rectangle of output positions (dy advancing co floats per column and dyRowBytes per row; dx by
 * dxColBytes and dxRowBytes, i.e. the stride). wT is the tap's filter slice transposed to [co, ci].
 * Four columns × 8 input channels of dx stay in registers while o runs; ci a multiple of 8.
 */
function inputGradTap(): FunctionSpec {
  const [dy, wT, dx, rows, cols, ci, co, dxColBytes, dxRowBytes, dyRowBytes] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const [r, c, i0, o, dyp, wp, dxp, ciBytes, coBytes, quads, dyRow, dxRow, single] = [
    10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
  ];
  const column = [23, 24, 25, 26]; // dy address of each column of the group
  const [w0, w1, s] = [27, 28, 29];
  const a = Array.from({ length: 8 }, (_, k) => 30 + k); // a[column·2 + half]
  const MUL_ = simd(0xe6);
  const ADD_ = simd(0xe4);
  const LOAD32_SPLAT: Code = [0xfd, 0x09, 2, 0];
  /** Address of column q (0–3) of the current group: base + q·step. */
  const columnAt = (base: number, step: number, q: number): Code => [
    ...get(base),
    ...get(step),
    ...i32(q),
    MUL,
    ADD,
  ];
  /** The accumulate loop over o for `columns` (1 or 4) columns starting at dyp / dxp. */
  const block = (columns: number): Code => [
    ...Array.from({ length: columns }, (_, q) => [
      ...columnAt(dxp, dxColBytes, q),
      ...load(0),
      ...set(a[2 * q]),
      ...columnAt(dxp, dxColBytes, q),
      ...load(16),
      ...set(a[2 * q + 1]),
    ]).flat(),
    ...Array.from({ length: columns }, (_, q) => [...columnAt(dyp, coBytes, q), ...set(column[q])]).flat(),
    ...get(wT),
    ...get(i0),
    ADD,
    ...set(wp),
    ...loop(o, get(coBytes), i32(4), [
      ...get(wp),
      ...load(0),
      ...set(w0),
      ...get(wp),
      ...load(16),
      ...set(w1),
      ...Array.from({ length: columns }, (_, q) => [
        ...get(column[q]),
        ...get(o),
        ADD,
        ...LOAD32_SPLAT,
        ...set(s),
        ...get(a[2 * q]),
        ...get(s),
        ...get(w0),
        ...MUL_,
        ...ADD_,
        ...set(a[2 * q]),
        ...get(a[2 * q + 1]),
        ...get(s),
        ...get(w1),
        ...MUL_,
        ...ADD_,
        ...set(a[2 * q + 1]),
      ]).flat(),
      ...advance(wp, ciBytes),
    ]),
    ...Array.from({ length: columns }, (_, q) => [
      ...columnAt(dxp, dxColBytes, q),
      ...get(a[2 * q]),
      ...store(0),
      ...columnAt(dxp, dxColBytes, q),
      ...get(a[2 * q + 1]),
      ...store(16),
    ]).flat(),
  ];
  const body: Code = [
    ...get(ci),
    ...i32(2),
    SHL,
    ...set(ciBytes),
    ...get(co),
    ...i32(2),
    SHL,
    ...set(coBytes),
    ...get(cols),
    ...i32(-4),
    0x71, // i32.and: columns in whole groups of 4
    ...set(quads),
    ...loop(r, get(rows), i32(1), [
      ...get(dy),
      ...get(r),
      ...get(dyRowBytes),
      MUL,
      ADD,
      ...set(dyRow),
      ...get(dx),
      ...get(r),
      ...get(dxRowBytes),
      MUL,
      ADD,
      ...set(dxRow),
      ...loop(i0, get(ciBytes), i32(32), [
        ...loop(c, get(quads), i32(4), [
          ...get(dyRow),
          ...get(c),
          ...get(coBytes),
          MUL,
          ADD,
          ...set(dyp),
          ...get(dxRow),
          ...get(c),
          ...get(dxColBytes),
          MUL,
          ADD,
          ...get(i0),
          ADD,
          ...set(dxp),
          ...block(4),
        ]),
        // the last cols − quads columns, one at a time
        ...loop(single, [...get(cols), ...get(quads), 0x6b], i32(1), [
          ...get(dyRow),
          ...get(quads),
          ...get(single),
          ADD,
          ...get(coBytes),
          MUL,
          ADD,
          ...set(dyp),
          ...get(dxRow),
          ...get(quads),
          ...get(single),
          ADD,
          ...get(dxColBytes),
          MUL,
          ADD,
          ...get(i0),
          ADD,
          ...set(dxp),
          ...block(1),
        ]),
      ]),
    ]),
  ];
  return { name: 'inputGradTap', params: 10, i32Locals: 17, v128Locals: 11, body };
}

/** reluGrad(dy, x, out, count): out = x > 0 ? dy : 0, over `count` values (a multiple of 4). */
function reluGrad(): FunctionSpec {
  const [dy, x, out, count] = [0, 1, 2, 3];
  const [j, bytes] = [4, 5];
  const ZERO: Code = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];
  const body: Code = [
    ...get(count),
    ...i32(2),
    SHL,
    ...set(bytes),
    ...loop(j, get(bytes), i32(16), [
      ...get(out),
      ...get(j),
      ADD,
      ...get(dy),
      ...get(j),
      ADD,
      ...load(),
      ...get(x),
      ...get(j),
      ADD,
      ...load(),
      ...ZERO,
      ...F32X4_GT,
      ...V128_AND,
      ...store(),
    ]),
  ];
  return { name: 'reluGrad', params: 4, i32Locals: 2, v128Locals: 0, body };
}

const FUNCTIONS = [
  columnStats(),
  gradStats(),
  affine(),
  affine2(),
  maxPoolGrad2x2(),
  gemm(4),
  gemm(8),
  adam(),
  reluGrad(),
  filterGradTap(),
  inputGradTap(),
];

function section(id: number, payload: Code): Code {
  return [id, ...uleb(payload.length), ...payload];
}

function vector(items: Code[]): Code {
  return [...uleb(items.length), ...items.flat()];
}

function nameBytes(name: string): Code {
  const bytes = [...name].map((ch) => ch.charCodeAt(0)); // ASCII names
  return [...uleb(bytes.length), ...bytes];
}

/** The module's bytes: one type per function (i32 params, no results), memory imported as env.memory. */
export function simdModuleBytes(): Uint8Array {
  const types = FUNCTIONS.map((f) => [0x60, ...vector(Array.from({ length: f.params }, () => [I32])), 0]);
  const imports = [[...nameBytes('env'), ...nameBytes('memory'), 0x02, 0x00, 0x00]];
  const functions = FUNCTIONS.map((_, i) => uleb(i));
  const exports = FUNCTIONS.map((f, i) => [...nameBytes(f.name), 0x00, ...uleb(i)]);
  const bodies = FUNCTIONS.map((f) => {
    const locals = vector([
      [...uleb(f.i32Locals), I32],
      [...uleb(f.v128Locals), V128],
    ]);
    const code = [...locals, ...f.body, 0x0b];
    return [...uleb(code.length), ...code];
  });
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vector(types)),
    ...section(2, vector(imports)),
    ...section(3, vector(functions)),
    ...section(7, vector(exports)),
    ...section(10, vector(bodies)),
  ]);
}

export interface SimdLoops {
  columnStats(x: number, rows: number, channels: number, acc: number, squares: number): void;
  gradStats(dy: number, x: number, rows: number, channels: number, acc: number): void;
  affine(x: number, y: number, rows: number, channels: number, scale: number, shift: number): void;
  affine2(
    dy: number,
    x: number,
    out: number,
    rows: number,
    channels: number,
    a: number,
    b: number,
    c: number,
  ): void;
  /** C[m,n] += A[m,k]·B[k,n]; n a multiple of 16 (gemm16) or 32 (gemm32). */
  gemm16(a: number, b: number, c: number, m: number, k: number, n: number): void;
  gemm32(a: number, b: number, c: number, m: number, k: number, n: number): void;
  reluGrad(dy: number, x: number, out: number, count: number): void;
  inputGradTap(
    dy: number,
    wT: number,
    dx: number,
    rows: number,
    cols: number,
    ci: number,
    co: number,
    dxColBytes: number,
    dxRowBytes: number,
    dyRowBytes: number,
  ): void;
  filterGradTap(
    x: number,
    dy: number,
    acc: number,
    rows: number,
    cols: number,
    ci: number,
    co: number,
    xColBytes: number,
    xRowBytes: number,
    dyRowBytes: number,
  ): void;
  adam(
    value: number,
    m: number,
    v: number,
    g: number,
    outValue: number,
    outM: number,
    outV: number,
    count: number,
    constants: number,
  ): void;
  maxPoolGrad2x2(
    x: number,
    dy: number,
    dx: number,
    batch: number,
    inHeight: number,
    inWidth: number,
    channels: number,
    outHeight: number,
    outWidth: number,
  ): void;
}

/** The parts of the WebAssembly API used here (the project's TypeScript libs do not declare it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  Memory: abstract new (...args: never[]) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
}
const WebAssemblyApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface EmscriptenModule {
  asm?: { memory?: WasmMemory };
  wasmMemory?: WasmMemory;
  _malloc(bytes: number): number;
  _free(address: number): void;
}

const instances = new WeakMap<WasmMemory, SimdLoops>();
let compiled: object | null | undefined;

function emscripten(backend: BackendWasm): EmscriptenModule {
  return backend.wasm as unknown as EmscriptenModule;
}

/** The loops bound to this backend's memory, or null where they cannot run (no SIMD, no memory). */
export function simdLoops(backend: BackendWasm): SimdLoops | null {
  const module = emscripten(backend);
  const memory = module.asm?.memory ?? module.wasmMemory;
  if (memory === undefined || !(memory instanceof WebAssemblyApi.Memory)) return null;
  const known = instances.get(memory);
  if (known) return known;
  if (compiled === undefined) {
    try {
      compiled = new WebAssemblyApi.Module(simdModuleBytes());
    } catch {
      compiled = null; // an engine without WebAssembly SIMD: the JS loops stay
    }
  }
  if (compiled === null) return null;
  const loops = new WebAssemblyApi.Instance(compiled, { env: { memory } }).exports as unknown as SimdLoops;
  instances.set(memory, loops);
  return loops;
}

/** Byte address of a tensor's data in the heap. */
export function addressOf(backend: BackendWasm, info: { dataId: object }): number {
  return backend.dataIdMap.get(info.dataId)?.memoryOffset as number;
}

/** Scratch memory in the heap for the length of `use`; growing the heap moves earlier JS views. */
export function withScratch<T>(backend: BackendWasm, bytes: number, use: (address: number) => T): T {
  const module = emscripten(backend);
  const address = module._malloc(Math.max(16, bytes));
  try {
    return use(address);
  } finally {
    module._free(address);
  }
}

/** The heap's current buffer (take it after any allocation: growing the heap replaces it). */
export function heapBuffer(backend: BackendWasm): ArrayBuffer {
  return (backend.wasm as unknown as { HEAPF32: Float32Array }).HEAPF32.buffer as ArrayBuffer;
}
