// k-nearest neighbours as a TF.js layer, so that a knn run's model/ is an ordinary layers model that
// predict, evaluate and export load like any other. Its weights are the memorised training features and
// labels (not trainable); it outputs the share of the k neighbours' votes per class, which predict
// reports as confidences. The class is registered with TF.js serialisation on import.
import * as tf from '@tensorflow/tfjs';
import type { KnnMetric } from '../../protocol/config';

export interface KnnLayerArgs {
  /** Training samples memorised. */
  capacity: number;
  numClasses: number;
  k: number;
  metric: KnnMetric;
  name?: string;
}

export class KnnLayer extends tf.layers.Layer {
  static readonly className = 'ImageTrainerKnn';
  readonly capacity: number;
  readonly numClasses: number;
  readonly k: number;
  readonly metric: KnnMetric;
  private memory: tf.LayerVariable | null = null;
  private labels: tf.LayerVariable | null = null;
  /** Rows written so far: predictions before the memory is full use only those. */
  private filled = 0;

  constructor(args: KnnLayerArgs) {
    super({ name: args.name });
    this.capacity = args.capacity;
    this.numClasses = args.numClasses;
    this.k = args.k;
    this.metric = args.metric;
    this.trainable = false;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const features = shape[shape.length - 1] as number;
    this.memory = this.addWeight(
      'memory',
      [this.capacity, features],
      'float32',
      tf.initializers.zeros(),
      undefined,
      false,
    );
    this.labels = this.addWeight(
      'labels',
      [this.capacity],
      'float32',
      tf.initializers.zeros(),
      undefined,
      false,
    );
    this.filled = this.capacity; // loaded weights are complete; memorise() restarts the count
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [shape[0], this.numClasses];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor2D;
      return this.vote(x, this.filled);
    });
  }

  /** Vote shares [n, classes] of the k nearest of the first `rows` memorised samples. */
  private vote(x: tf.Tensor2D, rows: number): tf.Tensor2D {
    const n = x.shape[0];
    if (rows === 0) return tf.fill([n, this.numClasses], 1 / this.numClasses) as tf.Tensor2D;
    const memory = tf.slice(this.memory!.read(), [0, 0], [rows, -1]) as tf.Tensor2D;
    const labels = tf.slice(this.labels!.read(), [0], [rows]);
    let score: tf.Tensor2D; // higher = nearer
    if (this.metric === 'cosine') {
      const unit = (t: tf.Tensor2D) =>
        tf.div(t, tf.add(tf.norm(t, 'euclidean', -1, true), 1e-12)) as tf.Tensor2D;
      score = tf.matMul(unit(x), unit(memory), false, true);
    } else {
      // −|x − m|² = 2x·m − |x|² − |m|²; |x|² is the same for every m and can be left out.
      score = tf.sub(
        tf.mul(tf.matMul(x, memory, false, true), 2),
        tf.sum(tf.square(memory), -1),
      ) as tf.Tensor2D;
    }
    const k = Math.min(this.k, rows);
    const nearest = tf.topk(score, k).indices;
    const votes = tf.oneHot(tf.cast(tf.gather(labels, nearest), 'int32'), this.numClasses);
    return tf.div(tf.sum(votes, 1), k) as tf.Tensor2D;
  }

  /**
   * Writes a batch of features and labels into the memory (wrapping at capacity); returns how many of
   * the batch the memory filled so far already classified right (a prequential training accuracy).
   */
  memorise(features: tf.Tensor2D, labels: Int32Array): number {
    if (this.filled >= this.capacity) this.filled = 0;
    const n = Math.min(labels.length, this.capacity - this.filled);
    const correct = tf.tidy(() => {
      const predicted = tf.argMax(this.vote(features, this.filled), -1);
      const hits = tf.sum(
        tf.cast(
          tf.equal(tf.slice(predicted, [0], [n]), tf.tensor1d(labels.subarray(0, n), 'int32')),
          'int32',
        ),
      );
      const memory = this.memory!.read();
      const start = this.filled;
      const rows = tf.slice(features, [0, 0], [n, -1]);
      const head = tf.slice(memory, [0, 0], [start, -1]);
      const tail = tf.slice(memory, [start + n, 0], [this.capacity - start - n, -1]);
      this.memory!.write(tf.concat([head, rows, tail], 0));
      const known = this.labels!.read();
      this.labels!.write(
        tf.concat([
          tf.slice(known, [0], [start]),
          tf.tensor1d(Array.from(labels.subarray(0, n))),
          tf.slice(known, [start + n], [this.capacity - start - n]),
        ]),
      );
      return hits.dataSync()[0];
    });
    this.filled += n;
    return correct;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      capacity: this.capacity,
      numClasses: this.numClasses,
      k: this.k,
      metric: this.metric,
    };
  }
}

tf.serialization.registerClass(KnnLayer);

/** The knn layer of a model, or null. */
export function findKnnLayer(model: tf.LayersModel): KnnLayer | null {
  return (model.layers.find((l) => l instanceof KnnLayer) as KnnLayer | undefined) ?? null;
}
