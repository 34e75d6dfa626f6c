// The self-contained inference snippet written next to an exported model: Node + @tensorflow/tfjs + sharp,
// applying exactly the preprocessing recorded at training time (resize to fill, channels, scale, offset).
import type { ModelMetadata } from '../../protocol/runRecord';

export function snippetText(metadata: ModelMetadata, needsKnnLayer: boolean): string {
  const { imageSize, channels, scale, offset } = metadata.preprocessing;
  return `// Classify images with this exported model: node predict.mjs IMAGE...
// Needs: npm install @tensorflow/tfjs sharp. Preprocessing recorded at training time (do not change it:
// the model predicts differently otherwise): resize to ${imageSize}×${imageSize} (stretch to fill),
// ${channels === 1 ? 'greyscale' : 'RGB'}, pixel v (0..255) → v × ${scale} + ${offset}.${
    needsKnnLayer
      ? '\n// This is a knn model: it needs the ImageTrainerKnn layer class of image-trainer (src/trainer/presets/knnLayer.ts) registered before loading.'
      : ''
  }
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';

const here = dirname(fileURLToPath(import.meta.url));
const PREPROCESSING = ${JSON.stringify({ imageSize, channels, scale, offset })};
const LABELS = ${JSON.stringify(metadata.labels)};

async function loadModel() {
  const json = JSON.parse(await readFile(join(here, 'model.json'), 'utf8'));
  const specs = json.weightsManifest.flatMap((group) => group.weights);
  const buffers = [];
  for (const group of json.weightsManifest) for (const p of group.paths) buffers.push(await readFile(join(here, p)));
  const weightData = new Uint8Array(Buffer.concat(buffers)).buffer;
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData }));
}

async function pixels(file) {
  const { imageSize, channels, scale, offset } = PREPROCESSING;
  // As the trainer decodes: EXIF rotation, alpha flattened onto black, stretched to fill, then luminance or sRGB.
  let image = sharp(file).rotate().flatten({ background: { r: 0, g: 0, b: 0 } }).resize(imageSize, imageSize, { fit: 'fill' });
  image = channels === 1 ? image.toColourspace('b-w') : image.toColourspace('srgb');
  const raw = await image.raw({ depth: 'uchar' }).toBuffer();
  return Float32Array.from(raw, (v) => v * scale + offset);
}

const model = await loadModel();
for (const file of process.argv.slice(2)) {
  const { imageSize, channels } = PREPROCESSING;
  const input = tf.tensor4d(await pixels(file), [1, imageSize, imageSize, channels]);
  const probabilities = await model.predict(input).data();
  const best = probabilities.indexOf(Math.max(...probabilities));
  console.log(\`\${file}\\t\${LABELS[best]}\\t\${(probabilities[best] * 100).toFixed(1)}%\`);
  input.dispose();
}
`;
}
