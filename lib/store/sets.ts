/**
 * Atomic sets of objects: members are written first, then one manifest that lists each member's sha256 and size.
 * Readers look only at the manifest, so a set whose writer died before `commit` is invisible, and a committed set
 * can be verified member by member.
 */
import { IntegrityError, NotFound } from '../errors';
import { joinKey, type ArtifactStore, type Body, type ObjectInfo } from './types';

export const MANIFEST_NAME = '_MANIFEST.json';

export interface SetMember {
  /** Path relative to the set's prefix. */
  name: string;
  sizeBytes: number;
  sha256: string;
}

export interface SetManifest<M = Record<string, unknown>> {
  format: 'fsfm-set/1';
  kind: string;
  prefix: string;
  committedAt: string;
  members: SetMember[];
  meta: M;
}

export class SetWriter {
  private readonly members = new Map<string, SetMember>();
  constructor(readonly store: ArtifactStore, readonly prefix: string) {}

  async put(name: string, body: Body, opts?: { contentType?: string }): Promise<ObjectInfo> {
    if (name === MANIFEST_NAME) throw new TypeError(`${MANIFEST_NAME} is reserved`);
    const info = await this.store.put(joinKey(this.prefix, name), body, opts);
    this.members.set(name, { name, sizeBytes: info.sizeBytes, sha256: info.sha256! });
    return info;
  }

  /** Records an object that already exists under the prefix (e.g. written by another process) as a member. */
  async adopt(name: string): Promise<void> {
    const info = await this.store.stat(joinKey(this.prefix, name));
    if (!info?.sha256) throw new NotFound(`cannot adopt ${name}: no object ${joinKey(this.prefix, name)}`);
    this.members.set(name, { name, sizeBytes: info.sizeBytes, sha256: info.sha256 });
  }

  async commit<M extends Record<string, unknown>>(kind: string, meta: M): Promise<SetManifest<M>> {
    const manifest: SetManifest<M> = {
      format: 'fsfm-set/1',
      kind,
      prefix: this.prefix,
      committedAt: new Date().toISOString(),
      members: [...this.members.values()].sort((a, b) => (a.name < b.name ? -1 : 1)),
      meta,
    };
    await this.store.put(joinKey(this.prefix, MANIFEST_NAME), JSON.stringify(manifest, null, 1), { contentType: 'application/json' });
    return manifest;
  }
}

/** The committed manifest under `prefix`, or null when the set was never committed. */
export async function readSet<M = Record<string, unknown>>(store: ArtifactStore, prefix: string): Promise<SetManifest<M> | null> {
  try {
    const buf = await store.get(joinKey(prefix, MANIFEST_NAME));
    return JSON.parse(buf.toString('utf8')) as SetManifest<M>;
  } catch (err) {
    if (err instanceof NotFound) return null;
    throw err;
  }
}

/** Reads one member of a committed set, verified against the sha256 in the manifest. */
export async function readMember(store: ArtifactStore, manifest: SetManifest<unknown>, name: string): Promise<Buffer> {
  const member = manifest.members.find((m) => m.name === name);
  if (!member) throw new NotFound(`set ${manifest.prefix} has no member ${name}`);
  return store.get(joinKey(manifest.prefix, name), { expectSha256: member.sha256 });
}

/** Prefixes of the committed sets directly or deeply under `parent` (e.g. every checkpoint of a run). */
export async function listSets(store: ArtifactStore, parent: string): Promise<string[]> {
  const base = parent ? `${joinKey(parent)}/` : '';
  const found = await store.list(base);
  return found.filter((o) => o.key.endsWith(`/${MANIFEST_NAME}`)).map((o) => o.key.slice(0, -(MANIFEST_NAME.length + 1)));
}

/** Checks every member of a committed set: present, same size and sha256. */
export async function verifySet(store: ArtifactStore, manifest: SetManifest<unknown>): Promise<void> {
  for (const m of manifest.members) {
    const info = await store.stat(joinKey(manifest.prefix, m.name));
    if (!info) throw new IntegrityError(`set ${manifest.prefix}: member ${m.name} is missing`);
    if (info.sha256 !== m.sha256 || info.sizeBytes !== m.sizeBytes) throw new IntegrityError(`set ${manifest.prefix}: member ${m.name} differs from its manifest`);
  }
}

export interface StoreVerification {
  sets: number;
  members: number;
  bytes: number;
  /** One line per problem: a set whose manifest or member cannot be read, or whose bytes differ from the record. */
  problems: string[];
}

/**
 * Re-reads every member of every committed set under `parent` (the whole store by default) and checks each one's
 * sha256 against its manifest. Problems are collected, not thrown, so one report names them all.
 */
export async function verifyStore(store: ArtifactStore, parent = ''): Promise<StoreVerification> {
  const out: StoreVerification = { sets: 0, members: 0, bytes: 0, problems: [] };
  for (const prefix of await listSets(store, parent)) {
    let manifest: SetManifest<unknown> | null;
    try {
      manifest = await readSet(store, prefix);
    } catch (err) {
      out.problems.push(`${prefix}: manifest unreadable: ${(err as Error).message}`);
      continue;
    }
    if (!manifest) continue;
    out.sets++;
    for (const m of manifest.members) {
      try {
        const buf = await readMember(store, manifest, m.name);
        if (buf.length !== m.sizeBytes) throw new IntegrityError(`read ${buf.length} bytes, manifest says ${m.sizeBytes}`);
        out.members++;
        out.bytes += buf.length;
      } catch (err) {
        out.problems.push(`${prefix}/${m.name}: ${(err as Error).message}`);
      }
    }
  }
  return out;
}
