#!/usr/bin/env node
// The `fsfm` bin: runs the CLI's bundle (dist/cli, built by infra/bootstrap.sh) when it matches the sources, else the
// TypeScript sources through tsx's CommonJS hook (cli/launch.cjs). FSFM_CLI_BUILD=required makes a missing or stale
// bundle an error instead (CI and test/integration/cli-installed.test.ts use it to prove the bundle is what runs).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { bundle, stale } = require('./launch.cjs').checkBuild();
if (!bundle && process.env.FSFM_CLI_BUILD === 'required') {
  process.stderr.write(`fsfm: the CLI build is missing or stale (${stale.slice(0, 3).join(', ')}${stale.length > 3 ? ', …' : ''}); run infra/bootstrap.sh\n`);
  process.exit(2);
}
if (!bundle) require('tsx/cjs');
// Call main() explicitly: reached through a symlink (node_modules/.bin/fsfm, npx, a global link), neither
// require.main nor argv[1] names this file, so a guard on them would silently do nothing and exit 0.
require(bundle ?? './main.ts').main(process.argv.slice(2));
