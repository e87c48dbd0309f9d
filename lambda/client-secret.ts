/**
 * Reads an OAuth 2.0 client secret from AWS Secrets Manager, at cold start, never from the environment or the
 * template. The secret is a plain string, or JSON with a `client_secret` (or `clientSecret`) field. The SDK is loaded
 * on first use, so functions without an introspecting issuer never pay for it. Failures are faults (500), and their
 * messages never hold the value.
 */
import { DependencyFaultError } from './errors';

export type SecretReader = (secretId: string) => Promise<string>;

/** The client secret in a SecretString: the string itself, or its JSON's `client_secret` / `clientSecret`. */
export function clientSecretFrom(secretString: string): string {
  const trimmed = secretString.trim();
  if (trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new DependencyFaultError('introspection_unavailable', 'Client secret JSON does not parse');
    }
    const record = parsed as Record<string, unknown>;
    const value = record.client_secret ?? record.clientSecret;
    if (typeof value !== 'string' || value === '') {
      throw new DependencyFaultError('introspection_unavailable', 'Client secret JSON has no client_secret string');
    }
    return value;
  }
  if (trimmed === '') throw new DependencyFaultError('introspection_unavailable', 'Client secret is empty');
  return trimmed;
}

/** The production reader: GetSecretValue with the function's role, bounded in time and attempts. */
export const readClientSecretFromSecretsManager: SecretReader = async (secretId) => {
  try {
    const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
    const client = new SecretsManagerClient({ maxAttempts: 3, requestHandler: { requestTimeout: 3000, throwOnRequestTimeout: true } });
    const output = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (typeof output.SecretString !== 'string') {
      throw new DependencyFaultError('introspection_unavailable', 'Client secret has no SecretString');
    }
    return clientSecretFrom(output.SecretString);
  } catch (error) {
    if (error instanceof DependencyFaultError) throw error;
    throw new DependencyFaultError('introspection_unavailable', `Client secret could not be read (${(error as Error)?.name ?? 'error'})`, { cause: error });
  }
};
