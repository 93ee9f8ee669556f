/** DFDC preview: dataset.json maps each video path to {label: "real"|"fake", set: "train"|"test"}. */
import type { AdapterContext, DatasetAdapter } from '../adapter.js';
import { LayoutProblems } from '../layout.js';
import type { RowInput } from '../manifest.js';
import { DatasetRoot, mediaKind } from '../paths.js';

const INDEX = 'dataset.json';
const EXPECTED = `${INDEX} mapping video paths to {"label": "real"|"fake", "set": "train"|"test"}, and those videos`;

export const dfdcPreviewAdapter: DatasetAdapter = {
  format: 'dfdc-preview',
  title: 'DFDC preview',
  expected: EXPECTED,
  defaultName: () => 'dfdc-preview',
  detect: (root) => root.isFile(INDEX),
  async read({ root }: AdapterContext): Promise<RowInput[]> {
    const problems = new LayoutProblems('DFDC preview', root, EXPECTED);
    if (!(await problems.requireFile(INDEX))) problems.throwIfAny();
    let index: unknown;
    try {
      index = JSON.parse(await root.readText(INDEX));
    } catch {
      problems.addInvalid(`${INDEX}: not valid JSON`);
      problems.throwIfAny();
    }
    if (typeof index !== 'object' || index === null || Array.isArray(index)) {
      problems.addInvalid(`${INDEX}: must be an object mapping paths to {label, set}`);
      problems.throwIfAny();
    }
    const rows: RowInput[] = [];
    const seen = new Set<string>();
    for (const [listed, entry] of Object.entries(index as Record<string, unknown>)) {
      const path = DatasetRoot.checkListedPath(listed, INDEX);
      const { label, set } = (entry ?? {}) as { label?: unknown; set?: unknown };
      if ((label !== 'real' && label !== 'fake') || (set !== 'train' && set !== 'test')) {
        problems.addInvalid(
          `${INDEX} entry ${JSON.stringify(listed)}: needs label "real"|"fake" and set "train"|"test"`,
        );
        continue;
      }
      if (seen.has(path)) {
        problems.addInvalid(`${INDEX} lists ${path} twice`);
        continue;
      }
      seen.add(path);
      if (mediaKind(path) !== 'video') problems.addInvalid(`${INDEX} entry ${path} is not a video file`);
      else if (!(await root.isFile(path))) problems.addMissing(`${path} (listed in ${INDEX})`);
      else rows.push({ path, kind: 'video', label, split: set });
    }
    problems.throwIfAny();
    return rows;
  },
};
