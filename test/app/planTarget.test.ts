import { describe, expect, it } from 'vitest';
import { desiredVersion } from '../../src/app/desiredVersion.js';
import { planTarget, waitingForSecondaries } from '../../src/app/planTarget.js';
import type { EncryptionProtector } from '../../src/app/ports.js';
import type { ResolvedTarget } from '../../src/app/resolveTarget.js';
import { RotationError } from '../../src/domain/errors.js';
import { parseKeyId } from '../../src/domain/keyId.js';
import { KEY, PLAIN, PRIMARY, SECONDARY, V1, V3, keyName, protectorOn, reconcileFixture } from '../support/reconcileFixture.js';

/** A configured logical server, opted in to protector switches unless told otherwise. */
function resolved(fields: Partial<ResolvedTarget> = {}): ResolvedTarget {
  return { kind: 'server', id: PLAIN, source: 'config', switchProtector: true, geoSecondaries: [], ...fields };
}

/** The fixture's vault (V1 < V2 < V3) and its desired version (V3). */
async function planFixture() {
  const f = reconcileFixture();
  const desired = await desiredVersion(f.keys, parseKeyId(KEY), f.clock.now());
  return { ...f, desired };
}

const OTHER_KEY_PROTECTOR: EncryptionProtector = { ...protectorOn(V1), uri: `https://contoso-tde.vault.azure.net/keys/other/${V1}` };

describe('Function: planTarget', () => {
  describe('a protector this target does not switch (switchProtector false)', () => {
    it.each([
      ['a versionless protector', protectorOn(undefined), /follows the newest version/],
      ['an auto-rotation protector', protectorOn(V1, true), /auto-rotation/],
    ])('gives %s the reason it stays, which holds whatever the config says', async (_label, protector, reason) => {
      // Prepare
      const f = await planFixture();
      f.sql.addServer(PLAIN, protector, { [keyName(V3)]: `${KEY}/${V3}` });

      // Act
      const plan = await planTarget(f.deps, resolved({ switchProtector: false }), f.desired);

      // Assess
      expect(plan.protectorNote).toMatch(reason);
      expect(plan.protectorNote).not.toMatch(/switchProtector is false/);
    });

    it.each([
      ['on the desired version', protectorOn(V3)],
      ['on another key', OTHER_KEY_PROTECTOR],
      ['on an older version', protectorOn(V1)],
    ])('says a protector %s is not managed here', async (_label, protector) => {
      // Prepare
      const f = await planFixture();
      f.sql.addServer(PLAIN, protector, { [keyName(V3)]: `${KEY}/${V3}` });

      // Act
      const plan = await planTarget(f.deps, resolved({ switchProtector: false }), f.desired);

      // Assess
      expect(plan.protectorNote).toMatch(/not managed here.*switchProtector is false/);
      expect(plan.actions).toEqual([]);
    });
  });

  it('reads no version from Key Vault for a protector already on the desired version', async () => {
    // Prepare
    const f = await planFixture();
    f.sql.addServer(PLAIN, protectorOn(V3), { [keyName(V3)]: `${KEY}/${V3}` });
    const readsBefore = f.keys.reads;

    // Act
    const plan = await planTarget(f.deps, resolved(), f.desired);

    // Assess
    expect(f.keys.reads).toBe(readsBefore);
    expect(plan.critical).toBeUndefined();
  });

  it('does not wait for geo secondaries when the primary has nothing to do', async () => {
    // Prepare: the secondary lacks the key, and cannot even be read
    const f = await planFixture();
    f.sql.addServer(PRIMARY, protectorOn(V3), { [keyName(V3)]: `${KEY}/${V3}` }).addServer(SECONDARY, protectorOn(V1), {});
    f.sql.readFaults.failAlways(SECONDARY, new RotationError('ServiceUnavailable', 'retriable', 'arm down', { details: { statusCode: 503 } }));

    // Act
    const plan = await planTarget(f.deps, resolved({ id: PRIMARY, geoSecondaries: [SECONDARY] }), f.desired);

    // Assess
    expect(plan.actions).toEqual([]);
    expect(plan.waitingFor).toEqual([]);
  });

  it('waits for a geo secondary that lacks the key when the primary has work', async () => {
    // Prepare
    const f = await planFixture();
    f.sql.addServer(PRIMARY, protectorOn(V1), { [keyName(V1)]: `${KEY}/${V1}` }).addServer(SECONDARY, protectorOn(V1), {});

    // Act
    const plan = await planTarget(f.deps, resolved({ id: PRIMARY, geoSecondaries: [SECONDARY] }), f.desired);

    // Assess
    expect(plan.actions.map((a) => a.action)).toEqual(['addKey', 'switchProtector']);
    expect(plan.waitingFor).toEqual([SECONDARY]);
  });

  it('leaves the note and the critical drift out of a plan that has neither', async () => {
    // Prepare: an older, usable version in place, switched here
    const f = await planFixture();
    f.sql.addServer(PLAIN, protectorOn(V1), { [keyName(V1)]: `${KEY}/${V1}` });

    // Act
    const plan = await planTarget(f.deps, resolved(), f.desired);

    // Assess
    expect(plan.actions.map((a) => a.action)).toEqual(['addKey', 'switchProtector']);
    expect(plan).not.toHaveProperty('protectorNote');
    expect(plan).not.toHaveProperty('critical');
  });
});

describe('Function: waitingForSecondaries', () => {
  it('names the primary, the key and the version it waits to switch to, on the order schedule', async () => {
    // Prepare
    const f = await planFixture();
    f.sql.addServer(PRIMARY, protectorOn(V1), { [keyName(V1)]: `${KEY}/${V1}` }).addServer(SECONDARY, protectorOn(V1), {});
    const plan = await planTarget(f.deps, resolved({ id: PRIMARY, geoSecondaries: [SECONDARY] }), f.desired);

    // Act
    const error = waitingForSecondaries(plan);

    // Assess
    expect(error).toMatchObject({
      code: 'WaitingForGeoSecondary',
      errorClass: 'waitingOnOrder',
      details: { server: PRIMARY, vault: f.desired.key.vaultName, key: f.desired.key.name, version: f.desired.version },
    });
  });
});
