// MODEL_CARD.md, written with every export: what the model was trained on, how its input is prepared,
// how well it does (per class, confusion matrix picture), how it was trained, its base and that base's
// licence, the parity result of the export, and the sections only the user can fill.
import type { Evaluation, ModelMetadata, RunRecord } from '../protocol/runRecord';

export interface ModelCardParity {
  images: number;
  sameTop1: number;
  maxProbabilityDifference: number;
  passed: boolean;
  runtime: string;
}

export interface ModelCardInput {
  record: RunRecord;
  metadata: ModelMetadata;
  evaluation: Evaluation | null;
  parity: ModelCardParity;
  format: string;
  /** The exported model file and the confusion picture, relative to the card. */
  modelFile: string;
  confusionPicture: string | null;
  opset?: number;
  operators?: readonly string[];
  /** Licence of the pretrained base, when the catalogue knows it. */
  baseLicence?: string | null;
  now: Date;
}

/** Text safe inside a Markdown table cell or line: no pipes, newlines or HTML. */
export function markdownText(text: string): string {
  return text
    .replace(/[\u0000-\u001f\u007f]/g, ' ')
    .replace(/[\\`*_[\]<>|#]/g, (c) => `\\${c}`)
    .slice(0, 200);
}

/** A fenced JSON block whose fence is longer than any backtick run inside (values come from files). */
function jsonBlock(value: unknown): string[] {
  const text = JSON.stringify(value, null, 2);
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  return [`${fence}json`, text, fence];
}

const percent = (v: number): string => `${(v * 100).toFixed(1)} %`;
const fixed = (v: number): string => v.toFixed(3);

export function modelCardMarkdown(input: ModelCardInput): string {
  const { record, metadata, evaluation, parity } = input;
  const p = metadata.preprocessing;
  const lines: string[] = [
    `# Model card: ${markdownText(record.id)}`,
    '',
    `Image classifier trained with Image Trainer (preset \`${markdownText(record.config.model)}\`), exported as ${markdownText(input.format)}` +
      `${input.opset ? ` (opset ${input.opset})` : ''} on ${input.now.toISOString().slice(0, 10)}: \`${markdownText(input.modelFile)}\`.`,
    '',
    '## Intended use',
    '',
    '_To be filled in by the model owner: what the model is for, who uses it, and uses it is not meant for._',
    '',
    '## Limitations and ethical considerations',
    '',
    '_To be filled in by the model owner: where the training data differs from the images the model will see, known failure cases, people affected by its errors._',
    '',
    '## Data set',
    '',
    `- Root: \`${markdownText(record.dataset.root)}\``,
    `- Classes (${metadata.labels.length}): ${metadata.labels.map((l) => markdownText(l)).join(', ')}`,
  ];
  const counts = record.dataset.counts;
  if (counts)
    lines.push(
      `- Split (seed ${record.config.seed}): ${counts.train} training, ${counts.validation} validation, ${counts.test} test images`,
    );
  lines.push(
    '',
    '## Preprocessing (applied by the snippets; the model input is the result)',
    '',
    `- Input \`image\`: float32 \`[batch, ${p.imageSize}, ${p.imageSize}, ${p.channels}]\` (NHWC), ${p.channels === 1 ? 'greyscale' : 'RGB'}`,
    `- EXIF orientation applied, transparency flattened onto black, resize \`${markdownText(String(p.resize ?? 'stretch'))}\` to ${p.imageSize}×${p.imageSize}`,
    `- Pixel v (0..255) → v × ${p.scale} + ${p.offset}`,
    `- Output \`probabilities\`: \`[batch, ${metadata.labels.length}]\`, in the class order above`,
    '',
    '## Metrics',
    '',
  );
  if (evaluation) {
    lines.push(
      `On the ${markdownText(evaluation.source ?? 'validation')} split: accuracy ${percent(evaluation.accuracy)}, macro F1 ${fixed(evaluation.macro.f1)}, weighted F1 ${fixed(evaluation.weighted.f1)}.`,
      '',
      '| class | precision | recall | F1 | support |',
      '| ----- | --------- | ------ | -- | ------- |',
      ...evaluation.perClass.map(
        (c) =>
          `| ${markdownText(c.label)} | ${fixed(c.precision)} | ${fixed(c.recall)} | ${fixed(c.f1)} | ${c.support} |`,
      ),
      '',
    );
    if (input.confusionPicture)
      lines.push(
        `![Confusion matrix: rows are true classes, columns predicted classes](${input.confusionPicture})`,
        '',
      );
  } else lines.push('_No evaluation.json in the run: no metrics recorded._', '');
  const c = record.config;
  lines.push(
    '## Training',
    '',
    `- Preset \`${markdownText(c.model)}\`, ${record.epochsCompleted} epoch(s) completed of ${c.epochs}, batch size ${c.batchSize}, optimizer ${markdownText(c.optimizer)}, learning rate ${c.learningRate}, seed ${c.seed}`,
    `- Backend \`${markdownText(record.backend)}\`, status \`${record.status}\`${record.bestEpoch !== undefined ? `, best epoch ${record.bestEpoch}` : ''}`,
    '',
    'Resolved configuration (as recorded in `run.json`):',
    '',
    ...jsonBlock(record.config),
    '',
    '## Base model',
    '',
  );
  if (record.base)
    lines.push(
      `- \`${markdownText(record.base.name)}\` (${record.base.format} model), from ${markdownText(record.base.source)}`,
      `- sha256 \`${markdownText(record.base.sha256)}\``,
      `- Licence: ${input.baseLicence ? markdownText(input.baseLicence) : '_unknown: check the base model’s source before shipping_'}`,
      '',
    );
  else lines.push('None: trained from scratch.', '');
  lines.push(
    '## Export parity',
    '',
    `Reloaded with ${markdownText(parity.runtime)} and compared with the trained model on ${parity.images} validation image(s): same top-1 on ${parity.sameTop1}, largest probability difference ${parity.maxProbabilityDifference.toExponential(2)} — **${parity.passed ? 'passed' : 'FAILED'}** (tolerance 1e-4).`,
  );
  if (input.operators?.length) lines.push('', `ONNX operators: ${input.operators.join(', ')}.`);
  return lines.join('\n') + '\n';
}
