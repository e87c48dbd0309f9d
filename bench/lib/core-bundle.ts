/**
 * Builds bench/lib/core-entry.ts with the Lambda's bundling options (esbuild, cjs, platform node, target node20,
 * `@aws-sdk/*` external, minified, no keepNames) into bench/results/, and loads it. The measured code is then the
 * code that runs in Lambda, not tsx's on-the-fly transform.
 */
import { buildSync, type BuildOptions } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './child';

export type Core = typeof import('./core-entry');

export const LAMBDA_BUILD_OPTIONS: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['@aws-sdk/*'],
  sourcemap: false,
  logLevel: 'error',
};

/** `minify: false` keeps names readable for the CPU profile; timing uses the minified build. */
export function coreBundlePath(minify: boolean): string {
  return join(REPO_ROOT, 'bench', 'results', `bench-core${minify ? '.min' : ''}.js`);
}

export function loadCore(options: { minify?: boolean } = {}): Core {
  const minify = options.minify ?? true;
  const dir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const outfile = coreBundlePath(minify);
  buildSync({ ...LAMBDA_BUILD_OPTIONS, entryPoints: [join(REPO_ROOT, 'bench', 'lib', 'core-entry.ts')], outfile, minify });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(outfile) as Core;
}
