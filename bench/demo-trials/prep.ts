/**
 * Dumps a prepared finetune set's faces (uint8 RGB at the prepared size) and their labels and videos, per split, for
 * bench/demo-trials/trial.ts:  npx tsx bench/demo-trials/prep.ts STORE_ROOT PREPARED_PREFIX OUT_DIR
 * (STORE_ROOT: a file store such as .artifacts; PREPARED_PREFIX: prepared/<key> of a `make demo` train set).
 */
import { writeFile, mkdir } from 'node:fs/promises';
import { FileStore } from '../../lib/store';
import { PreparedFaceReader } from '../../lib/finetune/data';

async function main() {
  const [root, prefix, out] = process.argv.slice(2);
  const store = new FileStore(root);
  const reader = await PreparedFaceReader.open(store, [prefix], { splits: ['train', 'val', 'test'] });
  await mkdir(out, { recursive: true });
  for (const split of ['train', 'val', 'test']) {
    const refs = reader.refs(split);
    const imgs = await reader.read(refs);
    const size = imgs[0].widthPx;
    const buf = Buffer.alloc(imgs.length * size * size * 3);
    imgs.forEach((im, i) => im.rgb.copy(buf, i * size * size * 3));
    await writeFile(`${out}/${split}.u8`, buf);
    await writeFile(`${out}/${split}.json`, JSON.stringify({ size, faces: refs.map((r) => ({ id: r.faceId, video: r.videoId, label: r.label === 'fake' ? 1 : 0, method: r.method ?? null })) }));
    console.log(split, imgs.length, size);
  }
  await reader.close();
}
main();
