/**
 * What `npm start` prints about the issuer's user-facing flows and the mutual TLS listener (MTLS_PORT), kept here so
 * the start script only lists the lines.
 */
import type { LocalMode } from './mode';

export function oauthStartLines(local: LocalMode, shown: (path: string) => string): string[] {
  const users = local.devUsers.map((user) => user.sub).join(', ') || 'none';
  const lines = [`Sign-in page at ${local.issuerUrl}/authorize (dev users: ${users}); metadata at ${local.issuerUrl}/.well-known/openid-configuration`];
  if (local.mtls) {
    lines.push(`Mutual TLS gateway at ${local.mtls.url} (client CA ${shown(local.mtls.clientCaFile)}; npm run client-cert -- --out client)`);
  }
  return lines;
}
