/**
 * How the authorizer handler is bundled: one definition, used by `npm run build` (the prebuilt handler the package
 * ships, `dist/handler/`) and by the construct inside this repository, where it builds from `lambda/` source.
 */
import * as path from 'node:path';

/** The handler's entry in this repository. */
export const HANDLER_SOURCE_ENTRY = path.resolve(__dirname, '..', 'lambda', 'index.ts');

/** The bundle's file name inside the function's code (`index.handler`). */
export const HANDLER_FILE = 'index.js';

interface EsbuildLike {
  buildSync(options: Record<string, unknown>): { errors: unknown[] };
}

/**
 * Bundles the handler with esbuild into `outdir` (a dev dependency: only this repository builds from source). Minified
 * CommonJS for Node 22+, with a source map without sources; the AWS SDK v3 stays external (the runtimes ship it).
 */
export function bundleHandler(entry: string, outdir: string): void {
  // Required lazily: a consumer of the package never builds from source, so never loads esbuild.
  const esbuild = require('esbuild') as EsbuildLike;
  esbuild.buildSync({
    entryPoints: [entry],
    outfile: path.join(outdir, HANDLER_FILE),
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    external: ['@aws-sdk/*'],
    logLevel: 'error',
    legalComments: 'none',
  });
}

