/**
 * Builds bench/lib/core-entry.ts with the Lambda's bundling options (esbuild, cjs, platform node, target node20,
 * `@aws-sdk/*` external, minified, no keepNames) into bench/results/, and loads it. The measured code is then the
 * code that runs in Lambda, not tsx's on-the-fly transform.
 */
import { buildSync, type BuildOptions } from 'esbuild';
import { execFileSync, execSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { EXTENSIONS_FILE, KEY_TABLE_FILE, SPLIT_BUILD_OPTIONS } from '../../infra/handler-bundle';
import { REPO_ROOT } from './child';

export type Core = typeof import('./core-entry');

export const LAMBDA_BUILD_OPTIONS: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: false,
  logLevel: 'error',
  // As the handler's bundle: the optional features and the key table's features in files of their own, required on use.
  ...(SPLIT_BUILD_OPTIONS as Pick<BuildOptions, 'define' | 'external'>),
};

/** Builds the split features' files next to `outfile` (where its bundle requires them), when `lambdaDir` has them. */
export function buildExtensionsNextTo(outfile: string, lambdaDir = join(REPO_ROOT, 'lambda')): void {
  for (const [source, file] of [
    ['optional-features.ts', EXTENSIONS_FILE],
    ['key-table-features.ts', KEY_TABLE_FILE],
  ] as const) {
    const entry = join(lambdaDir, source);
    if (!existsSync(entry)) continue; // a baseline from before the split
    buildSync({ ...LAMBDA_BUILD_OPTIONS, entryPoints: [entry], outfile: join(dirname(outfile), file), minify: true });
  }
}

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
  buildExtensionsNextTo(outfile);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(outfile) as Core;
}

/** What the baseline bundle exports: the handler's wiring as of another commit. */
export type BaselineCore = Pick<Core, 'loadConfig' | 'createAuthorizerHandler' | 'DecisionLog' | 'DynamoDbKeyStore'>;

/**
 * Bundles `lambda/` as of git ref `ref` (extracted under bench/results/, so that node_modules resolve from the
 * repository) with the same options, and loads it: the code before a change, timed in the same process and rounds
 * as the code after it.
 */
export function loadBaselineCore(ref: string): BaselineCore {
  const commit = execFileSync('git', ['rev-parse', '--verify', `${ref}^{commit}`], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  const dir = join(REPO_ROOT, 'bench', 'results', `baseline-${commit.slice(0, 12)}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  execSync(`git archive --format=tar ${commit} lambda | tar -x -C "${dir}"`, { cwd: REPO_ROOT });
  const entry = join(dir, 'entry.ts');
  writeFileSync(
    entry,
    [
      "export { loadConfig } from './lambda/config';",
      "export { createAuthorizerHandler } from './lambda/create-handler';",
      "export { DecisionLog } from './lambda/decision-log';",
      "export { DynamoDbKeyStore } from './lambda/dynamodb-key-store';",
      '',
    ].join('\n'),
  );
  const outfile = join(dir, 'bundle.min.js');
  buildSync({ ...LAMBDA_BUILD_OPTIONS, entryPoints: [entry], outfile, minify: true });
  buildExtensionsNextTo(outfile, join(dir, 'lambda'));
  // Only the bundle is kept: the extracted sources would otherwise be type-checked with the repository's.
  rmSync(join(dir, 'lambda'), { recursive: true, force: true });
  rmSync(entry, { force: true });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(outfile) as BaselineCore;
}
