import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { looksLikeSecret, redactSecretLike } from '../../src/domain/redactSecretLike.js';

describe('Function: redactSecretLike', () => {
  it('removes every 8-character fragment of generated keys, in plain and JSON-escaped forms', () => {
    // Deterministic "random" keys in the emulator's shape (uuid:base64(32 bytes):base64(48 bytes)): no flaky runs.
    const bytes = (seed: string, n: number) => createHash('sha512').update(seed).digest().subarray(0, n);
    for (let i = 0; i < 500; i += 1) {
      const uuid = bytes(`u${i}`, 16).toString('hex').replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');
      const key = `${uuid}:${bytes(`a${i}`, 32).toString('base64')}:${bytes(`b${i}`, 48).toString('base64')}`;
      const escaped = JSON.stringify(key).replace(/\+/g, '\\u002b');
      const out = redactSecretLike(`agent key leaked: ${key} and ${escaped} {"key":${JSON.stringify(key)}}`);
      for (const part of key.split(/[:/+=-]/).filter((p) => p.length >= 20)) {
        for (let j = 0; j + 8 <= part.length; j += 4) expect(out, `fragment of part ${part}`).not.toContain(part.slice(j, j + 8));
      }
    }
  });

  it('leaves the identifiers logs are made of alone', () => {
    const line = [
      'Work item dead-lettered: KeyMaterialNotFoundOnRemoteServer',
      '/subscriptions/11111111-2222-4333-8444-555555555555/resourceGroups/rg-test/providers/Microsoft.Sql/servers/sql-primary',
      'https://contoso-tde.vault.azure.net/keys/tde-key/0123456789abcdef0123456789abcdef',
      'contoso-tde_tde-key_0123456789abcdef0123456789abcdef',
      'messageId=84506e595b9baaf17d2d72d6bec0ea4bf1e97863',
      'eventId=61d85946-2ec2-4ab4-ae65-32a7a7fea04b',
      'AzureKeyVaultRsaKeyNotSupported OldGenerationOfAKVKeyBeingUsedError PerDatabaseCMKKeyRotationAttemptedWhileOldThumbprintInUse',
      'SameKeyMaterialNotFoundOnRemoteServer EncryptionProtectorChangeInProgress',
      'syncagent-contoso-sql-weu-contoso-sync-agent',
      '2026-12-04T18:06:32.884Z',
    ].join(' ');

    for (const word of line.split(' ')) expect(redactSecretLike(word)).toBe(word);
  });
});

describe('Function: looksLikeSecret', () => {
  it.each([
    ['20 characters mixing cases and digits', 'aB3dE6gH9jK2mN5pQ8sT', true],
    ['19 such characters (too short)', 'aB3dE6gH9jK2mN5pQ8s', false],
    ['no upper-case letter', 'ab3de6gh9jk2mn5pq8st', false],
    ['no lower-case letter', 'AB3DE6GH9JK2MN5PQ8ST', false],
    ['a resource path', 'providers/Microsoft9Sql/servers', false],
    ['digit-free text changing case every fourth character', 'abCdeFghIjkLmnOpqRstUvwX', true],
    ['digit-free text changing case less often (4 in 26)', 'abcdeFghijKlmnoPqrstUvwxyz', false],
    ['a word start exactly at the 22% line (11 in 50)', `${'abcdE'.repeat(9)}aBcDe`, true],
    ['a word start just under the 22% line (10 in 50)', 'abcdE'.repeat(10), false],
    ['upper-case runs that start no word', 'ABCDefghIJKLmnopQRSTuvwxyz', false],
    ['a "+" instead of a digit', 'abcdefghijklmnop+QRSTUVWXYZ', true],
    ['a "/" instead of a digit', 'abcdefghijklmnopQRST/UVWXYZ', true],
    ['upper-case runs after a lower-case start (2 word starts in 26)', 'abcdEFGHIJklmnoPQRSTUvwxyz', false],
    ['a word start ending the text is not counted past it (4 in 20)', 'AbcdAbcdAbcdAbcdAbcd', false],
    ['word starts after a "z" (5 in 20)', 'abzAbczBdezCfgzDhizE', true],
    ['word starts on a "Z" (5 in 20)', 'abcZabcZabcZabcZabcZ', true],
    ['"=" padding after a lower-case letter starts no word (4 in 22)', 'abcdEabcdEabcdEabcdEa=', false],
  ])('judges %s: %s', (_label, token, expected) => {
    expect(looksLikeSecret(token)).toBe(expected);
  });
});
