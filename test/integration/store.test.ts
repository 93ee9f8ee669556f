import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { IntegrityError, NotFound } from '../../lib/errors';
import { FileStore, S3Store, SetWriter, listSets, readMember, readSet, verifySet, type ArtifactStore } from '../../lib/store';

const s3 = inject('s3');
const runId = `t${Date.now().toString(36)}${crypto.randomBytes(3).toString('hex')}`;
const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'fsfm-store-'));

const backends: Array<[string, () => ArtifactStore]> = [
  ['file', () => new FileStore(path.join(tmpRoot, 'store'))],
  [
    's3',
    () => {
      // The test process passes credentials through the environment, as a worker would.
      process.env.AWS_ACCESS_KEY_ID = s3.accessKeyId;
      process.env.AWS_SECRET_ACCESS_KEY = s3.secretAccessKey;
      return new S3Store({ bucket: s3.bucket, prefix: `store-suite/${runId}`, endpoint: s3.endpoint, region: s3.region });
    },
  ],
];

afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));

describe.each(backends)('%s store', (_name, make) => {
  const store = make();

  it('round-trips small objects with their sha256 and lists them in key order', async () => {
    const a = await store.put('dir/a.txt', 'hello');
    await store.put('dir/sub/b.bin', Buffer.from([1, 2, 3]));
    await store.put('dirx/c.txt', 'not under dir/');
    expect(a.sha256).toBe(crypto.createHash('sha256').update('hello').digest('hex'));
    expect((await store.get('dir/a.txt')).toString()).toBe('hello');
    expect(await store.stat('dir/sub/b.bin')).toMatchObject({ key: 'dir/sub/b.bin', sizeBytes: 3 });
    expect((await store.list('dir/')).map((o) => o.key)).toEqual(['dir/a.txt', 'dir/sub/b.bin']);
    expect(await store.stat('dir/missing')).toBeNull();
    await expect(store.get('dir/missing')).rejects.toBeInstanceOf(NotFound);
    await store.delete('dir/a.txt');
    expect(await store.stat('dir/a.txt')).toBeNull();
  });

  it('streams a >= 20 MB object up and back with an equal sha256', async () => {
    const size = 21 * 1024 * 1024 + 123;
    const data = crypto.randomBytes(size);
    const expected = crypto.createHash('sha256').update(data).digest('hex');
    // A stream of uneven chunks, so the upload path cannot rely on a known length.
    const chunks = [] as Buffer[];
    for (let off = 0; off < size; off += 777_777) chunks.push(data.subarray(off, Math.min(size, off + 777_777)));
    const info = await store.put('big/blob.bin', Readable.from(chunks));
    expect(info).toEqual({ key: 'big/blob.bin', sizeBytes: size, sha256: expected });
    const back = await store.get('big/blob.bin');
    expect(back.length).toBe(size);
    expect(crypto.createHash('sha256').update(back).digest('hex')).toBe(expected);
    const file = path.join(tmpRoot, `dl-${_name}.bin`);
    await store.download('big/blob.bin', file);
    expect(crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex')).toBe(expected);
  });

  it('rejects a read whose sha256 differs from what the caller expects', async () => {
    await store.put('pin/x', 'v1');
    await expect(store.get('pin/x', { expectSha256: '0'.repeat(64) })).rejects.toBeInstanceOf(IntegrityError);
  });

  it('keeps an uncommitted set invisible and exposes a committed one with verified members', async () => {
    const pending = new SetWriter(store, 'sets/pending');
    await pending.put('weights.bin', crypto.randomBytes(1000));
    expect(await readSet(store, 'sets/pending')).toBeNull();

    const done = new SetWriter(store, 'sets/done');
    await done.put('weights.bin', Buffer.from('w'));
    await done.put('nested/opt.json', '{"step":3}');
    const manifest = await done.commit('checkpoint', { step: 3 });
    expect(manifest.members.map((m) => m.name)).toEqual(['nested/opt.json', 'weights.bin']);

    const read = await readSet<{ step: number }>(store, 'sets/done');
    expect(read?.meta.step).toBe(3);
    expect((await readMember(store, read!, 'nested/opt.json')).toString()).toBe('{"step":3}');
    await verifySet(store, read!);
    expect(await listSets(store, 'sets')).toEqual(['sets/done']);
  });

  it('never leaves an unreadable object when writers race on one key with different bytes', async () => {
    const keys = Array.from({ length: 200 }, (_, i) => `race/${i}.json`);
    const bodies = (k: string) => [`{"writer":"a","key":"${k}"}`, `{"writer":"b","key":"${k}","pad":"${'x'.repeat(200)}"}`];
    // Both writers of every key at once, twice over (a second round overwrites committed objects).
    for (let round = 0; round < 2; round++) await Promise.all(keys.flatMap((k) => bodies(k).map((b) => store.put(k, b))));
    const unreadable: string[] = [];
    for (const k of keys) {
      const got = await store.get(k).then((b) => b.toString(), () => null);
      if (got === null || !bodies(k).includes(got)) unreadable.push(k);
    }
    expect(unreadable).toEqual([]);
    expect((await store.list('race/')).length).toBe(keys.length);
  });

  it('rejects keys that escape or hide', async () => {
    for (const bad of ['../x', '/abs', 'a//b', 'a/./b', '', '.fsfm-meta/x']) await expect(store.put(bad, 'x')).rejects.toThrow(/invalid store key/);
  });
});

describe('file store integrity', () => {
  it('detects bytes changed on disk behind its back', async () => {
    const store = new FileStore(path.join(tmpRoot, 'tamper'));
    await store.put('a/b.bin', Buffer.from('original'));
    fs.writeFileSync(path.join(tmpRoot, 'tamper', 'a', 'b.bin'), 'tampered');
    await expect(store.get('a/b.bin')).rejects.toBeInstanceOf(IntegrityError);
  });
});
