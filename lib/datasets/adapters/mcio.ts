/**
 * MCIO face anti-spoofing (MSU-MFSD, CASIA-FASD, Idiap Replay-Attack, OULU-NPU, CelebA-Spoof), as the reference's
 * preprocessing leaves it: <domain>/{train,test}/{real,fake}/<video>_frame{0,1}.png, or <domain>/{real,fake}/…
 * for a training-only domain (CelebA-Spoof). `domain` = the domain folder (leave-one-domain-out); group = the
 * video the frames come from. Domain folder names are free (msu, casia, replay, oulu, celeb, …).
 */
import { posix } from 'node:path';
import type { AdapterContext, DatasetAdapter } from '../adapter.js';
import { LayoutProblems } from '../layout.js';
import type { RowInput } from '../manifest.js';
import type { Split } from '../options.js';
import { mediaKind, type DatasetRoot } from '../paths.js';

const SPLITS: Split[] = ['train', 'val', 'test'];
const EXPECTED = '<domain>/{train,test}/{real,fake}/<video>_frame<k>.png for each domain (or <domain>/{real,fake}/)';

/** The split folders of a domain, or [''] when real/ and fake/ sit directly in it; [] when it is no domain. */
async function domainSplits(root: DatasetRoot, domain: string): Promise<string[]> {
  const splits: string[] = [];
  for (const split of SPLITS) if (await root.isDir(`${domain}/${split}`)) splits.push(split);
  if (splits.length) return splits;
  return (await root.isDir(`${domain}/real`)) || (await root.isDir(`${domain}/fake`)) ? [''] : [];
}

export const mcioAdapter: DatasetAdapter = {
  format: 'mcio',
  title: 'MCIO (face anti-spoofing)',
  expected: EXPECTED,
  defaultName: () => 'mcio',
  async detect(root) {
    for (const domain of await root.childDirs('')) {
      for (const split of await domainSplits(root, domain)) {
        const base = split ? `${domain}/${split}` : domain;
        if ((await root.isDir(`${base}/real`)) || (await root.isDir(`${base}/fake`))) return true;
      }
    }
    return false;
  },
  async read({ root, options }: AdapterContext): Promise<RowInput[]> {
    const problems = new LayoutProblems('MCIO', root, EXPECTED);
    const domains = options.mcioDomains ? [...options.mcioDomains] : [];
    if (options.mcioDomains) {
      for (const d of domains) await problems.requireDir(d);
    } else {
      for (const d of await root.childDirs('')) if ((await domainSplits(root, d)).length) domains.push(d);
      if (domains.length === 0) problems.addMissing('a domain folder with train/ or test/ holding real/ and fake/');
    }
    const parts: { dir: string; domain: string; split: Split; label: 'real' | 'fake' }[] = [];
    for (const domain of domains) {
      if (!(await root.isDir(domain))) continue;
      const splits = await domainSplits(root, domain);
      if (splits.length === 0) problems.addMissing(`${domain}/train/ or ${domain}/test/`);
      for (const split of splits) {
        for (const label of ['real', 'fake'] as const) {
          const dir = split ? `${domain}/${split}/${label}` : `${domain}/${label}`;
          if (await problems.requireDir(dir)) parts.push({ dir, domain, split: (split || 'train') as Split, label });
        }
      }
    }
    problems.throwIfAny();
    const rows: RowInput[] = [];
    for (const { dir, domain, split, label } of parts) {
      for (const path of await root.walkFiles(dir, (p) => mediaKind(p) === 'image')) {
        const video = posix.basename(path, posix.extname(path)).replace(/_frame\d+$/, '');
        rows.push({ path, kind: 'image', label, split, domain, group: `${posix.dirname(path)}/${video}` });
      }
    }
    return rows;
  },
};
