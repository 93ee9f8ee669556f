/**
 * Paths inside a dataset root. Everything an adapter reads goes through `DatasetRoot`: paths listed in CSV/JSON/TXT
 * files must be relative, without `..`, and every symlink met while listing or opening must resolve inside the
 * root (realpath). Any escape is an InvalidPath naming the offending path, never a silent skip.
 */
import type { Dirent } from 'node:fs';
import { constants as fsConstants } from 'node:fs';
import { open, readdir, readFile, readlink, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, posix, relative, sep } from 'node:path';
import { InvalidPath } from '../errors.js';

export const VIDEO_EXTENSIONS = new Set([
  '.mp4', '.avi', '.mov', '.mkv', '.webm', '.m4v', '.mpg', '.mpeg', '.flv', '.wmv',
]);
export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff']);

export type MediaKind = 'video' | 'image';

/** 'video' | 'image' by extension (case-insensitive); undefined for anything else. */
export function mediaKind(path: string): MediaKind | undefined {
  const ext = posix.extname(path).toLowerCase();
  if (VIDEO_EXTENSIONS.has(ext)) return 'video';
  if (IMAGE_EXTENSIONS.has(ext)) return 'image';
  return undefined;
}

/** Code-unit order: the same on every machine and locale, unlike localeCompare. */
export function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export class DatasetRoot {
  private constructor(
    /** The root as the user gave it (used in messages). */
    readonly given: string,
    /** realpath of the root: containment is checked against this. */
    readonly real: string,
  ) {}

  static async open(root: string): Promise<DatasetRoot> {
    let real: string;
    try {
      real = await realpath(root);
    } catch (err) {
      throw new InvalidPath(`dataset root not found: ${root}`, { cause: err });
    }
    if (!(await stat(real)).isDirectory()) throw new InvalidPath(`dataset root is not a directory: ${root}`);
    return new DatasetRoot(root, real);
  }

  /**
   * Checks a path taken from a list file (`source` names that file for the message) and returns it normalized
   * (POSIX, no `./`). Rejects absolute paths, `..` segments, backslashes and NUL bytes.
   */
  static checkListedPath(listed: string, source: string): string {
    const bad = (why: string) => new InvalidPath(`${source} lists a path that ${why}: ${JSON.stringify(listed)}`);
    if (typeof listed !== 'string' || listed.trim() === '') throw bad('is empty');
    if (listed.includes('\0')) throw bad('contains a NUL byte');
    if (listed.includes('\\')) throw bad('contains a backslash (use / separators)');
    if (posix.isAbsolute(listed) || /^[A-Za-z]:/.test(listed)) {
      throw bad('is absolute (paths must be relative to the root)');
    }
    if (listed.split('/').includes('..')) throw bad('contains ".." (paths must stay inside the root)');
    return posix.normalize(listed).replace(/^\.\//, '').replace(/\/$/, '');
  }

  /** The root folder's own name, made safe for a dataset name ("my data" → "my_data"). */
  get folderName(): string {
    const base = this.real.split(/[\\/]/).filter(Boolean).pop() ?? '';
    return base.replace(/[^A-Za-z0-9._+-]/g, '_').replace(/^[^A-Za-z0-9]+/, '') || 'dataset';
  }

  private abs(rel: string): string {
    return rel === '' ? this.real : join(this.real, ...rel.split('/'));
  }

  private inside(realTarget: string): boolean {
    const r = relative(this.real, realTarget);
    return r === '' || (!r.startsWith(`..${sep}`) && r !== '..' && !isAbsolute(r));
  }

  /**
   * What is at `rel`: 'file', 'dir' or undefined (missing, or a dangling link). Throws InvalidPath when `rel`
   * (or a symlink on the way) resolves outside the root.
   */
  async kind(rel: string): Promise<'file' | 'dir' | undefined> {
    let target: string;
    try {
      target = await realpath(this.abs(rel));
    } catch {
      return undefined;
    }
    if (!this.inside(target)) throw this.escape(rel, target);
    const info = await stat(target);
    return info.isDirectory() ? 'dir' : info.isFile() ? 'file' : undefined;
  }

  async isDir(rel: string): Promise<boolean> {
    return (await this.kind(rel)) === 'dir';
  }

  async isFile(rel: string): Promise<boolean> {
    return (await this.kind(rel)) === 'file';
  }

  async readText(rel: string): Promise<string> {
    if (!(await this.isFile(rel))) throw new InvalidPath(`not a file: ${rel} (under ${this.given})`);
    return readFile(this.abs(rel), 'utf8');
  }

  /** Names of the subdirectories of `rel` (symlinked ones included when they stay inside), sorted. */
  async childDirs(rel: string): Promise<string[]> {
    const out: string[] = [];
    for (const entry of await this.entries(rel)) {
      const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory() || (entry.isSymbolicLink() && (await this.kind(child)) === 'dir')) out.push(entry.name);
    }
    return out.sort(comparePaths);
  }

  /** Names of the regular files directly in `rel`, sorted. */
  async childFiles(rel: string): Promise<string[]> {
    const out: string[] = [];
    for (const entry of await this.entries(rel)) {
      const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isFile() || (entry.isSymbolicLink() && (await this.kind(child)) === 'file')) out.push(entry.name);
    }
    return out.sort(comparePaths);
  }

  /**
   * All files under `rel` (recursive), as root-relative POSIX paths in sorted order. Symlinks are followed when
   * they resolve inside the root (a directory reached twice through links is listed once, so link cycles end)
   * and rejected with InvalidPath when they resolve outside. Hidden entries (".DS_Store", ".git") are skipped.
   */
  async walkFiles(rel: string, accept: (path: string) => boolean = () => true): Promise<string[]> {
    const out: string[] = [];
    const seen = new Set<string>();
    const visit = async (dir: string): Promise<void> => {
      const realDir = await realpath(this.abs(dir));
      if (seen.has(realDir)) return;
      seen.add(realDir);
      for (const entry of await this.entries(dir)) {
        if (entry.name.startsWith('.')) continue;
        const child = dir === '' ? entry.name : `${dir}/${entry.name}`;
        let kind: 'file' | 'dir' | undefined = entry.isDirectory() ? 'dir' : entry.isFile() ? 'file' : undefined;
        // Only links need realpath: plain entries of a directory inside the root are inside the root.
        if (entry.isSymbolicLink()) kind = await this.kind(child);
        if (kind === 'dir') await visit(child);
        else if (kind === 'file' && accept(child)) out.push(child);
      }
    };
    await visit(rel);
    return out.sort(comparePaths);
  }

  private async entries(rel: string): Promise<Dirent[]> {
    const kind = await this.kind(rel);
    if (kind !== 'dir') return [];
    return readdir(this.abs(rel), { withFileTypes: true });
  }

  private escape(rel: string, target: string): InvalidPath {
    return new InvalidPath(
      `${rel} resolves outside the dataset root ${this.given} (to ${target}); ` +
        'links must stay inside the root: point the root at the real location instead',
    );
  }
}

/** A dataset file held open, proven inside its root at open time. */
export interface ContainedFile {
  /**
   * `/proc/<pid>/fd/<n>`: opening it (here or in an ffmpeg child) reopens exactly the file that was checked, whatever
   * has been swapped in at its path since.
   */
  readonly path: string;
  close(): Promise<void>;
}

/**
 * Opens `rel` under `root` for reading and checks containment on the opened descriptor, not on the path: the real
 * path of what was opened (the kernel's /proc/self/fd link) must lie inside the root's real path. Planning checked
 * the path once; a file swapped for a symlink to /etc/shadow after that is refused here (InvalidPath), with no race
 * between check and use. Linux only (as the workers). Not a regular file (a FIFO, a device) is refused too.
 */
export async function openInsideRoot(root: string, rel: string): Promise<ContainedFile> {
  const listed = DatasetRoot.checkListedPath(rel, 'manifest row');
  let rootReal: string;
  try {
    rootReal = await realpath(root);
  } catch (err) {
    throw new InvalidPath(`dataset root not found: ${root}`, { cause: err });
  }
  let handle;
  try {
    // O_NONBLOCK: opening a FIFO put in a file's place must not hang the worker (no effect on regular files).
    handle = await open(join(rootReal, ...listed.split('/')), fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  } catch (err) {
    throw new InvalidPath(`cannot open ${listed} under ${root} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
  try {
    const fdPath = `/proc/self/fd/${handle.fd}`;
    const target = await readlink(fdPath);
    const r = relative(rootReal, target);
    if (r === '' || r === '..' || r.startsWith(`..${sep}`) || isAbsolute(r)) {
      throw new InvalidPath(`${listed} resolves outside the dataset root ${root} (to ${target}) when opened; refusing to read it`);
    }
    if (!(await handle.stat()).isFile()) throw new InvalidPath(`${listed} under ${root} is not a regular file`);
    const h = handle;
    return { path: `/proc/${process.pid}/fd/${handle.fd}`, close: () => h.close() };
  } catch (err) {
    await handle.close();
    throw err;
  }
}
