/**
 * Hands out the optional features (optional-features.ts). From source (tsx, vitest) they are a plain import. The
 * bundle defines PORTCULLIS_EXTENSIONS_FILE (infra/handler-bundle.ts): the import is then dead code, dropped, and the
 * features are read on first use with a `require` of that file, next to the handler, synchronously (they may be
 * needed while the configuration is parsed at cold start).
 */
import * as fromSource from './optional-features';

export type OptionalFeatures = typeof fromSource;

declare const PORTCULLIS_EXTENSIONS_FILE: string | undefined;

let loaded: OptionalFeatures | undefined;

export function optionalFeatures(): OptionalFeatures {
  if (typeof PORTCULLIS_EXTENSIONS_FILE === 'undefined') return fromSource;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (loaded ??= require(PORTCULLIS_EXTENSIONS_FILE) as OptionalFeatures);
}
