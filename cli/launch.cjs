// Which code the `fsfm` bin runs: the bundle infra/build-cli.ts wrote to dist/cli (it starts in a fraction of the
// time: nothing to transpile, zod inlined), but only while it was built from the sources as they are now. The
// manifest names every file the bundle was made of (project sources, the package.json of each bundled package, the
// build script) and the bundle itself, each with its SHA-1; any difference (an edit, a checkout, a missing file) and
// the bin runs the sources through tsx instead, so a stale build never runs.
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'dist', 'cli');

function sha1(file) {
  return crypto.createHash('sha1').update(fs.readFileSync(file)).digest('hex');
}

function sha1OrNone(file) {
  try {
    return sha1(file);
  } catch {
    return undefined;
  }
}

/** The bundle when it is up to date with the sources under `root`; else the files that differ from its manifest. */
function checkBuild(root = ROOT, dist = DIST) {
  let manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(dist, 'manifest.json'), 'utf8'));
  } catch {
    return { stale: [path.relative(root, path.join(dist, 'manifest.json'))] };
  }
  const bundle = path.join(dist, manifest.bundle.file);
  const stale = Object.entries(manifest.inputs).filter(([file, hash]) => sha1OrNone(path.join(root, file)) !== hash).map(([file]) => file);
  if (sha1OrNone(bundle) !== manifest.bundle.sha1) stale.push(path.relative(root, bundle));
  return stale.length ? { stale } : { bundle, stale };
}

module.exports = { ROOT, DIST, sha1, checkBuild };
