// The pretrained bases we offer by name. Pure data: where each fact comes from is in docs/bases.md, and
// nothing here is fetched until the user runs `image-trainer bases get NAME`.
import { isBaseEntry, toBaseEntry, type BaseEntry } from '../protocol/bases';

export interface CatalogueEntry extends BaseEntry {
  /** Tried in order when `source` answers 404 (a second spelling of the same published files). */
  alternateSources: string[];
  /** One line for pickers and `bases list`. */
  description: string;
}

const TEACHABLE_MACHINE = 'https://storage.googleapis.com/teachable-machine-models';
/** TF Hub's TF.js models, as `tf.loadGraphModel(url, {fromTFHub: true})` fetches them. */
const tfHubModelJson = (handle: string): string =>
  `https://tfhub.dev/google/tfjs-model/${handle}/model.json?tfjs-format=file`;

export const BASE_CATALOGUE: readonly CatalogueEntry[] = [
  {
    name: 'mobilenet-v2-0.35',
    format: 'layers',
    inputShape: [224, 224, 3],
    preprocessing: 'minusOneOne',
    cutLayer: 'out_relu',
    sizeBytes: 1_640_832,
    sha256: null,
    source: `${TEACHABLE_MACHINE}/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top/model.json`,
    licence: 'Apache-2.0',
    alternateSources: [],
    description: "MobileNet v2 α 0.35, 224 px, no top: Teachable Machine's default base (fine-tunable)",
  },
  {
    name: 'mobilenet-v2-1.0',
    format: 'layers',
    inputShape: [224, 224, 3],
    preprocessing: 'minusOneOne',
    cutLayer: 'out_relu',
    sizeBytes: 9_031_936,
    sha256: null,
    // Teachable Machine's library spells alpha with toFixed(2) ("1.00"); other code loads "1.0".
    source: `${TEACHABLE_MACHINE}/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.00_224_no_top/model.json`,
    licence: 'Apache-2.0',
    alternateSources: [
      `${TEACHABLE_MACHINE}/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top/model.json`,
    ],
    description: 'MobileNet v2 α 1.0, 224 px, no top, in the format Teachable Machine loads (fine-tunable)',
  },
  {
    name: 'mobilenet-v3-small',
    format: 'graph',
    inputShape: [224, 224, 3],
    preprocessing: 'zeroOne',
    cutLayer: null,
    sizeBytes: 6_211_315,
    sha256: null,
    source: tfHubModelJson('imagenet/mobilenet_v3_small_100_224/feature_vector/5/default/1'),
    licence: 'Apache-2.0',
    alternateSources: [],
    description: 'MobileNet v3 small 1.0, 224 px, 1024 features (TF Hub graph model, frozen)',
  },
  {
    name: 'mobilenet-v3-large',
    format: 'graph',
    inputShape: [224, 224, 3],
    preprocessing: 'zeroOne',
    cutLayer: null,
    sizeBytes: 16_943_792,
    sha256: null,
    source: tfHubModelJson('imagenet/mobilenet_v3_large_100_224/feature_vector/5/default/1'),
    licence: 'Apache-2.0',
    alternateSources: [],
    description: 'MobileNet v3 large 1.0, 224 px, 1280 features (TF Hub graph model, frozen)',
  },
  {
    name: 'resnet-v2-50',
    format: 'graph',
    inputShape: [224, 224, 3],
    preprocessing: 'zeroOne',
    cutLayer: null,
    sizeBytes: 94_000_000,
    sha256: null,
    source: tfHubModelJson('imagenet/resnet_v2_50/feature_vector/3/default/1'),
    licence: 'Apache-2.0',
    alternateSources: [],
    description:
      'ResNet v2 50, 224 px, 2048 features (TF Hub graph model, frozen; the strongest and largest)',
  },
];

export function findCatalogueEntry(name: string): CatalogueEntry | undefined {
  return BASE_CATALOGUE.find((entry) => entry.name === name);
}

/** An entry of a catalogue file (IMAGE_TRAINER_BASE_CATALOGUE): a BaseEntry plus optional extras. */
export function toCatalogueEntry(value: unknown): CatalogueEntry | null {
  if (!isBaseEntry(value)) return null;
  const record = value as BaseEntry & { alternateSources?: unknown; description?: unknown };
  const alternates = record.alternateSources ?? [];
  if (!Array.isArray(alternates) || !alternates.every((s) => typeof s === 'string')) return null;
  return {
    ...toBaseEntry(record),
    alternateSources: alternates as string[],
    description: typeof record.description === 'string' ? record.description : '',
  };
}
