// A data-parallel worker thread: its own TensorFlow.js engine and backend, a replica of the model,
// and one shard of each batch. Each step it loads the main thread's weights, computes the shard's
// gradients and hands them back through shared memory.
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../backend';
import { seedMathRandom } from '../seededMathRandom';
import { shardGradients } from './loss';
import {
  type FromParallelWorker,
  type ParallelWorkerInit,
  type ToParallelWorker,
  sharedClock,
  sizeOf,
} from './protocol';

interface Replica {
  init: ParallelWorkerInit;
  model: tf.LayersModel;
}

function post(message: FromParallelWorker): void {
  parentPort?.postMessage(message);
}

async function start(init: ParallelWorkerInit): Promise<Replica> {
  seedMathRandom(init.seed);
  await selectBackend(init.backend);
  const model = await tf.models.modelFromJSON({
    modelTopology: init.topology as tf.io.ModelJSON['modelTopology'],
  });
  return { init, model };
}

/** Copies the shared weights into the replica's variables. */
function loadWeights({ init, model }: Replica): void {
  const shared = new Float32Array(init.weights);
  const weights = [...model.trainableWeights, ...model.nonTrainableWeights];
  const shapes = [...init.trainableShapes, ...init.nonTrainableShapes];
  let offset = 0;
  weights.forEach((weight, i) => {
    const size = sizeOf(shapes[i]);
    const value = tf.tensor(shared.subarray(offset, offset + size), shapes[i]);
    weight.write(value);
    value.dispose();
    offset += size;
  });
}

function step(replica: Replica, count: number): FromParallelWorker {
  const { init, model } = replica;
  loadWeights(replica);
  const pixelsPerImage = init.imageSize * init.imageSize * init.channels;
  const { grads, loss, correct } = shardGradients(model, {
    pixels: new Float32Array(init.pixels, 0, count * pixelsPerImage),
    labels: new Int32Array(init.labels, 0, count),
    imageSize: init.imageSize,
    channels: init.channels,
    numClasses: init.numClasses,
    classWeights: init.classWeights,
    labelSmoothing: init.labelSmoothing,
  });
  const out = new Float32Array(init.gradients);
  let offset = 0;
  for (const tensor of [...grads, ...model.nonTrainableWeights.map((w) => w.read())]) {
    const values = tensor.dataSync() as Float32Array;
    out.set(values, offset);
    offset += values.length;
  }
  tf.dispose(grads);
  return { type: 'done', loss, correct, doneAt: sharedClock() };
}

let replica: Promise<Replica> | null = null;

parentPort?.on('message', (message: ToParallelWorker) => {
  if (message.type === 'init') {
    replica = start(message);
    replica.then(
      () => post({ type: 'ready' }),
      (error: unknown) =>
        post({ type: 'error', message: error instanceof Error ? error.message : String(error) }),
    );
    return;
  }
  if (replica === null) {
    post({ type: 'error', message: 'parallel worker got a step before init' });
    return;
  }
  replica
    .then(
      (r) => post(step(r, message.count)),
      () => undefined, // already reported
    )
    .catch((error: unknown) =>
      post({ type: 'error', message: error instanceof Error ? error.message : String(error) }),
    );
});
