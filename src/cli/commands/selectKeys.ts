/** Which configured keys (and version) a `plan` or `rotate` is about, from `--key` and `--version`. */
import type { AppConfig, KeyTarget } from '../../config/appConfig.js';
import { isRotationError } from '../../domain/errors.js';
import { parseKeyId } from '../../domain/keyId.js';
import { CliUsageError } from '../cliUsageError.js';

export interface KeySelection {
  readonly target: KeyTarget;
  /** Undefined: the newest enabled version. */
  readonly version?: string;
}

/**
 * `--key` (versionless, or versioned as a shorthand for `--version`) selects one configured key; without it
 * every configured key. `--version` needs a single key.
 */
export function selectKeys(config: Pick<AppConfig, 'keys'>, opts: { key?: string; version?: string }): KeySelection[] {
  let version = opts.version?.toLowerCase();
  let targets: KeyTarget[];
  if (opts.key !== undefined) {
    let id;
    try {
      id = parseKeyId(opts.key);
    } catch (e) {
      throw new CliUsageError(`--key ${opts.key} is not a Key Vault key URI: ${isRotationError(e) ? e.message : String(e)}`);
    }
    if (id.version !== undefined) {
      if (version !== undefined && version !== id.version) {
        throw new CliUsageError(`--key names version ${id.version} but --version says ${version}`);
      }
      version = id.version;
    }
    const target = config.keys.get(id.versionlessId.toLowerCase());
    if (!target) {
      const known = [...config.keys.values()].map((t) => t.key.versionlessId);
      throw new CliUsageError(
        `key ${id.versionlessId} is not in ROTATION_CONFIG (configured: ${known.length === 0 ? 'none' : known.join(', ')})`,
      );
    }
    targets = [target];
  } else {
    targets = [...config.keys.values()];
    if (version !== undefined && targets.length !== 1) {
      throw new CliUsageError('--version needs --key when more than one key is configured');
    }
  }
  if (version !== undefined && !/^[0-9a-f]{32}$/.test(version)) {
    throw new CliUsageError(`--version ${opts.version ?? version} is not a key version (32 hexadecimal characters)`);
  }
  return targets.map((target) => (version === undefined ? { target } : { target, version }));
}
