/** Options of the tensor backend choice (lib/tensor/backend.ts). */
import { z } from 'zod';

export const tensorOptionsSchema = z
  .object({
    /** `auto`: tfjs-node-gpu, then tfjs-node, then wasm, then cpu. */
    backend: z.enum(['auto', 'tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu']).default('auto'),
  })
  .strict();

export type TensorOptions = z.infer<typeof tensorOptionsSchema>;
