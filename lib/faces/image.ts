/** Raw RGB images and the decode / encode (sharp) / crop / resize helpers the face layer needs. */
import sharp from 'sharp';
import { InvalidConfig, InvalidPath } from '../errors.js';
import { resizeBicubic } from './resize.js';

/** [heightPx, widthPx, 3] uint8, row-major RGB; structurally the same as lib/media's Frame. */
export interface RgbImage {
  rgb: Buffer;
  widthPx: number;
  heightPx: number;
}

export interface DecodeOptions {
  /** Apply the EXIF orientation, as OpenCV's imread (the reference's loader) does. */
  autoOrient?: boolean;
}

/** JPEG/PNG/... file or bytes -> RGB (alpha dropped, grey expanded to 3 channels, sRGB). */
export async function decodeImage(input: string | Buffer, options: DecodeOptions = {}): Promise<RgbImage> {
  try {
    let pipeline = sharp(input, { failOn: 'error' });
    if (options.autoOrient ?? true) pipeline = pipeline.autoOrient();
    const { data, info } = await pipeline
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded ${info.channels} channels, expected 3`);
    return { rgb: data, widthPx: info.width, heightPx: info.height };
  } catch (cause) {
    const what = typeof input === 'string' ? input : `${input.length}-byte buffer`;
    throw new InvalidPath(`cannot decode image ${what}: ${(cause as Error).message}`, { cause });
  }
}

/** RGB -> PNG (lossless) or JPEG bytes. */
export async function encodeImage(image: RgbImage, format: 'png' | 'jpeg' = 'png', jpegQuality = 95): Promise<Buffer> {
  assertRgb(image);
  const pipeline = sharp(image.rgb, { raw: { width: image.widthPx, height: image.heightPx, channels: 3 } });
  return format === 'png' ? pipeline.png().toBuffer() : pipeline.jpeg({ quality: jpegQuality }).toBuffer();
}

export function assertRgb(image: RgbImage): void {
  const { widthPx, heightPx, rgb } = image;
  if (!Number.isInteger(widthPx) || !Number.isInteger(heightPx) || widthPx < 1 || heightPx < 1) {
    throw new InvalidConfig(`image size must be positive integers, got ${widthPx}x${heightPx}`);
  }
  if (rgb.length !== widthPx * heightPx * 3) {
    throw new InvalidConfig(`RGB buffer holds ${rgb.length} bytes, ${widthPx}x${heightPx}x3 needs ${widthPx * heightPx * 3}`);
  }
}

/** The square [y, y+sizePx) x [x, x+sizePx) of `image` (must lie inside it), copied. */
export function cropSquare(image: RgbImage, square: { x: number; y: number; sizePx: number }): RgbImage {
  assertRgb(image);
  const { x, y, sizePx } = square;
  if (x < 0 || y < 0 || sizePx < 1 || x + sizePx > image.widthPx || y + sizePx > image.heightPx) {
    throw new InvalidConfig(
      `crop ${sizePx}px at (${x}, ${y}) does not fit inside a ${image.widthPx}x${image.heightPx} image`,
    );
  }
  const rowBytes = sizePx * 3;
  const out = Buffer.allocUnsafe(rowBytes * sizePx);
  for (let row = 0; row < sizePx; row++) {
    const from = ((y + row) * image.widthPx + x) * 3;
    image.rgb.copy(out, row * rowBytes, from, from + rowBytes);
  }
  return { rgb: out, widthPx: sizePx, heightPx: sizePx };
}

/**
 * Resize to sizePx x sizePx, centre-aligned bicubic with the reference's arithmetic (resize.ts: PIL's BICUBIC,
 * byte for byte). Pixel centres map onto pixel centres: u + 0.5 = (x + 0.5) * sizePx / side.
 */
export function resizeSquare(image: RgbImage, sizePx: number): RgbImage {
  assertRgb(image);
  return {
    rgb: resizeBicubic(image.rgb, image.widthPx, image.heightPx, sizePx, sizePx, 3),
    widthPx: sizePx,
    heightPx: sizePx,
  };
}
