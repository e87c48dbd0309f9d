/**
 * The bundles `npm run build` adds to the package after `tsc` (run by `prepack`, so `npm pack` ships them):
 * - `dist/handler/`: the authorizer handler the construct deploys (`Code.fromAsset`, nothing to build on the
 *   consumer's side);
 * - `dist/cli/portcullis.js`: the `portcullis` bin (its shebang kept from the source), with the AWS SDK clients it
 *   calls bundled in, so installing the construct pulls no runtime dependency and the CLI needs no TypeScript loader.
 *   The local mode's data files are imported (dev-clients.json), so they are inlined too; its store and certificate
 *   libraries (dynalite, selfsigned) stay external: optional peers that `portcullis local` asks for.
 *
 * Usage: `tsx cli/build-package.ts <dist>`.
 */
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { bundleHandler, HANDLER_SOURCE_ENTRY } from '../infra/handler-bundle';
import { LOCAL_MODE_PEERS } from './local-command';

const dist = path.resolve(process.argv[2] ?? 'dist');

bundleHandler(HANDLER_SOURCE_ENTRY, path.join(dist, 'handler'));

buildSync({
  entryPoints: [path.join(__dirname, 'portcullis.ts')],
  outfile: path.join(dist, 'cli', 'portcullis.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  legalComments: 'linked',
  logLevel: 'error',
  // `portcullis local` only: optional peers the consumer installs (dynalite's LevelDB bindings are native code).
  external: Object.keys(LOCAL_MODE_PEERS),
});
