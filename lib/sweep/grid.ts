/**
 * A sweep's grid -> its points: one FsfmPipeline input per combination of the axes' values (a cartesian product),
 * seeds outermost so that a bounded window of points starts with different pretraining configs rather than with
 * points that would wait for each other's shared pretraining. Pure: no store, no Temporal.
 */
import { canonicalJson } from '../stage/keys.js';

/** What one axis sets: a value of each point, written at every path (linked paths move together, not crossed). */
export interface SweepAxis {
  name: string;
  paths: string[];
  values: unknown[];
}

/** Named axes of the paper's ablations and where they live in an FsfmPipeline input. */
export const NAMED_AXES = {
  strategy: 'pretrain.config.masking.strategy',
  maskRatio: 'pretrain.config.masking.maskRatio',
  lambdaFr: 'pretrain.config.model.lambdaFr',
  lambdaCl: 'pretrain.config.model.lambdaCl',
} as const;
export type NamedAxis = keyof typeof NAMED_AXES;

/**
 * Where a seed goes. `all`: every random choice of the point (pretraining data order and masks, both models'
 * initialisation, finetuning sampling): each seed pretrains anew. `finetune`: only finetuning's (sampling,
 * augmentation, head initialisation), so the seeds of a point share one pretraining, as the FAS protocol's seeds do.
 */
export const SEED_PATHS = {
  all: ['pretrain.config.seed', 'pretrain.config.model.seed', 'finetune.config.seed', 'finetune.config.model.seed'],
  finetune: ['finetune.config.seed', 'finetune.config.model.seed'],
} as const;
export type SeedScope = keyof typeof SEED_PATHS;

export interface GridSpec {
  strategy?: unknown[];
  maskRatio?: unknown[];
  lambdaFr?: unknown[];
  lambdaCl?: unknown[];
  seeds: number[];
  axes: SweepAxis[];
}

export interface SweepPoint {
  /** Position in the sweep (0-based); also in the child's workflow id. */
  index: number;
  /** Every axis value, seed last: `strategy=random seed=1`. */
  label: string;
  /** The label without the seed: the table row the point's metrics are averaged into. */
  group: string;
  seed: number;
  /** Axis name -> value (named axes, generic axes, seed). */
  values: Record<string, unknown>;
  /** The point's FsfmPipeline input. */
  input: Record<string, unknown>;
}

/** Every axis of a grid (named ones first, in NAMED_AXES order, then the generic ones), without the seed. */
export function gridAxes(grid: GridSpec): SweepAxis[] {
  const named = (Object.keys(NAMED_AXES) as NamedAxis[])
    .filter((k) => grid[k] !== undefined)
    .map((k) => ({ name: k, paths: [NAMED_AXES[k]], values: grid[k] as unknown[] }));
  return [...named, ...grid.axes];
}

/** The point count of a grid without building it. */
export function gridSize(grid: GridSpec): number {
  return gridAxes(grid).reduce((n, a) => n * a.values.length, grid.seeds.length);
}

export function formatValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.length === 1 && typeof v[0] === 'string') return v[0];
  return JSON.stringify(v);
}

/** Expands the grid over `base`: points in order seed (outermost), then the axes in gridAxes order. */
export function expandGrid(base: Record<string, unknown>, grid: GridSpec, seedScope: SeedScope): SweepPoint[] {
  const axes = gridAxes(grid);
  const combos: Array<Array<{ axis: SweepAxis; value: unknown }>> = [[]];
  for (const axis of axes) {
    const next: typeof combos = [];
    for (const c of combos) for (const value of axis.values) next.push([...c, { axis, value }]);
    combos.splice(0, combos.length, ...next);
  }
  const points: SweepPoint[] = [];
  for (const seed of grid.seeds) {
    for (const combo of combos) {
      const input = structuredClone(base);
      const values: Record<string, unknown> = {};
      for (const { axis, value } of combo) {
        values[axis.name] = value;
        for (const p of axis.paths) setPath(input, p, structuredClone(value));
      }
      for (const p of SEED_PATHS[seedScope]) setPath(input, p, seed);
      values.seed = seed;
      const group = combo.map(({ axis, value }) => `${axis.name}=${formatValue(value)}`).join(' ') || 'base';
      points.push({ index: points.length, label: `${group === 'base' ? '' : `${group} `}seed=${seed}`, group, seed, values, input });
    }
  }
  return points;
}

/** Sets `value` at a dotted path (`datasets.test.0.dataset.mcioDomains`); numeric segments index arrays. */
export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node: unknown = target;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    const last = i === parts.length - 1;
    const where = parts.slice(0, i).join('.') || '(input)';
    if (Array.isArray(node)) {
      const k = Number(part);
      if (!/^\d+$/.test(part) || k > node.length) throw new Error(`path ${path}: ${where} is a list of ${node.length}; "${part}" is not an index into it`);
      if (last) node[k] = value;
      else node = node[k] ??= {};
    } else if (node && typeof node === 'object') {
      const obj = node as Record<string, unknown>;
      if (last) obj[part] = value;
      else {
        if (obj[part] === undefined || obj[part] === null) obj[part] = {};
        node = obj[part];
      }
    } else {
      throw new Error(`path ${path}: ${where} is ${JSON.stringify(node)}, not an object`);
    }
  }
}

export function getPath(target: unknown, path: string): unknown {
  let node = target;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** Identical pipeline inputs (two grid values that change nothing) would be the same point twice. */
export function duplicatePoints(points: readonly SweepPoint[]): Array<[SweepPoint, SweepPoint]> {
  const seen = new Map<string, SweepPoint>();
  const dups: Array<[SweepPoint, SweepPoint]> = [];
  for (const p of points) {
    const key = canonicalJson(p.input);
    const first = seen.get(key);
    if (first) dups.push([first, p]);
    else seen.set(key, p);
  }
  return dups;
}
