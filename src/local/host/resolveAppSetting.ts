/**
 * App-setting expressions in trigger settings (`%NAME%`), resolved the way the Functions host resolves them:
 * from the app settings (here the environment), with this project's documented defaults.
 */
import { APP_SETTING_DEFAULTS } from '../../config/settings.js';

/** Thrown when an expression names a setting that is neither set nor defaulted. */
export class AppSettingMissingError extends Error {
  constructor(readonly setting: string) {
    super(`app setting ${setting} is not set and has no default`);
    this.name = 'AppSettingMissingError';
  }
}

/**
 * Replaces every `%NAME%` in `expression` with the setting's value (empty values count as unset). Throws
 * {@link AppSettingMissingError} for a setting with neither a value nor a default.
 */
export function resolveAppSetting(
  expression: string,
  env: Readonly<Record<string, string | undefined>>,
  defaults: Readonly<Record<string, string>> = APP_SETTING_DEFAULTS,
): string {
  return expression.replace(/%([^%]+)%/g, (_, name: string) => {
    const v = env[name];
    if (v !== undefined && v.trim() !== '') return v.trim();
    const d = defaults[name];
    if (d === undefined) throw new AppSettingMissingError(name);
    return d;
  });
}
