/**
 * How every zod schema of the project words an unknown key: our schemas are strict (an unknown key is an error, not a
 * silently ignored option), and a near miss names the key that was probably meant:
 *   prepare: unknown key "framesPerRealvideo" (did you mean "framesPerRealVideo"?)
 * Installed once for the process through zod's global error map; lib/errors imports this module, so every module
 * that validates (and throws InvalidConfig) has it.
 */
import { z } from 'zod';

/** Edit distance (insert, delete, substitute, swap of neighbours), case-insensitive. */
function distance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The known key closest to `key`, if it is close enough to be a typo (≤ 1 edit per 4 characters, at least 1). */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const dk = distance(key, k);
    if (dk < bestD) [best, bestD] = [k, dk];
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(Math.max(key.length, best.length) / 4)) ? best : undefined;
}

/** `unknown key "x" (did you mean "y"?)`, `unknown keys "a", "b" (known: …)`. */
export function unknownKeysMessage(keys: readonly string[], known: readonly string[]): string {
  const parts = keys.map((k) => {
    const near = nearestKey(k, known);
    return near ? `"${k}" (did you mean "${near}"?)` : `"${k}"`;
  });
  const hint = keys.some((k) => nearestKey(k, known)) || known.length === 0 ? '' : `; known: ${known.join(', ')}`;
  return `unknown key${keys.length > 1 ? 's' : ''} ${parts.join(', ')}${hint}`;
}

z.config({
  customError: (iss) => {
    if (iss.code !== 'unrecognized_keys') return undefined;
    const shape = (iss.inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def?.shape;
    return unknownKeysMessage(iss.keys, Object.keys(shape ?? {}));
  },
});
