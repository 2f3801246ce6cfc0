import { describe, expect, it } from 'vitest';
import { DEFAULT_QUEUE_NAME, DEFAULT_SYNC_AGENT_SCHEDULE } from '../../../src/config/settings.js';
import { AppSettingMissingError, resolveAppSetting } from '../../../src/local/host/resolveAppSetting.js';

describe('Function: resolveAppSetting', () => {
  it('replaces %NAME% with the setting', () => {
    expect(resolveAppSetting('%SYNC_AGENT_ROTATION_SCHEDULE%', { SYNC_AGENT_ROTATION_SCHEDULE: '0 */5 * * * *' })).toBe('0 */5 * * * *');
  });

  it('falls back to the documented defaults for unset or blank settings', () => {
    expect(resolveAppSetting('%SYNC_AGENT_ROTATION_SCHEDULE%', {})).toBe(DEFAULT_SYNC_AGENT_SCHEDULE);
    expect(resolveAppSetting('%ROTATION_QUEUE_NAME%', { ROTATION_QUEUE_NAME: ' ' })).toBe(DEFAULT_QUEUE_NAME);
  });

  it('leaves a literal value alone', () => {
    expect(resolveAppSetting('0 0 3 * * 0', {})).toBe('0 0 3 * * 0');
  });

  it('throws for a setting with neither value nor default', () => {
    expect(() => resolveAppSetting('%NOPE%', {})).toThrow(AppSettingMissingError);
  });
});
