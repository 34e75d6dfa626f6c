// ONNX Runtime (onnxruntime-node), loaded lazily: it is a native package kept outside the bundle, and a
// machine where its binary does not load still predicts with TF.js. Sessions run on the CPU provider.
import { createRequire } from 'node:module';
import type * as Ort from 'onnxruntime-node';
import { ONNX_INPUT_NAME, ONNX_OUTPUT_NAME } from './onnxGraph';

export const ONNX_RUNTIME_PACKAGE = 'onnxruntime-node';

export type OnnxRuntimeModule = typeof Ort;

export type OnnxRuntimeLoad = { ok: true; ort: OnnxRuntimeModule } | { ok: false; reason: string };

const loaded = new Map<string, OnnxRuntimeLoad>();

/**
 * The runtime module, or why it cannot be used. `moduleName` exists for tests, which name a stand-in
 * package that is not installed to exercise the fallback.
 */
export function loadOnnxRuntime(moduleName: string = ONNX_RUNTIME_PACKAGE): OnnxRuntimeLoad {
  const cached = loaded.get(moduleName);
  if (cached) return cached;
  let result: OnnxRuntimeLoad;
  try {
    const ort = createRequire(__filename)(moduleName) as OnnxRuntimeModule;
    if (typeof ort.InferenceSession?.create !== 'function') throw new Error('no InferenceSession');
    result = { ok: true, ort };
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    result = { ok: false, reason: `${moduleName} cannot be loaded (${message.slice(0, 200)})` };
  }
  loaded.set(moduleName, result);
  return result;
}

/** One loaded ONNX model that maps [n, H, W, C] normalised pixels to [n, classes] probabilities. */
export class OnnxClassifier {
  private constructor(
    private readonly ort: OnnxRuntimeModule,
    private readonly session: Ort.InferenceSession,
    readonly inputShape: readonly [number, number, number],
  ) {}

  static async create(
    ort: OnnxRuntimeModule,
    bytes: Uint8Array,
    inputShape: readonly [number, number, number],
    threads = 0,
  ): Promise<OnnxClassifier> {
    const session = await ort.InferenceSession.create(bytes, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      ...(threads > 0 ? { intraOpNumThreads: threads } : {}),
    });
    return new OnnxClassifier(ort, session, inputShape);
  }

  /** Probabilities for `count` images laid out one after the other in `pixels`. */
  async predict(pixels: Float32Array, count: number): Promise<Float32Array> {
    const [h, w, c] = this.inputShape;
    const input = new this.ort.Tensor('float32', pixels, [count, h, w, c]);
    const outputs = await this.session.run({ [ONNX_INPUT_NAME]: input });
    const output = outputs[ONNX_OUTPUT_NAME];
    if (!output) throw new Error(`the model has no output named ${ONNX_OUTPUT_NAME}`);
    return Float32Array.from(output.data as Float32Array);
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
