import type * as Tf from '@tensorflow/tfjs';
import type { NamedTensors } from '../engine/host-tensor.ts';
import type { BackboneSession } from '../engine/onnx-runtime.ts';
import type { VitConfig } from '../model/vit-config.ts';

/**
 * The backbone on TensorFlow.js (the model code training uses), behind the same interface as
 * the ONNX session: the fallback when ONNX Runtime cannot load on a machine, and the reference
 * the ONNX graph is checked against. Input NCHW like the ONNX graph; tfjs wants NHWC.
 */
export async function openTfjsBackbone(
  config: VitConfig,
  weights: NamedTensors,
  shape: { height: number; width: number },
): Promise<BackboneSession & { engine: string }> {
  const tf = await import('@tensorflow/tfjs');
  const { initBackend } = await import('../engine/backend.ts');
  const { VisionTransformer } = await import('../model/vision-transformer.ts');
  const backend = await initBackend();
  const model = new VisionTransformer(config, weights);
  const { height, width } = shape;
  const tokens = 1 + (height / config.patchSize) * (width / config.patchSize);
  const nhwc = (pixels: Float32Array, batch: number) => {
    if (pixels.length !== batch * 3 * height * width) {
      throw new Error(
        `Backbone input holds ${pixels.length} values, expected ${batch}×3×${height}×${width}.`,
      );
    }
    return tf.tidy(
      () => tf.tensor4d(pixels, [batch, 3, height, width]).transpose([0, 2, 3, 1]) as Tf.Tensor4D,
    );
  };
  const run = async <T extends Tf.Tensor>(
    pixels: Float32Array,
    batch: number,
    f: (images: Tf.Tensor4D) => T,
  ): Promise<Float32Array> => {
    const images = nhwc(pixels, batch);
    try {
      const out = f(images);
      try {
        return (await out.data()) as Float32Array;
      } finally {
        out.dispose();
      }
    } finally {
      images.dispose();
    }
  };
  return {
    height,
    width,
    embedDim: config.embedDim,
    numHeads: config.numHeads,
    tokens,
    executionProvider: backend.kind,
    engine: `tfjs ${backend.kind}`,
    embed: (pixels, batch) => run(pixels, batch, (images) => model.forward(images)),
    async forward(pixels, batch) {
      const cls = await run(pixels, batch, (images) => model.forward(images));
      const lastAttention = await run(pixels, batch, (images) => model.lastSelfAttention(images));
      return { cls, lastAttention };
    },
    async release() {
      model.dispose();
    },
  };
}
