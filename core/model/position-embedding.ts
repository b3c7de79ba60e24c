/**
 * The reference's `interpolate_pos_encoding` as constant matrices. It calls PyTorch's
 * `interpolate(grid, scale_factor=((rows + 0.1) / √N, (cols + 0.1) / √N), mode='bicubic',
 * align_corners=False)`: the output size is floor(√N · scale) = rows, cols, but source
 * coordinates use the scale factor itself, `src = (dst + 0.5) / scale − 0.5`, then cubic
 * convolution (a = −0.75) over 4 neighbours with indices clamped at the border. Since the
 * weights depend only on sizes, the interpolation is `Mrows · grid · Mcolsᵀ`, i.e. one matrix
 * `kron(Mrows, Mcols)` [rows·cols, N] applied to the patch position embeddings [N, dim].
 * PyTorch computes the coordinates in float32; Math.fround reproduces that rounding.
 */
const CUBIC_A = -0.75;
const f = Math.fround;

function cubicNear(x: number): number {
  return f(f(f(f(f(f(CUBIC_A + 2) * x) - f(CUBIC_A + 3)) * x) * x) + 1);
}

function cubicFar(x: number): number {
  return f(f(f(f(f(f(CUBIC_A * x) - f(5 * CUBIC_A)) * x) + f(8 * CUBIC_A)) * x) - f(4 * CUBIC_A));
}

/** [outSize, inSize] weights of 1-D bicubic resampling with PyTorch's scale-factor convention. */
export function bicubicMatrix(inSize: number, outSize: number, scaleFactor: number): Float64Array {
  const matrix = new Float64Array(outSize * inSize);
  const inverseScale = f(1 / scaleFactor);
  for (let dst = 0; dst < outSize; dst++) {
    const source = f(inverseScale * (dst + 0.5) - 0.5);
    const base = Math.floor(source);
    const t = f(source - base);
    const weights = [cubicFar(f(t + 1)), cubicNear(t), cubicNear(f(1 - t)), cubicFar(f(f(1 - t) + 1))];
    for (let k = 0; k < 4; k++) {
      const index = Math.min(Math.max(base - 1 + k, 0), inSize - 1);
      matrix[dst * inSize + index] += weights[k];
    }
  }
  return matrix;
}

/**
 * The matrix [rows·cols, N] that maps the trained square grid of N patch position embeddings
 * to a rows × cols grid, or null when the reference uses them unchanged (same count, square
 * input). `squareInput` is the reference's `w == h` test on the input pixels.
 */
export function positionInterpolation(
  trainedPositions: number,
  rows: number,
  cols: number,
  squareInput: boolean,
): { matrix: Float32Array; shape: [number, number] } | null {
  if (rows * cols === trainedPositions && squareInput) return null;
  const side = Math.round(Math.sqrt(trainedPositions));
  if (side * side !== trainedPositions) {
    throw new Error(`Position embeddings of ${trainedPositions} patches are not a square grid.`);
  }
  const rowScale = (rows + 0.1) / Math.sqrt(trainedPositions);
  const colScale = (cols + 0.1) / Math.sqrt(trainedPositions);
  if (Math.floor(side * rowScale) !== rows || Math.floor(side * colScale) !== cols) {
    throw new Error(`Bicubic interpolation from ${side}x${side} would not give ${rows}x${cols} patches.`);
  }
  const mRows = bicubicMatrix(side, rows, rowScale);
  const mCols = bicubicMatrix(side, cols, colScale);
  const matrix = new Float32Array(rows * cols * trainedPositions);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const out = (r * cols + c) * trainedPositions;
      for (let i = 0; i < side; i++) {
        const wr = mRows[r * side + i];
        if (wr === 0) continue;
        for (let j = 0; j < side; j++) matrix[out + i * side + j] = wr * mCols[c * side + j];
      }
    }
  }
  return { matrix, shape: [rows * cols, trainedPositions] };
}
