// The self-contained inference snippet written next to an exported model: Node + @tensorflow/tfjs + sharp,
// applying exactly the preprocessing recorded at training time (EXIF orientation, resize mode, channels,
// scale, offset). The resize geometry comes from the trainer's own table (resizeMode.ts).
import type { ResizeMode } from '../../protocol/config';
import type { ModelMetadata } from '../../protocol/runRecord';
import { sharpResizeOptions } from '../resizeMode';

const RESIZE_WORDS: { readonly [M in ResizeMode]: string } = {
  stretch: 'stretched to fill, aspect ratio not kept',
  crop: 'short side scaled to fit, centre square kept',
  pad: 'long side scaled to fit, black bands added',
};

/** In the generated .mjs snippets: an image file as the model's input, decoded as the trainer decodes it. */
export const PIXELS_FUNCTION = `/** The model's input for one image file: imageSize × imageSize × channels floats, row-major. */
export async function pixels(file) {
  const { imageSize, channels, scale, offset } = PREPROCESSING;
  // As the trainer decodes: EXIF orientation (before the resize, so a crop keeps the upright centre), alpha
  // flattened onto black, the resize mode, then luminance or sRGB. Large JPEGs decode with shrink-on-load.
  let image = sharp(file).rotate().flatten({ background: { r: 0, g: 0, b: 0 } }).resize(imageSize, imageSize, RESIZE);
  image = channels === 1 ? image.toColourspace('b-w') : image.toColourspace('srgb');
  const raw = await image.raw({ depth: 'uchar' }).toBuffer();
  return Float32Array.from(raw, (v) => v * scale + offset);
}
`;

/** In the generated .mjs snippets: true when the file runs as a script rather than being imported. */
export const RUN_AS_SCRIPT = `function runAsScript() {
  try {
    return realpathSync(process.argv[1] ?? '') === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}
`;

export function snippetText(metadata: ModelMetadata, needsKnnLayer: boolean, resize: ResizeMode): string {
  const { imageSize, channels, scale, offset } = metadata.preprocessing;
  return `// Classify images with this exported model: node predict.mjs IMAGE...
// or, from your code: import { classify, pixels } from './predict.mjs'.
// Needs: npm install @tensorflow/tfjs sharp. Preprocessing recorded at training time (do not change it:
// the model predicts differently otherwise): EXIF orientation applied, resize to ${imageSize}×${imageSize}
// (${resize}: ${RESIZE_WORDS[resize]}), ${channels === 1 ? 'greyscale' : 'RGB'}, pixel v (0..255) → v × ${scale} + ${offset}.${
    needsKnnLayer
      ? '\n// This is a knn model: it needs the ImageTrainerKnn layer class of image-trainer (src/trainer/presets/knnLayer.ts) registered before loading.'
      : ''
  }
import { realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';

const here = dirname(fileURLToPath(import.meta.url));
export const PREPROCESSING = ${JSON.stringify({ imageSize, channels, scale, offset, resize })};
// sharp.resize options of the resize mode above.
const RESIZE = ${JSON.stringify(sharpResizeOptions(resize))};
export const LABELS = ${JSON.stringify(metadata.labels)};

export async function loadModel() {
  const json = JSON.parse(await readFile(join(here, 'model.json'), 'utf8'));
  const specs = json.weightsManifest.flatMap((group) => group.weights);
  const buffers = [];
  for (const group of json.weightsManifest) for (const p of group.paths) buffers.push(await readFile(join(here, p)));
  const weightData = new Uint8Array(Buffer.concat(buffers)).buffer;
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData }));
}

${PIXELS_FUNCTION}
/** Probabilities per label for each file, in order. */
export async function classify(model, files) {
  const { imageSize, channels } = PREPROCESSING;
  const results = [];
  for (const file of files) {
    const input = tf.tensor4d(await pixels(file), [1, imageSize, imageSize, channels]);
    const output = model.predict(input);
    const probabilities = Array.from(await output.data());
    input.dispose();
    output.dispose();
    results.push({ file, probabilities });
  }
  return results;
}

${RUN_AS_SCRIPT}
// Run as a script (not imported): print the best label of each file.
if (runAsScript()) {
  const model = await loadModel();
  for (const { file, probabilities } of await classify(model, process.argv.slice(2))) {
    const best = probabilities.indexOf(Math.max(...probabilities));
    console.log(\`\${file}\\t\${LABELS[best]}\\t\${(probabilities[best] * 100).toFixed(1)}%\`);
  }
}
`;
}
