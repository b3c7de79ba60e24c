import { backboneShapes } from '../model/infer-vit-config.ts';
import type { VitConfig } from '../model/vit-config.ts';

/**
 * The published DINO and DINOv2 backbones `dinoscope weights fetch NAME` knows: where each file
 * is, what it must hold (the architecture, checked against the downloaded tensors before
 * anything is imported), its licence, and its SHA-256 where we could read the published one.
 * Sizes are what the float32 tensors take (the files add a few kB of container); the download
 * itself trusts the server's Content-Length.
 */
export interface PublishedWeights {
  /** The name people type: `dino-vits16`, `dinov2-vitb14-reg`, … */
  key: string;
  title: string;
  family: 'dino' | 'dinov2';
  url: string;
  /** Other addresses of the same weights, tried in order when `url` answers 404. */
  fallbackUrls?: string[];
  /** Name of the downloaded file in the library's data folder (its extension tells the format). */
  fileName: string;
  /** The architecture the tensors must have. */
  architecture: Pick<VitConfig, 'patchSize' | 'embedDim' | 'depth' | 'numHeads' | 'mlpRatio' | 'imgSize'> & {
    registers: number;
    layerScale: boolean;
  };
  /** Lower-case hex, or null where no published checksum was found: the download is then only shape-checked. */
  sha256: string | null;
  /** Bytes of the tensors (float32), about the size of the download. */
  approximateBytes: number;
  licence: string;
  /** ImageNet k-NN top-1 (%) as its authors report it: how good the features are off the shelf. */
  imagenetKnn: number;
  /** When to pick it, in one line. */
  goodFor: string;
}

const DINO_LICENCE = 'Apache-2.0 (facebookresearch/dino)';
const DINOV2_LICENCE = 'Apache-2.0 (facebookresearch/dinov2)';
const SMALL = { embedDim: 384, depth: 12, numHeads: 6, mlpRatio: 4 } as const;
const BASE = { embedDim: 768, depth: 12, numHeads: 12, mlpRatio: 4 } as const;
/** DINO trains at 224 px; DINOv2's released backbones carry position embeddings for 518 px (37 × 14). */
const DINO_SIZE = 224;
const DINOV2_SIZE = 518;
/** The four learned register tokens of the `_reg4` DINOv2 backbones. */
const DINOV2_REGISTERS = 4;

type Entry = Omit<PublishedWeights, 'approximateBytes'> & { extraTensorValues?: number };

const dinoOfficial = (
  key: string,
  file: string,
  title: string,
  shape: typeof SMALL | typeof BASE,
  patchSize: 16 | 8,
  imagenetKnn: number,
  goodFor: string,
): Entry => ({
  key,
  title: `${title} (official .pth)`,
  family: 'dino',
  url: `https://dl.fbaipublicfiles.com/dino/${file}/${file}.pth`,
  fileName: `${key}.pth`,
  architecture: { ...shape, patchSize, imgSize: DINO_SIZE, registers: 0, layerScale: false },
  sha256: null,
  licence: DINO_LICENCE,
  imagenetKnn,
  goodFor,
});

/** The same backbones converted by Hugging Face (`facebook/dino-*`, ViTModel names plus a pooler we drop). */
const dinoHuggingFace = (official: Entry, repository: string): Entry => ({
  ...official,
  key: `${official.key}-hf`,
  title: official.title.replace('(official .pth)', '(Hugging Face safetensors)'),
  url: `https://huggingface.co/${repository}/resolve/main/model.safetensors`,
  // The original upload of these repositories is a torch.save of the same ViTModel tensors.
  fallbackUrls: [`https://huggingface.co/${repository}/resolve/main/pytorch_model.bin`],
  fileName: `${official.key}-hf.safetensors`,
  extraTensorValues: official.architecture.embedDim * (official.architecture.embedDim + 1),
});

const dinov2 = (
  key: string,
  name: string,
  title: string,
  shape: typeof SMALL | typeof BASE,
  registers: number,
  imagenetKnn: number,
  goodFor: string,
): Entry => ({
  key,
  title,
  family: 'dinov2',
  url: `https://dl.fbaipublicfiles.com/dinov2/${name.replace(/_reg\d+$/, '')}/${name}_pretrain.pth`,
  fileName: `${key}.pth`,
  architecture: { ...shape, patchSize: 14, imgSize: DINOV2_SIZE, registers, layerScale: true },
  sha256: null,
  licence: DINOV2_LICENCE,
  imagenetKnn,
  goodFor,
  // mask_token [1, D], used only in DINOv2's masked training and dropped on import
  extraTensorValues: shape.embedDim,
});

const vits16 = dinoOfficial(
  'dino-vits16',
  'dino_deitsmall16_pretrain',
  'DINO ViT-S/16',
  SMALL,
  16,
  74.5,
  'the default: good features for everyday photos, fast on a CPU',
);
const vits8 = dinoOfficial(
  'dino-vits8',
  'dino_deitsmall8_pretrain',
  'DINO ViT-S/8',
  SMALL,
  8,
  78.3,
  'finer attention maps and small objects (microscopy, drone tiles); several times slower than /16 (4× the patches)',
);
const vitb16 = dinoOfficial(
  'dino-vitb16',
  'dino_vitbase16_pretrain',
  'DINO ViT-B/16',
  BASE,
  16,
  76.1,
  'slightly better features than ViT-S/16 at about 3–4× the time',
);
const vitb8 = dinoOfficial(
  'dino-vitb8',
  'dino_vitbase8_pretrain',
  'DINO ViT-B/8',
  BASE,
  8,
  77.4,
  'the finest DINO attention maps; slow on a CPU',
);

const ENTRIES: Entry[] = [
  vits16,
  vits8,
  vitb16,
  vitb8,
  dinoHuggingFace(vits16, 'facebook/dino-vits16'),
  dinoHuggingFace(vits8, 'facebook/dino-vits8'),
  dinoHuggingFace(vitb16, 'facebook/dino-vitb16'),
  dinoHuggingFace(vitb8, 'facebook/dino-vitb8'),
  dinov2(
    'dinov2-vits14',
    'dinov2_vits14',
    'DINOv2 ViT-S/14',
    SMALL,
    0,
    79.0,
    'stronger features than DINO at the same size, trained on 142 M varied images (photos, aerial, close-ups)',
  ),
  dinov2(
    'dinov2-vitb14',
    'dinov2_vitb14',
    'DINOv2 ViT-B/14',
    BASE,
    0,
    82.1,
    'the strongest here; about 4× the time of ViT-S/14',
  ),
  dinov2(
    'dinov2-vits14-reg',
    'dinov2_vits14_reg4',
    'DINOv2 ViT-S/14 with registers',
    SMALL,
    DINOV2_REGISTERS,
    79.1,
    'as ViT-S/14 with cleaner attention maps (no artefact patches)',
  ),
  dinov2(
    'dinov2-vitb14-reg',
    'dinov2_vitb14_reg4',
    'DINOv2 ViT-B/14 with registers',
    BASE,
    DINOV2_REGISTERS,
    82.0,
    'as ViT-B/14 with cleaner attention maps',
  ),
];

function tensorBytes(entry: Entry): number {
  const { registers, layerScale, ...vit } = entry.architecture;
  let values = entry.extraTensorValues ?? 0;
  for (const shape of backboneShapes({ ...vit, registers, layerScale }).values()) {
    values += shape.reduce((n, d) => n * d, 1);
  }
  return values * 4;
}

export const PUBLISHED_WEIGHTS: readonly PublishedWeights[] = ENTRIES.map(
  ({ extraTensorValues, ...entry }) => ({
    ...entry,
    approximateBytes: tensorBytes({ ...entry, extraTensorValues }),
  }),
);

/** The catalogue entry named `key`, or null. */
export function findPublishedWeights(
  key: string,
  catalogue: readonly PublishedWeights[] = PUBLISHED_WEIGHTS,
): PublishedWeights | null {
  return catalogue.find((entry) => entry.key === key.toLowerCase()) ?? null;
}
