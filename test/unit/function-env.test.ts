import middy from '@middy/core';
import { describe, expect, it } from 'vitest';
import { configFromEnv, ENV, optionalEnv, requiredEnv } from '../../core/function-env.ts';
import { answerRefusals } from '../../core/refusals.ts';
import { InvalidRequest } from '../../core/errors.ts';
import { ConfigError } from '../../core/config.ts';
import { EnvironmentError } from '../../core/function-env.ts';

class Refused extends InvalidRequest {}

describe('a function’s environment, read one way', () => {
  it('names the variable that is missing or malformed', () => {
    expect(() => requiredEnv(ENV.stateBucket, {})).toThrow(
      'environment variable MCP_OPS_STATE_BUCKET is not set (the CDK app sets it on the function)',
    );
    expect(() => requiredEnv(ENV.reportsBucket, { REPORTS_BUCKET: '  ' })).toThrow(
      /REPORTS_BUCKET is not set/,
    );
    expect(optionalEnv(ENV.mailConfigurationSet, {})).toBeUndefined();
    expect(() => configFromEnv({ MCP_OPS_CONFIG: '{nope' })).toThrow(
      /^environment variable MCP_OPS_CONFIG is not JSON/,
    );
    expect(() => configFromEnv({ MCP_OPS_CONFIG: '{"resourcePrefix": 5}' })).toThrow(/MCP_OPS_CONFIG/);
    expect(configFromEnv({}).resourcePrefix).toBe('mcp-ops');
  });
});

describe('refusals at the handler edge', () => {
  const warnings: string[] = [];
  const handler = (fail: Error) =>
    middy(async () => {
      throw fail;
    }).use(answerRefusals({ warn: (m, x) => warnings.push(`${m} ${JSON.stringify(x)}`) }, 'thing request'));

  it('answers a refused request with its reason and logs it as a warning', async () => {
    await expect(handler(new Refused('retentionDays: too small'))({}, {} as never)).resolves.toEqual({
      error: 'retentionDays: too small',
    });
    expect(warnings).toEqual(['thing request refused {"reason":"retentionDays: too small"}']);
  });

  it('lets every other error fail the invocation, a broken deployment included', async () => {
    await expect(handler(new Error('S3 is down'))({}, {} as never)).rejects.toThrow('S3 is down');
    // A bad configuration or environment is the deployment's fault: it must fail (and alarm).
    await expect(handler(new ConfigError('config: bad', []))({}, {} as never)).rejects.toThrow('config: bad');
    await expect(handler(new EnvironmentError('env: unset'))({}, {} as never)).rejects.toThrow('env: unset');
    expect(warnings).toHaveLength(1);
  });
});
