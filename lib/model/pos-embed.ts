/**
 * Fixed 2-D sine-cosine position embedding, MAE's `get_2d_sincos_pos_embed(D, g, cls_token=True)`.
 *
 * Row 0 (the CLS slot) is zero. Patch k = i·g + j (row i, column j) gets
 *   [ sin(j·ω), cos(j·ω), sin(i·ω), cos(i·ω) ],  ω_m = 1 / 10000^(m / (D/4)),  m = 0 … D/4 − 1,
 * i.e. the first half of the channels encodes the column (MAE's meshgrid puts w first), the second the row.
 */
export function sinCosPosEmbed2d(dim: number, gridSize: number, clsToken = true): Float32Array {
  if (dim % 4 !== 0) throw new Error(`sin-cos position embedding needs a width divisible by 4, got ${dim}`);
  const quarter = dim / 4;
  const offset = clsToken ? 1 : 0;
  const out = new Float32Array((gridSize * gridSize + offset) * dim);
  for (let i = 0; i < gridSize; i++) {
    for (let j = 0; j < gridSize; j++) {
      const row = (offset + i * gridSize + j) * dim;
      for (let m = 0; m < quarter; m++) {
        const omega = 1 / Math.pow(10000, m / quarter);
        out[row + m] = Math.sin(j * omega);
        out[row + quarter + m] = Math.cos(j * omega);
        out[row + 2 * quarter + m] = Math.sin(i * omega);
        out[row + 3 * quarter + m] = Math.cos(i * omega);
      }
    }
  }
  return out;
}
