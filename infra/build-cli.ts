/**
 * Builds the `fsfm` CLI into one CommonJS bundle, dist/cli/main.cjs, so the bin starts without transpiling
 * TypeScript and without resolving zod's hundred files (cli/launch.cjs decides whether the bundle may run).
 *   tsx infra/build-cli.ts          build when missing or stale (infra/bootstrap.sh runs this; quick when fresh)
 * Packages stay external (loaded from node_modules at run time) except zod, which is plain JavaScript and the
 * bulk of `fsfm schema`'s start-up. Lazy `require()`s in cli/main.ts stay lazy in the bundle.
 */
import fs from 'node:fs';
import path from 'node:path';
import { build, type Plugin } from 'esbuild';
import { checkBuild, DIST, ROOT, sha1 } from '../cli/launch.cjs';

const BUNDLED_PACKAGES = ['zod'];
const BUNDLE = 'main.cjs';

/**
 * `__dirname`/`__filename` of each project source as seen from the bundle's folder, so paths a module computes from
 * its own location (infra/paths.ts's repoRoot, lib/faces/dlib.ts's addon) stay right wherever the checkout lives.
 */
function ownLocation(outDir: string): Plugin {
  return {
    name: 'own-location',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
        const rel = (p: string) => JSON.stringify(path.relative(outDir, p));
        const contents = fs
          .readFileSync(args.path, 'utf8')
          .replace(/\b__dirname\b/g, `require('node:path').join(__dirname, ${rel(path.dirname(args.path))})`)
          .replace(/\b__filename\b/g, `require('node:path').join(__dirname, ${rel(args.path)})`);
        return { contents, loader: 'ts' };
      });
    },
  };
}

/** Builds the bundle and its manifest into `dist` from the sources under `root`. */
export async function buildCli(root: string = ROOT, dist: string = DIST): Promise<void> {
  fs.mkdirSync(dist, { recursive: true });
  // The manifest goes first and comes back last: a half-written build is never taken for a fresh one.
  fs.rmSync(path.join(dist, 'manifest.json'), { force: true });
  const tmp = path.join(dist, `${BUNDLE}.tmp-${process.pid}`);
  const result = await build({
    absWorkingDir: root,
    entryPoints: [path.join(root, 'cli', 'main.ts')],
    outfile: tmp,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    metafile: true,
    logLevel: 'warning',
    plugins: [
      ownLocation(dist),
      {
        name: 'externals',
        setup(b) {
          // Bare package imports (not ./ or /) are external unless listed: they resolve in node_modules at run time.
          b.onResolve({ filter: /^[^./]/ }, (args) => {
            const pkg = args.path.startsWith('@') ? args.path.split('/').slice(0, 2).join('/') : args.path.split('/')[0];
            return BUNDLED_PACKAGES.includes(pkg) ? undefined : { path: args.path, external: true };
          });
        },
      },
    ],
  });
  fs.renameSync(tmp, path.join(dist, BUNDLE));
  const sources = Object.keys(result.metafile.inputs).filter((f) => !f.includes('node_modules/'));
  const packageFiles = BUNDLED_PACKAGES.map((p) => `node_modules/${p}/package.json`);
  const inputs = Object.fromEntries(
    [...sources, ...packageFiles, 'infra/build-cli.ts', 'cli/launch.cjs'].sort().map((f) => [f, sha1(path.join(root, f))]),
  );
  const manifest = { bundle: { file: BUNDLE, sha1: sha1(path.join(dist, BUNDLE)) }, inputs };
  fs.writeFileSync(path.join(dist, 'manifest.json.tmp'), `${JSON.stringify(manifest, null, 1)}\n`);
  fs.renameSync(path.join(dist, 'manifest.json.tmp'), path.join(dist, 'manifest.json'));
}

/** Builds unless the bundle is already up to date; says which. */
export async function ensureCliBuilt(root: string = ROOT, dist: string = DIST): Promise<'built' | 'up to date'> {
  if (checkBuild(root, dist).bundle) return 'up to date';
  await buildCli(root, dist);
  const { stale } = checkBuild(root, dist);
  if (stale.length) throw new Error(`the CLI build is stale right after building it: ${stale.join(', ')}`);
  return 'built';
}

if (require.main === module) {
  ensureCliBuilt().then(
    (what) => console.error(`[deps] fsfm CLI bundle (dist/cli): ${what}`),
    (err: unknown) => {
      console.error(`[deps] error: building the fsfm CLI failed: ${(err as Error).message}`);
      process.exit(1);
    },
  );
}
