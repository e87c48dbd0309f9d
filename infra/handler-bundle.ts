/**
 * How the authorizer handler is bundled: one definition, used by `npm run build` (the prebuilt handler the package
 * ships, `dist/handler/`) and by the construct inside this repository, where it builds from `lambda/` source.
 *
 * Three files: `index.js`, the handler, loaded at every cold start; `key-table.js`, the key table's features
 * (lambda/key-table-features.ts: API keys, client bindings), which `index.js` requires at cold start when a key table
 * is configured; `extensions.js`, the optional features (lambda/optional-features.ts: provider presets, discovery,
 * introspection), required only when a setting uses them (lambda/split-features-loader.ts).
 */
import * as path from 'node:path';

/** The handler's entry in this repository. */
export const HANDLER_SOURCE_ENTRY = path.resolve(__dirname, '..', 'lambda', 'index.ts');

/** The bundle's file name inside the function's code (`index.handler`). */
export const HANDLER_FILE = 'index.js';

/** The optional features' file, next to {@link HANDLER_FILE}. */
export const EXTENSIONS_FILE = 'extensions.js';

/** The key table's features' file, next to {@link HANDLER_FILE}. */
export const KEY_TABLE_FILE = 'key-table.js';

/** Every file the bundle writes (each with a `.map` beside it). */
export const HANDLER_FILES: readonly string[] = [HANDLER_FILE, KEY_TABLE_FILE, EXTENSIONS_FILE];

/** The entry of the optional features, next to the handler's entry. */
export function extensionsEntry(handlerEntry: string): string {
  return path.join(path.dirname(handlerEntry), 'optional-features.ts');
}

/** The entry of the key table's features, next to the handler's entry. */
export function keyTableEntry(handlerEntry: string): string {
  return path.join(path.dirname(handlerEntry), 'key-table-features.ts');
}

/**
 * What keeps the split features out of the handler's file: the loader's source imports become dead code (and are
 * dropped) once PORTCULLIS_EXTENSIONS_FILE and PORTCULLIS_KEY_TABLE_FILE are defined, and the files it requires
 * instead stay external.
 */
export const SPLIT_BUILD_OPTIONS: Readonly<Record<string, unknown>> = Object.freeze({
  define: {
    PORTCULLIS_EXTENSIONS_FILE: JSON.stringify(`./${EXTENSIONS_FILE}`),
    PORTCULLIS_KEY_TABLE_FILE: JSON.stringify(`./${KEY_TABLE_FILE}`),
  },
  external: ['@aws-sdk/*', `./${EXTENSIONS_FILE}`, `./${KEY_TABLE_FILE}`],
});

interface EsbuildLike {
  buildSync(options: Record<string, unknown>): { errors: unknown[] };
}

/**
 * Bundles the handler with esbuild into `outdir` (a dev dependency: only this repository builds from source): the
 * files of {@link HANDLER_FILES}. Minified CommonJS for Node 22+, with source maps without sources; the AWS SDK v3
 * stays external (the runtimes ship it).
 */
export function bundleHandler(entry: string, outdir: string): void {
  // Required lazily: a consumer of the package never builds from source, so never loads esbuild.
  const esbuild = require('esbuild') as EsbuildLike;
  const common = {
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    logLevel: 'error',
    legalComments: 'none',
    ...SPLIT_BUILD_OPTIONS,
  };
  esbuild.buildSync({ ...common, entryPoints: [entry], outfile: path.join(outdir, HANDLER_FILE) });
  esbuild.buildSync({ ...common, entryPoints: [keyTableEntry(entry)], outfile: path.join(outdir, KEY_TABLE_FILE) });
  esbuild.buildSync({ ...common, entryPoints: [extensionsEntry(entry)], outfile: path.join(outdir, EXTENSIONS_FILE) });
}
