import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, dailyCron, MANUAL_ON_CALL_LADDER, parseConfig } from '../../core/config.ts';
import { configFromNamedOrDefault, defaultConfigFile, loadConfigFile } from '../../core/config-file.ts';
import { configJsonSchema, configReference } from '../../core/config-schema.ts';

describe('configuration', () => {
  it('defaults to the operations manual’s values', () => {
    const config = parseConfig({});
    expect(config.cluster).toMatchObject({
      namespace: 'mcp-system',
      deployment: 'mcp-semantic-control-plane',
      appSelector: 'app=mcp-semantic',
      backupJobSelector: 'app=mcp-backup',
      metricsPort: 9090,
    });
    expect(config.buckets).toEqual({ artifacts: 'mcp-artifacts', backup: 'mcp-artifacts-backup' });
    expect(config.retention.defaultDays).toBe(90);
    expect(config.schedules).toMatchObject({ morningReport: '09:00', eveningReport: '18:00' });
    expect(config.onCall.tiers.map((t) => [t.name, t.respondWithinMinutes])).toEqual([
      ['primary', 15],
      ['secondary', 30],
      ['team-lead', 60],
      ['engineering-manager', 120],
      ['vp-engineering', 240],
    ]);
    expect(config.onCall.tiers.at(-1)?.severities).toEqual(['P0', 'P1']);
    expect(config.maintenanceWindow).toEqual({
      weekday: 6,
      nthOfMonth: 1,
      startUtc: '02:00',
      endUtc: '06:00',
    });
  });

  it('keeps what is given and fills the rest', () => {
    const config = parseConfig({ schedules: { timeZone: 'Europe/Berlin' }, retention: { defaultDays: 30 } });
    expect(config.schedules.timeZone).toBe('Europe/Berlin');
    expect(config.schedules.morningReport).toBe('09:00');
    expect(config.retention).toMatchObject({ defaultDays: 30, floorDays: 7 });
  });

  it('names every wrong key with what was expected and what came', () => {
    let error: unknown;
    try {
      parseConfig({
        schedules: { timeZone: 'Mars/Olympus_Mons', morningReport: '9am' },
        buckets: { backup: 'Not_A_Bucket' },
        retention: { defaultDays: 3, floorDays: 7 },
        colour: 'blue',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues;
    expect(issues).toContain(
      'config.schedules.timeZone: expected an IANA time zone such as "Europe/London" or "UTC" (got "Mars/Olympus_Mons")',
    );
    expect(issues).toContain('config.schedules.morningReport: expected a 24-hour time "HH:MM" (got "9am")');
    expect(issues).toContain('config.buckets.backup: expected a valid S3 bucket name (got "Not_A_Bucket")');
    expect(
      issues.some((i) =>
        i.startsWith('config.retention.defaultDays: defaultDays must not be below floorDays'),
      ),
    ).toBe(true);
    expect(issues.some((i) => i.includes('colour'))).toBe(true);
  });

  it('refuses duplicate on-call tier names', () => {
    const first = MANUAL_ON_CALL_LADDER[0]!;
    expect(() => parseConfig({ onCall: { tiers: [first, first] } })).toThrow(/tier names must be unique/);
  });

  it('writes daily times as EventBridge cron expressions', () => {
    expect(dailyCron('09:00')).toBe('cron(0 9 * * ? *)');
    expect(dailyCron('18:30')).toBe('cron(30 18 * * ? *)');
  });

  it('refuses a named file that does not exist; only the default file may be absent', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-ops-config-'));
    expect(() => loadConfigFile(join(dir, 'prod.jsn'), { named: true })).toThrow(
      /Configuration file .*prod\.jsn does not exist/,
    );
    expect(() => configFromNamedOrDefault(join(dir, 'nonexistent.json'))).toThrow(ConfigError);
    expect(defaultConfigFile(dir)).toBeUndefined();
    writeFileSync(join(dir, 'mcp-ops.config.yaml'), 'resourcePrefix: team-ops\n');
    expect(defaultConfigFile(dir)).toBe(join(dir, 'mcp-ops.config.yaml'));
    expect(loadConfigFile(defaultConfigFile(dir)).resourcePrefix).toBe('team-ops');
  });

  it('reads YAML and JSON alike, and names a file that is neither', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-ops-config-'));
    const config = {
      schedules: { timeZone: 'Europe/London' },
      retention: { protectedPrefixes: ['releases/'] },
    };
    writeFileSync(join(dir, 'c.json'), JSON.stringify(config));
    writeFileSync(
      join(dir, 'c.yml'),
      '# yaml-language-server: $schema=./config.schema.json\nschedules:\n  timeZone: Europe/London\nretention:\n  protectedPrefixes:\n    - releases/\n',
    );
    expect(loadConfigFile(join(dir, 'c.yml'), { named: true })).toEqual(
      loadConfigFile(join(dir, 'c.json'), { named: true }),
    );
    writeFileSync(join(dir, 'broken.yaml'), 'schedules: [unclosed\n');
    expect(() => loadConfigFile(join(dir, 'broken.yaml'), { named: true })).toThrow(
      /Invalid .*broken\.yaml: not YAML/,
    );
  });

  it('commits the JSON Schema and the reference that the zod schema generates (npm run config:schema)', () => {
    const root = join(import.meta.dirname, '..', '..');
    expect(JSON.parse(readFileSync(join(root, 'config.schema.json'), 'utf8'))).toEqual(configJsonSchema());
    expect(readFileSync(join(root, 'docs', 'configuration.md'), 'utf8')).toBe(configReference());
    // The reference names every key with its default and says what it does where the schema does.
    const reference = configReference();
    expect(reference).toContain('| `retention.floorDays` | integer | `7` |');
    expect(reference).toContain('| `escalation.alertPublishers` |');
    expect(reference).toMatch(/\| `prometheus\.access` \| "service-proxy" \\\| "amp" \\\| "direct" \|/);
  });
});
