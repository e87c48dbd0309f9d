/**
 * What the CLI prints: aligned text for people, one JSON document for scripts. Timestamps are epoch seconds inside,
 * ISO 8601 (UTC) outside. Nothing here ever receives a hash or a usage key value; the secret only reaches
 * {@link issuedKeyText} / {@link issuedKeyJson}.
 */
import type { BindClientResult, IssuedKey, KeySummary, RevokeResult, RotatedKey, SecretSummary } from './key-manager';
import { formatDuration } from './duration';

export function isoTime(seconds: number | undefined): string | undefined {
  return seconds === undefined ? undefined : new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

/** `2025-01-31 14:05Z` (minutes are enough for a table). */
export function shortTime(seconds: number | undefined, none = '-'): string {
  if (seconds === undefined) return none;
  return new Date(seconds * 1000).toISOString().slice(0, 16).replace('T', ' ') + 'Z';
}

function relative(seconds: number, now: number): string {
  const delta = seconds - now;
  const abs = Math.abs(delta);
  const rounded =
    abs >= 86_400 ? Math.round(abs / 86_400) * 86_400 : abs >= 3600 ? Math.round(abs / 3600) * 3600 : abs >= 60 ? Math.round(abs / 60) * 60 : abs;
  return delta >= 0 ? `in ${formatDuration(rounded)}` : `${formatDuration(rounded)} ago`;
}

function when(seconds: number | undefined, now: number, none: string): string {
  return seconds === undefined ? none : `${shortTime(seconds)} (${relative(seconds, now)})`;
}

/** Stored text may hold anything: never let it drive the terminal. */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]/gu, '?');
}

/** A key's metadata as JSON (ISO times; no secret, hash or usage key value exist in a summary). */
export function summaryJson(summary: KeySummary, withSecrets: boolean): Record<string, unknown> {
  const json: Record<string, unknown> = {
    keyId: summary.keyId,
    owner: summary.owner,
    name: summary.name ?? null,
    scopes: summary.scopes,
    plan: summary.plan ?? null,
    status: summary.status,
    createdAt: isoTime(summary.createdAt),
    rotatedAt: isoTime(summary.rotatedAt) ?? null,
    expiresAt: isoTime(summary.expiresAt) ?? null,
    revokedAt: isoTime(summary.revokedAt) ?? null,
    lastUsedAt: isoTime(summary.lastUsedAt) ?? null,
    usageKeyId: summary.usageKeyId ?? null,
  };
  if (withSecrets) {
    json.secrets = summary.secrets.map((secret) => ({
      createdAt: isoTime(secret.createdAt),
      expiresAt: isoTime(secret.expiresAt) ?? null,
      revokedAt: isoTime(secret.revokedAt) ?? null,
      lastUsedAt: isoTime(secret.lastUsedAt) ?? null,
      state: secret.state,
      current: secret.current,
    }));
    json.incomplete = (summary.incomplete ?? []).map((change) => ({
      operation: change.operation,
      startedAt: isoTime(change.startedAt),
      stale: change.stale,
    }));
  }
  return json;
}

export function issuedKeyJson(issued: IssuedKey | RotatedKey): Record<string, unknown> {
  const json: Record<string, unknown> = { keyId: issued.keyId, key: issued.key, ...summaryJson(issued.summary, false) };
  if ('previousValidUntil' in issued) json.previousValidUntil = isoTime(issued.previousValidUntil);
  return json;
}

export function issuedKeyText(issued: IssuedKey | RotatedKey, now: number): string {
  const { summary } = issued;
  const rotated = 'previousValidUntil' in issued;
  const lines = [
    rotated
      ? `Rotated key ${summary.keyId}: new secret below. The previous secret works until ${when(issued.previousValidUntil, now, '')}.`
      : `Created key ${summary.keyId} for ${printable(summary.owner)}${summary.name ? ` ("${printable(summary.name)}")` : ''}.`,
    `  plan ${summary.plan ?? '-'}; scopes ${summary.scopes.join(' ')}; ${summary.expiresAt === undefined ? 'never expires' : `expires ${when(summary.expiresAt, now, '')}`}`,
    '',
    `    ${issued.key}`,
    '',
    'This is the only time this secret is shown: store it now. Only its SHA-256 hash is kept; it cannot be recovered.',
    `Send it as "Authorization: ApiKey <secret>", or as HTTP Basic with user ${summary.keyId} (curl -u ${summary.keyId}:<secret> ...).`,
  ];
  return lines.join('\n') + '\n';
}

/** Left-aligned columns, two spaces apart. */
export function alignedTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

export function keyListText(keys: readonly KeySummary[]): string {
  if (keys.length === 0) return 'No keys found.\n';
  const rows = keys.map((key) => [
    key.keyId,
    printable(key.owner),
    key.name === undefined ? '-' : printable(key.name),
    key.plan ?? '-',
    key.status,
    key.scopes.join(' '),
    shortTime(key.createdAt),
    shortTime(key.expiresAt, 'never'),
    shortTime(key.lastUsedAt, 'never'),
  ]);
  return (
    alignedTable(['KEY ID', 'OWNER', 'NAME', 'PLAN', 'STATUS', 'SCOPES', 'CREATED', 'EXPIRES', 'LAST USED'], rows) +
    `${keys.length} key${keys.length === 1 ? '' : 's'}\n`
  );
}

function secretLine(secret: SecretSummary, now: number): string {
  const parts = [`created ${shortTime(secret.createdAt)}`, secret.current ? 'current' : 'previous', secret.state];
  if (secret.state === 'active' && secret.expiresAt !== undefined) parts.push(`until ${when(secret.expiresAt, now, '')}`);
  if (secret.state === 'expired') parts.push(`since ${shortTime(secret.expiresAt)}`);
  if (secret.state === 'revoked' && secret.revokedAt !== undefined) parts.push(`since ${shortTime(secret.revokedAt)}`);
  parts.push(`last used ${shortTime(secret.lastUsedAt, 'never')}`);
  return `  ${parts.join(', ')}`;
}

export function keyDetailText(summary: KeySummary, now: number): string {
  const rows: Array<[string, string]> = [
    ['Key id', summary.keyId],
    ['Owner', printable(summary.owner)],
    ['Name', summary.name === undefined ? '-' : printable(summary.name)],
    ['Plan', summary.plan ?? '-'],
    ['Scopes', summary.scopes.join(' ')],
    ['Status', summary.status],
    ['Created', when(summary.createdAt, now, '-')],
    ['Rotated', when(summary.rotatedAt, now, 'never')],
    ['Expires', when(summary.expiresAt, now, 'never')],
  ];
  if (summary.revokedAt !== undefined) rows.push(['Revoked', when(summary.revokedAt, now, '-')]);
  rows.push(['Last used', when(summary.lastUsedAt, now, 'never')]);
  rows.push(['Usage key', summary.usageKeyId ?? (summary.plan ? '(local)' : '-')]);
  for (const change of summary.incomplete ?? []) {
    rows.push([
      'Unfinished',
      `${change.operation} started ${shortTime(change.startedAt)} (${change.stale ? 'interrupted: the next write command undoes it' : 'running or interrupted'}); its secret cannot authenticate`,
    ]);
  }
  const width = Math.max(...rows.map(([label]) => label.length));
  return (
    rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n') +
    `\nSecrets (newest first; values are never stored):\n` +
    summary.secrets.map((secret) => secretLine(secret, now)).join('\n') +
    '\n'
  );
}

export function revokeJson(result: RevokeResult): Record<string, unknown> {
  return {
    keyId: result.keyId,
    status: 'revoked',
    alreadyRevoked: result.alreadyRevoked,
    revokedSecrets: result.revokedSecrets,
    cancelledChanges: result.cancelledChanges,
    revokedAt: isoTime(result.revokedAt) ?? null,
    usageKey: result.usageKey,
    cacheFlushed: result.cacheFlush.flushed,
    cacheFlushSkipped: result.cacheFlush.flushed ? null : result.cacheFlush.reason,
    lateCacheFlushed: result.lateCacheFlush === undefined ? null : result.lateCacheFlush.flushed,
  };
}

export function bindJson(result: BindClientResult): Record<string, unknown> {
  return {
    issuer: result.binding.issuer,
    clientId: result.binding.clientId,
    plan: result.binding.plan,
    outcome: result.outcome,
    usageKeyId: result.binding.usageKeyId ?? null,
    createdAt: isoTime(result.binding.createdAt),
    previousPlan: result.previous?.plan ?? null,
    previousUsageKeyId: result.previous?.usageKeyId ?? null,
  };
}
