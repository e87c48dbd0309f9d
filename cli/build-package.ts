/**
 * The bundles `npm run build` adds to the package after `tsc` (run by `prepack`, so `npm pack` ships them):
 * - `dist/handler/`: the authorizer handler the construct deploys (`Code.fromAsset`, nothing to build on the
 *   consumer's side);
 * - `dist/cli/portcullis.js`: the `portcullis` bin (its shebang kept from the source), with the AWS SDK clients it calls bundled in, so installing the
 *   construct pulls no runtime dependency and the CLI needs no TypeScript loader.
 *
 * Usage: `tsx cli/build-package.ts <dist>`.
 */
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { bundleHandler, HANDLER_SOURCE_ENTRY } from '../infra/handler-bundle';

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
});
