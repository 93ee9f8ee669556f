/**
 * Collects everything wrong with a dataset folder so that the user gets ONE InvalidDatasetLayout listing all
 * missing parts (and fixes them in one go), not the first failure of many.
 */
import { InvalidDatasetLayout } from '../errors.js';
import type { DatasetRoot } from './paths.js';

// A listing of thousands of missing videos helps nobody; the count says the rest.
const MAX_LISTED = 50;

export class LayoutProblems {
  private readonly missing: string[] = [];
  private readonly invalid: string[] = [];

  constructor(
    private readonly datasetTitle: string,
    private readonly root: DatasetRoot,
    /** The layout the adapter expects, shown with the problems. */
    private readonly expected: string,
  ) {}

  addMissing(what: string): void {
    this.missing.push(what);
  }

  addInvalid(what: string): void {
    this.invalid.push(what);
  }

  /** Records `rel/` as missing unless it is a directory; returns whether it is one. */
  async requireDir(rel: string): Promise<boolean> {
    if (await this.root.isDir(rel)) return true;
    this.addMissing(`${rel}/`);
    return false;
  }

  async requireFile(rel: string): Promise<boolean> {
    if (await this.root.isFile(rel)) return true;
    this.addMissing(rel);
    return false;
  }

  get empty(): boolean {
    return this.missing.length === 0 && this.invalid.length === 0;
  }

  throwIfAny(): void {
    if (this.empty) return;
    const section = (title: string, items: string[]) => {
      if (items.length === 0) return [];
      const shown = items.slice(0, MAX_LISTED).map((m) => `  - ${m}`);
      if (items.length > MAX_LISTED) shown.push(`  ... and ${items.length - MAX_LISTED} more`);
      return [`${title} (${items.length}):`, ...shown];
    };
    throw new InvalidDatasetLayout(
      [
        `${this.datasetTitle} layout under ${this.root.given} is incomplete.`,
        ...section('missing', this.missing),
        ...section('invalid', this.invalid),
        `expected: ${this.expected}`,
      ].join('\n'),
    );
  }
}
