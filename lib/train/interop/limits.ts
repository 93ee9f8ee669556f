/**
 * Memory bounds for reading weight files from users (.pth, safetensors): every size is checked against these caps,
 * and against the bytes the file really holds, before anything is allocated, so a 3 MB deflate bomb or a 561-byte
 * strided view cannot take the worker's memory.
 *
 *   maxTensorBytes  one tensor or storage, decoded (default 2 GiB; env FSFM_WEIGHTS_MAX_TENSOR_BYTES)
 *   maxFileBytes    everything decoded from one file together (default 8 GiB; env FSFM_WEIGHTS_MAX_FILE_BYTES)
 *
 * ViT-L's largest tensor is 16 MiB and the reference's checkpoints (model, EMA target, optimizer) are a few GiB.
 */
import { InvalidConfig } from '../../errors.js';

export interface WeightLimits {
  maxTensorBytes: number;
  maxFileBytes: number;
}

export const DEFAULT_WEIGHT_LIMITS: WeightLimits = { maxTensorBytes: 2 * 1024 ** 3, maxFileBytes: 8 * 1024 ** 3 };

function envBytes(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const v = Number(raw);
  if (!Number.isSafeInteger(v) || v < 1) throw new InvalidConfig(`${name}=${raw} must be a positive whole number of bytes`);
  return v;
}

/** The caps in force: explicit options, else the environment, else the defaults. */
export function weightLimits(options: Partial<WeightLimits> = {}, env: NodeJS.ProcessEnv = process.env): WeightLimits {
  return {
    maxTensorBytes: options.maxTensorBytes ?? envBytes(env, 'FSFM_WEIGHTS_MAX_TENSOR_BYTES') ?? DEFAULT_WEIGHT_LIMITS.maxTensorBytes,
    maxFileBytes: options.maxFileBytes ?? envBytes(env, 'FSFM_WEIGHTS_MAX_FILE_BYTES') ?? DEFAULT_WEIGHT_LIMITS.maxFileBytes,
  };
}

const GiB = (n: number) => `${(n / 1024 ** 3).toFixed(2)} GiB`;

/** A running total of the bytes decoded from one file, refused past maxFileBytes (and any one past maxTensorBytes). */
export class DecodeBudget {
  private used = 0;
  constructor(
    readonly limits: WeightLimits,
    private readonly file: string,
  ) {}

  /** Reserves `bytes` for `what` before it is allocated; throws WeightFileTooLarge past a cap. */
  take(bytes: number, what: string): void {
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new WeightFileTooLarge(`${this.file}: ${what} declares an impossible size (${bytes} bytes)`);
    if (bytes > this.limits.maxTensorBytes) {
      throw new WeightFileTooLarge(`${this.file}: ${what} is ${GiB(bytes)}, above the per-tensor cap of ${GiB(this.limits.maxTensorBytes)} (FSFM_WEIGHTS_MAX_TENSOR_BYTES)`);
    }
    if (this.used + bytes > this.limits.maxFileBytes) {
      throw new WeightFileTooLarge(`${this.file}: decoding ${what} would bring the file to ${GiB(this.used + bytes)}, above the per-file cap of ${GiB(this.limits.maxFileBytes)} (FSFM_WEIGHTS_MAX_FILE_BYTES)`);
    }
    this.used += bytes;
  }
}

/** A weight file whose declared sizes exceed the caps or what it holds: not retryable. */
export class WeightFileTooLarge extends InvalidConfig {}
