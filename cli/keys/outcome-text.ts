/**
 * The keys CLI's text for what revoke, clients bind and reconcile did, and the warnings about unfinished changes.
 */
import { shortTime } from './format';
import type { IncompleteChange, ReconcileReport, RotatedKey } from './key-model';
import type { KeyManager } from './key-manager';
import type { Target } from './target';

/** One line per interrupted change found and undone (nothing when there was none). */
export function reconcileText(report: ReconcileReport): string {
  return report.entries
    .map(({ intent, outcome, reason }) => {
      const what = `an interrupted ${intent.operation === 'bind' ? 'clients bind' : intent.operation} of ${intent.subject} (started ${shortTime(intent.startedAt)})`;
      switch (outcome) {
        case 'rolled_back':
          return `note: undid ${what}: ${intent.operation === 'rotate' ? 'its previous secret is the current one' : intent.operation === 'create' ? 'its pending record and hidden usage key are deleted' : 'its new hidden usage key is deleted, the binding is unchanged'}\n`;
        case 'committed':
          return `note: ${what} had completed; cleared its intent\n`;
        case 'gone':
          return '';
        case 'failed':
          return `warning: could not undo ${what} yet (${reason}); it cannot authenticate, and the next command retries\n`;
      }
    })
    .join('');
}

export function incompleteText(changes: readonly IncompleteChange[]): string {
  return changes
    .map(
      (change) =>
        `warning: unfinished ${change.operation} of ${change.subject} (started ${shortTime(change.startedAt)}, ` +
        `${change.stale ? 'interrupted: the next write command undoes it' : 'running or interrupted'}) is not a key and cannot authenticate\n`,
    )
    .join('');
}

export function incompleteJson(change: IncompleteChange): Record<string, unknown> {
  return { operation: change.operation, subject: change.subject, startedAt: new Date(change.startedAt * 1000).toISOString().replace('.000Z', 'Z'), stale: change.stale };
}

export function revokeText(result: Awaited<ReturnType<KeyManager['revoke']>>, target: Target): string {
  const lines: string[] = [];
  if (result.alreadyRevoked) {
    lines.push(`Key ${result.keyId} was already revoked${result.revokedAt ? ` (${shortTime(result.revokedAt)})` : ''}: nothing changed in the key table.`);
  } else {
    lines.push(`Revoked key ${result.keyId} (${result.revokedSecrets} secret${result.revokedSecrets === 1 ? '' : 's'}).`);
  }
  if (result.cancelledChanges > 0) {
    lines.push(`Stopped ${result.cancelledChanges} unfinished create or rotation of the key: its new secret never becomes usable.`);
  }
  if (result.usageKey === 'disabled') lines.push(`Its hidden usage key is disabled${target.kind === 'aws' ? ': metered routes refuse it as soon as API Gateway applies the change' : ''}.`);
  if (result.lateCacheFlush?.flushed) {
    lines.push('The key cache has expired and the authorizer cache was flushed again: the key is refused everywhere now.');
  } else if (result.cacheFlush.flushed) {
    lines.push(
      'The stage\'s authorizer cache was flushed. Callers are refused once the authorizer\'s key cache expires (KEY_CACHE_TTL, 30 s by default); ' +
        'a request made before that may be cached by the gateway for its result cache TTL. Use --wait to close that window.',
    );
  } else {
    lines.push(
      target.kind === 'local'
        ? 'Callers are refused within KEY_CACHE_TTL + AUTHORIZER_CACHE_TTL of the local mode.'
        : "Callers are refused within KEY_CACHE_TTL (30 s by default) + the stage's authorizer result cache TTL.",
    );
  }
  return lines.join('\n') + '\n';
}

export function bindText(result: Awaited<ReturnType<KeyManager['bindClient']>>, target: Target): string {
  const who = `client ${result.binding.clientId} of ${result.binding.issuer}`;
  switch (result.outcome) {
    case 'unchanged':
      return `Client ${result.binding.clientId} of ${result.binding.issuer} is already bound to plan ${result.binding.plan}: nothing changed.\n`;
    case 'created':
      return `Bound ${who} to plan ${result.binding.plan}${result.binding.usageKeyId ? ` (hidden usage key ${result.binding.usageKeyId})` : ''}.\n`;
    case 'rebound': {
      const lines = [`Moved ${who} from plan ${result.previous?.plan} to plan ${result.binding.plan}.`];
      if (target.kind === 'aws' && result.previous?.usageKeyId) {
        lines.push(
          `Its previous hidden usage key ${result.previous.usageKeyId} is no longer used once the caches expire; ` +
            `delete it then with: aws apigateway delete-api-key --api-key ${result.previous.usageKeyId}`,
        );
      }
      return lines.join('\n') + '\n';
    }
  }
}

/** After rotate (on stderr: stdout holds the secret): what the flushes did and when the old secret is refused. */
export function rotateFlushText(result: RotatedKey, target: Target): string {
  if (result.lateCacheFlush?.flushed) {
    return 'The grace and the key cache have run out and the authorizer cache was flushed again: the previous secret is refused everywhere now.\n';
  }
  const until = shortTime(result.previousValidUntil);
  if (result.cacheFlush?.flushed) {
    return (
      `The stage's authorizer cache was flushed. The previous secret is refused from ${until} once the authorizer's key cache ` +
      `(KEY_CACHE_TTL, 30 s by default) has expired, plus the gateway's result cache TTL; use --wait to close that window.\n`
    );
  }
  const reason = result.cacheFlush !== undefined && !result.cacheFlush.flushed ? result.cacheFlush.reason : 'no stage to flush';
  return (
    `${target.kind === 'aws' ? 'warning: ' : ''}authorizer cache not flushed (${reason}): the previous secret is refused from ${until} ` +
    `plus KEY_CACHE_TTL and the authorizer result cache TTL.\n`
  );
}
