/**
 * Colour transfer for the swaps (Reinhard et al.): inside the blend mask, shift and scale each channel of the
 * warped source face so its mean and standard deviation match the target face's, in CIELAB (Deepfakes) or in
 * RGB (FaceSwap, a cruder match, so the two methods leave different traces).
 */

export type ColourSpace = 'lab' | 'rgb';

/** sRGB byte -> linear light. */
const LINEAR = Float64Array.from({ length: 256 }, (_, v) => {
  const c = v / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
});

// D65 white; sRGB primaries.
const XN = 0.95047;
const ZN = 1.08883;
const EPS = 216 / 24389;
const KAPPA = 24389 / 27;

function labFExact(t: number): number {
  return t > EPS ? Math.cbrt(t) : (KAPPA * t + 16) / 116;
}

function labFInv(f: number): number {
  const t = f * f * f;
  return t > EPS ? t : (116 * f - 16) / KAPPA;
}

function toSrgbExact(linear: number): number {
  return linear <= 0.0031308 ? 12.92 * linear : 1.055 * linear ** (1 / 2.4) - 0.055;
}

/**
 * cbrt and pow per pixel cost ~1 us; linearly interpolated tables of 4096 steps are 5x faster and err by
 * < 0.001 L* and < 0.01 byte levels, well below what the transfer itself changes.
 */
const TABLE_STEPS = 4096;
const F_MAX = 1.25;
const F_TABLE = Float64Array.from({ length: TABLE_STEPS + 2 }, (_, i) => labFExact((i * F_MAX) / TABLE_STEPS));
const SRGB_TABLE = Float64Array.from({ length: TABLE_STEPS + 2 }, (_, i) => toSrgbExact(i / TABLE_STEPS));

function lookup(table: Float64Array, x: number, scale: number): number {
  const pos = Math.min(Math.max(x * scale, 0), TABLE_STEPS);
  const i = Math.floor(pos);
  return table[i] + (table[i + 1] - table[i]) * (pos - i);
}

/** RGB (0..255, may be fractional) -> L*a*b*, written to out[o..o+2]. */
function rgbToLab(r: number, g: number, b: number, out: Float64Array, o: number): void {
  const R = LINEAR[r <= 0 ? 0 : r >= 255 ? 255 : Math.round(r)];
  const G = LINEAR[g <= 0 ? 0 : g >= 255 ? 255 : Math.round(g)];
  const B = LINEAR[b <= 0 ? 0 : b >= 255 ? 255 : Math.round(b)];
  const s = TABLE_STEPS / F_MAX;
  const x = lookup(F_TABLE, (0.4124564 * R + 0.3575761 * G + 0.1804375 * B) / XN, s);
  const y = lookup(F_TABLE, 0.2126729 * R + 0.7151522 * G + 0.072175 * B, s);
  const z = lookup(F_TABLE, (0.0193339 * R + 0.119192 * G + 0.9503041 * B) / ZN, s);
  out[o] = 116 * y - 16;
  out[o + 1] = 500 * (x - y);
  out[o + 2] = 200 * (y - z);
}

function toSrgbByte(linear: number): number {
  return 255 * lookup(SRGB_TABLE, linear, TABLE_STEPS);
}

function labToRgb(L: number, a: number, bb: number, out: Float32Array, o: number): void {
  const fy = (L + 16) / 116;
  const X = XN * labFInv(fy + a / 500);
  const Y = labFInv(fy);
  const Z = ZN * labFInv(fy - bb / 200);
  out[o] = toSrgbByte(3.2404542 * X - 1.5371385 * Y - 0.4985314 * Z);
  out[o + 1] = toSrgbByte(-0.969266 * X + 1.8760108 * Y + 0.041556 * Z);
  out[o + 2] = toSrgbByte(0.0556434 * X - 0.2040259 * Y + 1.0572252 * Z);
}

/**
 * Recolours `face` ([N, 3] float RGB, in place) where `apply` is set, with the per-channel (in `space`) gain
 * and shift that make its mean and std over the `measure` pixels equal the target's ([N, 3] uint8 RGB) there.
 * `measure` must be a subset of `apply`.
 */
export function transferColour(
  face: Float32Array,
  target: Uint8Array,
  measure: Uint8Array,
  apply: Uint8Array,
  space: ColourSpace,
): void {
  let n = 0;
  for (let i = 0; i < apply.length; i++) n += apply[i];
  const idx = new Int32Array(n);
  for (let i = 0, k = 0; i < apply.length; i++) if (apply[i]) idx[k++] = i;
  const use = new Uint8Array(n);
  let measured = 0;
  for (let k = 0; k < n; k++) measured += use[k] = measure[idx[k]];
  if (measured < 2) return;
  const src = new Float64Array(n * 3);
  const dst = new Float64Array(n * 3);
  for (let k = 0; k < n; k++) {
    const p = idx[k] * 3;
    if (space === 'lab') {
      rgbToLab(face[p], face[p + 1], face[p + 2], src, k * 3);
      if (use[k]) rgbToLab(target[p], target[p + 1], target[p + 2], dst, k * 3);
    } else {
      for (let c = 0; c < 3; c++) {
        src[k * 3 + c] = face[p + c];
        dst[k * 3 + c] = target[p + c];
      }
    }
  }
  const gain = [0, 0, 0];
  const shift = [0, 0, 0];
  for (let c = 0; c < 3; c++) {
    const [ms, ss] = meanStd(src, c, use);
    const [mt, st] = meanStd(dst, c, use);
    gain[c] = ss > 1e-6 ? st / ss : 1;
    shift[c] = mt - ms * gain[c];
  }
  for (let k = 0; k < n; k++) {
    const p = idx[k] * 3;
    const v0 = src[k * 3] * gain[0] + shift[0];
    const v1 = src[k * 3 + 1] * gain[1] + shift[1];
    const v2 = src[k * 3 + 2] * gain[2] + shift[2];
    if (space === 'lab') labToRgb(v0, v1, v2, face, p);
    else {
      face[p] = Math.min(255, Math.max(0, v0));
      face[p + 1] = Math.min(255, Math.max(0, v1));
      face[p + 2] = Math.min(255, Math.max(0, v2));
    }
  }
}

function meanStd(values: Float64Array, channel: number, use: Uint8Array): [number, number] {
  let n = 0;
  let sum = 0;
  for (let k = 0; k < use.length; k++) {
    if (!use[k]) continue;
    n++;
    sum += values[k * 3 + channel];
  }
  const mean = sum / n;
  let sq = 0;
  for (let k = 0; k < use.length; k++) if (use[k]) sq += (values[k * 3 + channel] - mean) ** 2;
  return [mean, Math.sqrt(sq / n)];
}
