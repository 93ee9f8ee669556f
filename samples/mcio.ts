/**
 * A small face anti-spoofing set in the MCIO layout lib/datasets reads (`<domain>/{train,test}/{real,fake}/
 * <video>_frame{0,1}.png`, face crops as the reference's preprocessing leaves them), from the demo photos' faces.
 *
 * Each domain has its own "camera" (a per-channel gain and offset: the domain shift leave-one-domain-out is about);
 * an attack video shows the same face recaptured from a print or screen: contrast pulled towards grey, a moiré
 * pattern whose angle and period depend on the domain, and a slight blur. Identities alternate between train
 * (2 of 3) and test. Frame 1 is the face seen from a window shifted by 3% of its side.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { encodeImage, type RgbImage } from '../lib/faces/index.js';
import { renderView, type View } from './camera.js';
import { defaultPhotosDir, findIdentities, type Identity } from './photos.js';

export const MCIO_SAMPLE_DOMAINS = ['casia', 'msu', 'oulu', 'replay'] as const;

export interface McioSampleOptions {
  outDir: string;
  photosDir?: string;
  domains?: readonly string[];
  sizePx?: number;
  /** Identities used (first ones found); default all. */
  identities?: number;
}

export interface McioSample {
  root: string;
  domains: string[];
  /** Images written per domain, split and label. */
  counts: Record<string, Record<'train' | 'test', { real: number; fake: number }>>;
}

/** The face crop the reference's preprocessing keeps: a square of 1.3 × the box side, centred on the box. */
function faceView(identity: Identity, sizePx: number, shiftFraction: number): View {
  const { box } = identity;
  const image = identity.photo.image;
  const side = Math.min(1.3 * Math.max(box.right - box.left, box.bottom - box.top), image.widthPx, image.heightPx);
  const cx = (box.left + box.right) / 2 + shiftFraction * side;
  const cy = (box.top + box.bottom) / 2;
  const x0 = Math.min(Math.max(cx - side / 2, 0), image.widthPx - side);
  const y0 = Math.min(Math.max(cy - side / 2, 0), image.heightPx - side);
  return { x0, y0, scale: side / sizePx };
}

/** Domain k's camera: per-channel gain and offset. */
function cameraLook(face: RgbImage, k: number): RgbImage {
  const gains = [[1.08, 1.0, 0.9], [0.85, 0.88, 0.92], [0.95, 1.02, 1.12], [1.0, 1.1, 0.95]][k % 4];
  const offsets = [[10, 0, -8], [-12, -10, -6], [-4, 4, 14], [0, 12, -4]][k % 4];
  const out = Buffer.allocUnsafe(face.rgb.length);
  for (let i = 0; i < out.length; i++) out[i] = clamp(face.rgb[i] * gains[i % 3] + offsets[i % 3]);
  return { rgb: out, widthPx: face.widthPx, heightPx: face.heightPx };
}

/** A recaptured face: contrast towards grey, a domain-specific moiré, a 3×3 box blur. */
function attack(face: RgbImage, k: number): RgbImage {
  const { widthPx: w, heightPx: h } = face;
  const angle = (0.3 + 0.4 * k) * Math.PI;
  const period = 3 + (k % 3);
  const flat = Buffer.allocUnsafe(face.rgb.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const wave = 16 * Math.sin(((x * Math.cos(angle) + y * Math.sin(angle)) * 2 * Math.PI) / period);
      for (let c = 0; c < 3; c++) {
        const i = (y * w + x) * 3 + c;
        flat[i] = clamp(128 + 0.65 * (face.rgb[i] - 128) + wave);
      }
    }
  }
  const out = Buffer.allocUnsafe(flat.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        let n = 0;
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const yy = y + dy;
            const xx = x + dx;
            if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
            sum += flat[(yy * w + xx) * 3 + c];
            n++;
          }
        }
        out[(y * w + x) * 3 + c] = Math.round(sum / n);
      }
    }
  }
  return { rgb: out, widthPx: w, heightPx: h };
}

function clamp(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}

export async function generateMcioSample(options: McioSampleOptions): Promise<McioSample> {
  const domains = [...(options.domains ?? MCIO_SAMPLE_DOMAINS)];
  const sizePx = options.sizePx ?? 64;
  const identities = await findIdentities(options.photosDir ?? defaultPhotosDir(), options.identities);
  const counts: McioSample['counts'] = {};
  for (const [k, domain] of domains.entries()) {
    counts[domain] = { train: { real: 0, fake: 0 }, test: { real: 0, fake: 0 } };
    for (const [i, identity] of identities.entries()) {
      const split = i % 3 === 2 ? 'test' : 'train';
      for (const label of ['real', 'fake'] as const) {
        const dir = path.join(options.outDir, domain, split, label);
        await mkdir(dir, { recursive: true });
        const video = `${domain}_${identity.id}_${label === 'real' ? 'live' : 'print'}`;
        for (const frame of [0, 1]) {
          const face = cameraLook(renderView(identity.photo.image, faceView(identity, sizePx, frame * 0.03), sizePx), k);
          await writeFile(path.join(dir, `${video}_frame${frame}.png`), await encodeImage(label === 'real' ? face : attack(face, k)));
          counts[domain][split][label]++;
        }
      }
    }
  }
  return { root: options.outDir, domains, counts };
}
