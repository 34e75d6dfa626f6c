// The SIMD loops of kernels/simd.ts against plain JS loops over the same heap data: sums in float64 in
// the same order, affine passes in float64 rounded to float32 — so equal to the last bit.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../../../src/trainer/backend';
import { type SimdLoops, heapBuffer, simdLoops, withScratch } from '../../../../src/trainer/kernels/simd';
import type { BackendWasm } from '../../../../src/trainer/kernels/wasmOps';
import { mulberry32 } from '../../../fixtures/prng';

function randomValues(size: number, seed: number): Float32Array {
  const next = mulberry32(seed);
  return Float32Array.from({ length: size }, () => next() * 6 - 2);
}

let backend: BackendWasm;
let loops: SimdLoops;

before(async () => {
  await selectBackend('wasm');
  backend = tf.backend() as BackendWasm;
  const found = simdLoops(backend);
  assert.ok(found, 'the SIMD loops should assemble and bind to the WASM heap under Node');
  loops = found;
});

/** Copies arrays into one scratch block, runs `use` with their addresses, and returns what it reads. */
function onHeap<T>(
  arrays: Float32Array[],
  extraBytes: number,
  use: (at: number[], heap: () => ArrayBuffer) => T,
): T {
  const total = arrays.reduce((n, a) => n + a.length * 4, 0) + extraBytes;
  return withScratch(backend, total, (base) => {
    const at: number[] = [];
    let offset = base;
    for (const a of arrays) {
      new Float32Array(heapBuffer(backend), offset, a.length).set(a);
      at.push(offset);
      offset += a.length * 4;
    }
    at.push(offset); // the extra bytes
    return use(at, () => heapBuffer(backend));
  });
}

const shapes: Array<[number, number]> = [
  [1, 4],
  [37, 8],
  [200, 16],
  [13, 64],
];

for (const [rows, channels] of shapes) {
  test(`columnStats and gradStats equal float64 JS sums (${rows} × ${channels})`, () => {
    const x = randomValues(rows * channels, rows + channels);
    const dy = randomValues(rows * channels, rows * channels + 1);
    const sum = new Float64Array(channels);
    const squares = new Float64Array(channels);
    const sumDy = new Float64Array(channels);
    const sumDyX = new Float64Array(channels);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < channels; c++) {
        const v = x[r * channels + c];
        const d = dy[r * channels + c];
        sum[c] += v;
        squares[c] += v * v;
        sumDy[c] += d;
        sumDyX[c] += d * v;
      }
    }
    onHeap([x, dy], channels * 16, ([xAt, dyAt, acc], heap) => {
      const out = (): Float64Array => new Float64Array(heap(), acc, 2 * channels);
      out().fill(0);
      loops.columnStats(xAt, rows, channels, acc, 1);
      assert.deepEqual([...out()], [...sum, ...squares]);
      out().fill(0);
      loops.columnStats(xAt, rows, channels, acc, 0);
      assert.deepEqual([...out()], [...sum, ...new Float64Array(channels)]);
      out().fill(0);
      loops.gradStats(dyAt, xAt, rows, channels, acc);
      assert.deepEqual([...out()], [...sumDy, ...sumDyX]);
    });
  });

  test(`affine and affine2 equal JS float arithmetic to the bit (${rows} × ${channels})`, () => {
    const x = randomValues(rows * channels, 3);
    const dy = randomValues(rows * channels, 4);
    const [a, b, c] = [5, 6, 7].map((seed) => randomValues(channels, seed));
    const y = new Float32Array(rows * channels);
    const dx = new Float32Array(rows * channels);
    for (let i = 0; i < rows * channels; i++) {
      const ch = i % channels;
      y[i] = x[i] * a[ch] + b[ch];
      dx[i] = a[ch] * dy[i] + b[ch] * x[i] + c[ch];
    }
    onHeap(
      [x, dy, a, b, c, new Float32Array(rows * channels)],
      0,
      ([xAt, dyAt, aAt, bAt, cAt, outAt], heap) => {
        loops.affine(xAt, outAt, rows, channels, aAt, bAt);
        assert.deepEqual(new Float32Array(heap(), outAt, rows * channels), y);
        loops.affine2(dyAt, xAt, outAt, rows, channels, aAt, bAt, cAt);
        assert.deepEqual(new Float32Array(heap(), outAt, rows * channels), dx);
      },
    );
  });
}

test('maxPoolGrad2x2 puts dy at the first maximum of each window, zeros at the rest, and leaves other pixels', () => {
  const [batch, inHeight, inWidth, channels] = [3, 7, 6, 8];
  const [outHeight, outWidth] = [3, 3];
  // Values in {0, 1, 2}: many ties, as after a relu.
  const x = randomValues(batch * inHeight * inWidth * channels, 9).map((v) => Math.floor(v + 2) % 3);
  const dy = randomValues(batch * outHeight * outWidth * channels, 10);
  const expected = new Float32Array(x.length).fill(-7);
  for (let b = 0; b < batch; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        for (let ch = 0; ch < channels; ch++) {
          const at = (r: number, c: number): number => ((b * inHeight + r) * inWidth + c) * channels + ch;
          const window = [
            at(2 * oh, 2 * ow),
            at(2 * oh, 2 * ow + 1),
            at(2 * oh + 1, 2 * ow),
            at(2 * oh + 1, 2 * ow + 1),
          ];
          let best = window[0];
          for (const p of window.slice(1)) if (x[p] > x[best]) best = p;
          for (const p of window)
            expected[p] = p === best ? dy[((b * outHeight + oh) * outWidth + ow) * channels + ch] : 0;
        }
      }
    }
  }
  onHeap([x, dy, new Float32Array(x.length).fill(-7)], 0, ([xAt, dyAt, dxAt], heap) => {
    loops.maxPoolGrad2x2(xAt, dyAt, dxAt, batch, inHeight, inWidth, channels, outHeight, outWidth);
    assert.deepEqual(new Float32Array(heap(), dxAt, x.length), expected);
  });
});

for (const [rows, depth, cols] of [
  [3, 5, 16],
  [9, 700, 32],
  [20, 300, 48],
  [7, 513, 64],
] as const) {
  test(`gemm16 and gemm32 add A·B into C in float32, k in order (${rows}×${depth} · ${depth}×${cols})`, () => {
    const a = randomValues(rows * depth, 31);
    const b = randomValues(depth * cols, 32);
    const c = randomValues(rows * cols, 33);
    const expected = new Float32Array(c);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        let acc = expected[i * cols + j];
        for (let k = 0; k < depth; k++)
          acc = Math.fround(acc + Math.fround(a[i * depth + k] * b[k * cols + j]));
        expected[i * cols + j] = acc;
      }
    }
    const variants = cols % 32 === 0 ? (['gemm16', 'gemm32'] as const) : (['gemm16'] as const);
    for (const gemm of variants) {
      onHeap([a, b, c], 0, ([aAt, bAt, cAt], heap) => {
        loops[gemm](aAt, bAt, cAt, rows, depth, cols);
        assert.deepEqual(new Float32Array(heap(), cAt, rows * cols), expected, gemm);
      });
    }
  });
}

test('reluGrad selects dy where x > 0 and gives 0 elsewhere', () => {
  const x = randomValues(64, 41).map((v, i) => (i % 5 === 0 ? 0 : v));
  const dy = randomValues(64, 42);
  const expected = dy.map((d, i) => (x[i] > 0 ? d : 0));
  onHeap([dy, x, new Float32Array(64)], 0, ([dyAt, xAt, outAt], heap) => {
    loops.reluGrad(dyAt, xAt, outAt, 64);
    assert.deepEqual(new Float32Array(heap(), outAt, 64), expected);
  });
});
