import { describe, expect, it } from 'vitest';
import {
  alarmDue,
  describeHandoff,
  handoffState,
  pickupBlocker,
  storedRotation,
  DEFAULT_HANDOFF_WINDOW_MS,
  type HandoffKind,
  type StoredRotation,
  type SyncAgentLiveness,
} from '../../src/domain/handoffState.js';
import { syncRetirement } from '../../src/domain/syncRetirement.js';

const ROTATED = new Date('2026-03-01T03:00:00.000Z');
const at = (minutes: number): Date => new Date(ROTATED.getTime() + minutes * 60_000);
const rotation: StoredRotation = { version: 'v1', rotatedAt: ROTATED };
const agent = (state: string, lastAliveMinutes?: number): SyncAgentLiveness =>
  lastAliveMinutes === undefined ? { state } : { state, lastAliveTime: at(lastAliveMinutes) };

describe('Function: handoffState', () => {
  const cases: [string, StoredRotation | undefined, SyncAgentLiveness, number, HandoffKind][] = [
    ['no secret: nothing to follow', undefined, agent('Online', 0), 5, 'notRotated'],
    ['not alive since the rotation, inside the window', rotation, agent('Offline', 0), 29, 'awaitingPickup'],
    ['never alive at all, inside the window', rotation, agent('NeverConnected'), 1, 'awaitingPickup'],
    ['alive after the rotation', rotation, agent('Online', 4), 5, 'backOnline'],
    ['alive after the rotation, seen late', rotation, agent('Online', 45), 50, 'backOnline'],
    ['alive after the rotation, offline again since', rotation, agent('Offline', 4), 90, 'backOnline'],
    ['alive exactly at the rotation is not back', rotation, agent('Offline', 0), 10, 'awaitingPickup'],
    ['alive within the clock-skew margin after the rotation is not back yet', rotation, agent('Online', 2), 10, 'awaitingPickup'],
    ['alive just past the margin is back', rotation, agent('Online', 2.01), 10, 'backOnline'],
    ['window ends: overdue', rotation, agent('Offline', -10), 30, 'overdue'],
    ['long after: overdue', rotation, agent('Offline', -10), 600, 'overdue'],
    ['Online but last alive before the rotation (stale state): overdue after the window', rotation, agent('Online', -1), 31, 'overdue'],
  ];
  it.each(cases)('%s', (_name, r, a, nowMinutes, expected) => {
    expect(handoffState({ rotation: r, agent: a, now: at(nowMinutes) }).kind).toBe(expected);
  });

  it('uses a configured window', () => {
    expect(handoffState({ rotation, agent: agent('Offline'), now: at(10), windowMs: 5 * 60_000 }).kind).toBe('overdue');
    expect(handoffState({ rotation, agent: agent('Offline'), now: at(4), windowMs: 5 * 60_000 }).kind).toBe('awaitingPickup');
  });

  it('says when the agent came back and when the handoff becomes overdue', () => {
    expect(handoffState({ rotation, agent: agent('Online', 7), now: at(8) })).toEqual({ kind: 'backOnline', rotatedAt: ROTATED, backAt: at(7) });
    expect(handoffState({ rotation, agent: agent('Offline'), now: at(1) })).toEqual({
      kind: 'awaitingPickup',
      rotatedAt: ROTATED,
      overdueAt: new Date(ROTATED.getTime() + DEFAULT_HANDOFF_WINDOW_MS),
    });
  });

  it('raises the alarm once: not when it was raised for this rotation already', () => {
    const overdue = handoffState({ rotation, agent: agent('Offline'), now: at(40) });
    const raised = handoffState({ rotation: { ...rotation, alarmRaisedAt: at(31) }, agent: agent('Offline'), now: at(40) });
    const back = handoffState({ rotation, agent: agent('Online', 35), now: at(40) });

    expect(alarmDue(overdue)).toBe(true);
    expect(alarmDue(raised)).toBe(false);
    expect(raised).toMatchObject({ kind: 'overdue', alarmRaisedAt: at(31) });
    expect(alarmDue(back)).toBe(false);
  });

  it('describes each state in one line', () => {
    expect(describeHandoff({ kind: 'notRotated' })).toBe('not rotated');
    expect(describeHandoff(handoffState({ rotation, agent: agent('Online', 7), now: at(8) }))).toBe('back online at 2026-03-01T03:07:00.000Z');
    expect(describeHandoff(handoffState({ rotation, agent: agent('Offline'), now: at(40) }))).toBe('OVERDUE since 2026-03-01T03:30:00.000Z');
  });

  it('describes a pending handoff with the time it becomes overdue', () => {
    expect(describeHandoff(handoffState({ rotation, agent: agent('Offline'), now: at(1) }))).toBe('awaiting pickup (overdue at 2026-03-01T03:30:00.000Z)');
  });

  it('says of an overdue handoff when its alarm was raised already', () => {
    const raised = handoffState({ rotation: { ...rotation, alarmRaisedAt: at(31) }, agent: agent('Offline'), now: at(40) });

    expect(describeHandoff(raised)).toBe('OVERDUE since 2026-03-01T03:30:00.000Z (alarm raised)');
  });

  it('leaves alarmRaisedAt out of an overdue handoff whose alarm was not raised', () => {
    expect(handoffState({ rotation, agent: agent('Offline'), now: at(40) })).toStrictEqual({
      kind: 'overdue',
      rotatedAt: ROTATED,
      overdueAt: new Date(ROTATED.getTime() + DEFAULT_HANDOFF_WINDOW_MS),
    });
  });
});

describe('Function: storedRotation', () => {
  it('reads rotatedAt and the alarm from the tags, not the update time that a tag update moves', () => {
    const r = storedRotation({
      version: 'abc',
      updatedOn: at(31),
      tags: { rotatedAt: ROTATED.toISOString(), handoffAlarmAt: at(31).toISOString() },
    });
    expect(r).toEqual({ version: 'abc', rotatedAt: ROTATED, alarmRaisedAt: at(31) });
  });

  it('falls back to the update time for a version written by someone else, and is undefined without either', () => {
    expect(storedRotation({ updatedOn: at(5), tags: { rotatedAt: 'not a date' } })).toStrictEqual({ rotatedAt: at(5) });
    expect(storedRotation({ tags: {} })).toBeUndefined();
  });
});

describe('Function: pickupBlocker', () => {
  it('blocks an agent that is not Online', () => {
    expect(pickupBlocker(agent('Offline', -60), rotation)).toBe('the agent is Offline (last alive 2026-03-01T02:00:00.000Z)');
    expect(pickupBlocker(agent('NeverConnected'), undefined)).toBe('the agent is NeverConnected');
  });

  it('blocks an Online agent not alive since the previous rotation (that key was never submitted)', () => {
    expect(pickupBlocker(agent('Online', -5), rotation)).toBe(
      'the key stored at 2026-03-01T03:00:00.000Z was not picked up yet (agent last alive 2026-03-01T02:55:00.000Z)',
    );
    expect(pickupBlocker(agent('Online'), rotation)).toContain('agent last alive never');
  });

  it('blocks an agent last alive within the clock-skew margin of the previous rotation', () => {
    expect(pickupBlocker(agent('Online', 1), rotation)).toContain('was not picked up yet');
  });

  it('lets through an agent alive since the previous rotation, or with no previous rotation', () => {
    expect(pickupBlocker(agent('Online', 5), rotation)).toBeUndefined();
    expect(pickupBlocker(agent('Online', -5), undefined)).toBeUndefined();
  });
});

describe('Function: syncRetirement', () => {
  const cases: [string, string][] = [
    ['2026-12-31T23:59:59.999Z', 'active'],
    ['2027-03-30T23:59:59.999Z', 'active'],
    ['2027-03-31T00:00:00.000Z', 'warning'],
    ['2027-09-30T23:59:59.999Z', 'warning'],
    ['2027-10-01T00:00:00.000Z', 'retired'],
    ['2030-01-01T00:00:00.000Z', 'retired'],
  ];
  it.each(cases)('at %s is %s', (now, phase) => {
    expect(syncRetirement(new Date(now)).phase).toBe(phase);
  });

  it('names the date in the warning and in the refusal', () => {
    const warning = syncRetirement(new Date('2027-04-01T00:00:00Z'));
    const retired = syncRetirement(new Date('2027-10-02T00:00:00Z'));
    expect(warning.phase === 'warning' && warning.message).toContain('30 September 2027');
    expect(retired.phase === 'retired' && retired.message).toMatch(/retired on 30 September 2027: sync-agent keys are no longer rotated/);
  });
});
