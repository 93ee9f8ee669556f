import crypto from 'node:crypto';

/** JSON with object keys sorted at every level, so equal values give equal text (and equal cache keys). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v as object)
        .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

/** A stage's cache key: sha256 over its name, canonical config, input digests and code version. */
export function stageKey(stage: string, config: unknown, inputDigests: readonly string[], codeVersion: string): string {
  return crypto.createHash('sha256').update(canonicalJson({ stage, config, inputDigests, codeVersion })).digest('hex');
}
