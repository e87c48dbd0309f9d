import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasRocaFingerprint } from '../../lambda/roca-fingerprint';

describe('hasRocaFingerprint', () => {
  it('flags the ROCA-vulnerable key of the Wycheproof JWK vectors', () => {
    const file = JSON.parse(readFileSync(join(__dirname, '../fixtures/wycheproof/json_web_key_test.json'), 'utf8'));
    const group = file.testGroups.find((g: { tests: { comment: string }[] }) =>
      g.tests.some((t) => t.comment === 'rejectsKeyWithRocaVulnerability'),
    );
    const keys = (group.private.keys ?? [group.private]) as Array<{ kty: string; n?: string }>;
    const flagged = keys.filter((key) => key.kty === 'RSA' && hasRocaFingerprint(Buffer.from(key.n!, 'base64url')));
    expect(flagged).toHaveLength(1);
  });

  it('does not flag freshly generated keys', () => {
    for (let i = 0; i < 5; i++) {
      const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const n = publicKey.export({ format: 'jwk' }).n!;
      expect(hasRocaFingerprint(Buffer.from(n, 'base64url'))).toBe(false);
    }
  });
});
