/**
 * Hands out the parts of the handler the bundle builds into files of their own (infra/handler-bundle.ts), so that a
 * cold start reads and compiles only what its configuration uses:
 * - the optional features (optional-features.ts: provider presets, discovery, introspection) -> `extensions.js`;
 * - the key table's features (key-table-features.ts: API keys, client bindings) -> `key-table.js`.
 * From source (tsx, vitest) they are plain imports. The bundle defines PORTCULLIS_EXTENSIONS_FILE and
 * PORTCULLIS_KEY_TABLE_FILE: the imports are then dead code, dropped, and each file is read on first use with a
 * synchronous `require` next to the handler (they may be needed while the configuration is parsed at cold start).
 */
import * as keyTableFromSource from './key-table-features';
import * as optionalFromSource from './optional-features';

export type OptionalFeatures = typeof optionalFromSource;
export type KeyTableFeaturesModule = typeof keyTableFromSource;

declare const PORTCULLIS_EXTENSIONS_FILE: string | undefined;
declare const PORTCULLIS_KEY_TABLE_FILE: string | undefined;

let optional: OptionalFeatures | undefined;
let keyTable: KeyTableFeaturesModule | undefined;

export function optionalFeatures(): OptionalFeatures {
  if (typeof PORTCULLIS_EXTENSIONS_FILE === 'undefined') return optionalFromSource;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (optional ??= require(PORTCULLIS_EXTENSIONS_FILE) as OptionalFeatures);
}

export function keyTableFeatures(): KeyTableFeaturesModule {
  if (typeof PORTCULLIS_KEY_TABLE_FILE === 'undefined') return keyTableFromSource;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (keyTable ??= require(PORTCULLIS_KEY_TABLE_FILE) as KeyTableFeaturesModule);
}
