export const ROOT: string;
export const DIST: string;
export function sha1(file: string): string;
/** The bundle when it is up to date with the sources under `root`; else the files that differ from its manifest. */
export function checkBuild(root?: string, dist?: string): { bundle?: string; stale: string[] };
