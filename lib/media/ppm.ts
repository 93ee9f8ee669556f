/**
 * Incremental parser for a stream of binary PPM (P6) images, as ffmpeg's `-f image2pipe -c:v ppm` writes them.
 * PPM is raw rgb24 behind a short text header ("P6\n48 32\n255\n"); the header makes every frame carry its own
 * size, so the reader never has to guess the output size (after autorotation or scaling) from a separate probe.
 */
export interface RgbImage {
  /** [heightPx, widthPx, 3] uint8, row-major, RGB. */
  rgb: Buffer;
  widthPx: number;
  heightPx: number;
}

// "P6" + 3 numbers of at most 10 digits + separators; a longer header is not one ffmpeg writes.
const MAX_HEADER_BYTES = 64;

export class PpmStreamParser {
  private pending: Buffer = Buffer.alloc(0);
  private current: { image: RgbImage; filled: number } | undefined;

  /** Feeds bytes; returns the images completed by them, in order. */
  push(chunk: Buffer): RgbImage[] {
    const done: RgbImage[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      if (this.current) {
        const { image } = this.current;
        const take = Math.min(image.rgb.length - this.current.filled, chunk.length - offset);
        chunk.copy(image.rgb, this.current.filled, offset, offset + take);
        this.current.filled += take;
        offset += take;
        if (this.current.filled === image.rgb.length) {
          done.push(image);
          this.current = undefined;
        }
        continue;
      }
      // Header bytes are few: gather them (possibly across chunks) before parsing.
      const need = Math.min(MAX_HEADER_BYTES - this.pending.length, chunk.length - offset);
      const probe = Buffer.concat([this.pending, chunk.subarray(offset, offset + need)]);
      const header = parseHeader(probe);
      if (header === 'incomplete') {
        if (probe.length >= MAX_HEADER_BYTES) throw new Error('malformed PPM header in the frame stream');
        this.pending = probe;
        offset += need;
        continue;
      }
      const consumedFromChunk = header.headerBytes - this.pending.length;
      this.pending = Buffer.alloc(0);
      offset += consumedFromChunk;
      this.current = {
        image: {
          rgb: Buffer.allocUnsafe(header.widthPx * header.heightPx * 3),
          widthPx: header.widthPx,
          heightPx: header.heightPx,
        },
        filled: 0,
      };
      if (this.current.image.rgb.length === 0) {
        done.push(this.current.image);
        this.current = undefined;
      }
    }
    return done;
  }

  /** Bytes of an image that started but did not finish: non-zero at end of stream means a cut-off frame. */
  get partialBytes(): number {
    return this.pending.length + (this.current?.filled ?? 0);
  }
}

type Header = { headerBytes: number; widthPx: number; heightPx: number };

function parseHeader(buf: Buffer): Header | 'incomplete' {
  if (buf.length < 2) return 'incomplete';
  if (buf[0] !== 0x50 /* P */ || buf[1] !== 0x36 /* 6 */) throw new Error('frame stream is not binary PPM (P6)');
  const fields: number[] = [];
  let i = 2;
  while (fields.length < 3) {
    while (i < buf.length && isSpace(buf[i])) i++;
    const start = i;
    while (i < buf.length && buf[i] >= 0x30 && buf[i] <= 0x39) i++;
    // A number is complete only when a whitespace byte follows it.
    if (i >= buf.length) return 'incomplete';
    if (i === start || !isSpace(buf[i])) throw new Error('malformed PPM header in the frame stream');
    fields.push(Number(buf.toString('latin1', start, i)));
  }
  const [widthPx, heightPx, maxValue] = fields;
  if (maxValue !== 255) throw new Error(`PPM max value ${maxValue} is not 255 (rgb24 expected)`);
  // Exactly one whitespace byte separates the header from the pixels.
  return { headerBytes: i + 1, widthPx, heightPx };
}

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}
