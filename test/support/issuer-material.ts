/**
 * The local issuer's TLS certificate and signing key, made once per `npm test` run (vitest globalSetup) instead of
 * by every local-mode start in a fresh data folder: 160 ms of RSA key generation and 200 ms of certificate each,
 * about 9 s of CPU over the suite. {@link seedIssuerMaterial} copies them into a test's data folder, where the local
 * mode finds them as it finds them on every start after a user's first. The first start's path (making both) is
 * tested with a data folder left empty (`tempDataDir({ fresh: true })`).
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { loadOrCreateIssuerTls, loadOrCreateSigningKey, localPaths } from '../../local/state';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A data folder holding only the issuer's material (`issuer/`), to copy from. */
    issuerMaterialDir: string;
  }
}

/** vitest globalSetup: makes the material; the returned teardown removes it. */
export default async function setup(project: TestProject): Promise<() => void> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-issuer-material-'));
  const paths = localPaths(dir);
  await loadOrCreateIssuerTls(paths);
  loadOrCreateSigningKey(paths);
  project.provide('issuerMaterialDir', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}

/** Copies the run's issuer material into `dataDir` (from `inject('issuerMaterialDir')`). */
export function seedIssuerMaterial(materialDir: string, dataDir: string): void {
  cpSync(join(materialDir, 'issuer'), join(dataDir, 'issuer'), { recursive: true });
}
