/**
 * The reference's weight initialisation, drawn from a caller's uniform generator so that a
 * seeded run starts from the same weights. `trunc_normal_(std=0.02)` (DINO `utils.trunc_normal_`
 * truncates at ±2 absolute, i.e. ±100 std: in practice never) for dense weights and the
 * position and class tokens; PyTorch's default `kaiming_uniform_(a=√5)`, i.e. U(±1/√fan_in),
 * for the patch convolution and the head's last layer.
 */
export type Uniform = () => number;

export const TOKEN_AND_DENSE_STD = 0.02;

export function truncatedNormal(count: number, std: number, random: Uniform, bound = 2): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; ) {
    // Box-Muller: two independent normals per pair of uniforms; u1 in (0, 1] avoids log(0).
    const u1 = 1 - random();
    const u2 = random();
    const radius = Math.sqrt(-2 * Math.log(u1));
    for (const z of [radius * Math.cos(2 * Math.PI * u2), radius * Math.sin(2 * Math.PI * u2)]) {
      const value = z * std;
      if (i < count && value >= -bound && value <= bound) out[i++] = value;
    }
  }
  return out;
}

export function uniformFanIn(count: number, fanIn: number, random: Uniform): Float32Array {
  const bound = 1 / Math.sqrt(fanIn);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (2 * random() - 1) * bound;
  return out;
}

export const filled = (count: number, value: number) => new Float32Array(count).fill(value);
