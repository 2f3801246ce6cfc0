import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/loadConfig.js';

const root = resolve(__dirname, '..', '..');

describe('Configurations shipped with the project', () => {
  it.each([
    ['the deployment default (infra/rotation-config.json)', 'infra/rotation-config.json'],
    ['the demo (packages/local-azure/src/estate/demoRotationConfig.json)', 'packages/local-azure/src/estate/demoRotationConfig.json'],
  ])('loads %s, as a path and inline', (_name, file) => {
    // Prepare
    const path = resolve(root, file);
    const env = { ServiceBusConnection__fullyQualifiedNamespace: 'contoso-rotation.servicebus.windows.net' };

    // Act
    const byPath = loadConfig({ ...env, ROTATION_CONFIG: path });
    const inline = loadConfig({ ...env, ROTATION_CONFIG: readFileSync(path, 'utf8') });

    // Assess
    expect([...byPath.keys.keys()]).toEqual([...inline.keys.keys()]);
    expect(byPath.serviceBus?.queueName).toBe('sql-key-rotation');
  });
});
