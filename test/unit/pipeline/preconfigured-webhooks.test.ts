/**
 * Preconfigured webhooks' configuration and expansion (core/pipeline/preconfigured-webhooks.ts),
 * and where the AWS deployment reads them (PRECONFIGURED_WEBHOOKS, the CDK context).
 */
import { describe, expect, it } from 'vitest';
import { expandPreconfiguredWebhooks, parsePreconfiguredWebhooks } from '../../../core/pipeline/preconfigured-webhooks.ts';
import { readEnvironment } from '../../../functions/wiring.ts';
import { validateGennakerStackProps } from '../../../infra/stack.ts';

const HOOK = { type: 'deployHook', label: 'Deploy', url: 'https://deploy.example.com/${parameterValues.env}', method: 'POST', parameters: [{ name: 'env', defaultValue: 'staging' }] };

describe('preconfigured webhooks', () => {
  it('names every problem of a configuration, one line each', () => {
    const parsed = parsePreconfiguredWebhooks({ preconfigured: [HOOK, { ...HOOK }, { type: 'webhook', url: 'x' }, { type: 'noUrl' }, { type: '9bad', url: 'x' }] }, 'webhooks.json');
    expect(parsed).toEqual({
      ok: false,
      problems: [
        "webhooks.json: preconfigured[1].type 'deployHook' is configured twice; give each webhook its own type",
        "webhooks.json: preconfigured[2].type is 'webhook', a stage type of its own; choose another name, e.g. \"webhookCustom\"",
        'webhooks.json: preconfigured[3].url is undefined; give the URL the stage calls, e.g. "https://deploy.example.com/hooks/${parameterValues.env}"',
        'webhooks.json: preconfigured[4].type is "9bad"; give the stage type it defines, a name of letters, digits, \'-\' and \'_\' starting with a letter, e.g. "deployHook"',
      ],
    });
  });

  it('expands a stage: the configured fields win, parameter values and defaults in place, other stages untouched', () => {
    const parsed = parsePreconfiguredWebhooks([HOOK], 'x');
    if (!parsed.ok) throw new Error(parsed.problems.join());
    const { config, issues } = expandPreconfiguredWebhooks(
      { stages: [{ refId: '1', type: 'deployHook', url: 'https://elsewhere', parameterValues: { env: '${trigger.parameters.env}' } }, { refId: '2', type: 'wait', waitTime: 1 }, { refId: '3', type: 'deployHook' }] },
      parsed.webhooks,
    );
    expect(issues).toEqual([]);
    expect(config['stages']).toEqual([
      { refId: '1', type: 'webhook', preconfiguredWebhookType: 'deployHook', url: 'https://deploy.example.com/${trigger.parameters.env}', method: 'POST', parameterValues: { env: '${trigger.parameters.env}' } },
      { refId: '2', type: 'wait', waitTime: 1 },
      { refId: '3', type: 'webhook', preconfiguredWebhookType: 'deployHook', url: 'https://deploy.example.com/staging', method: 'POST' },
    ]);
  });

  it('is read on AWS from PRECONFIGURED_WEBHOOKS, and checked at synthesis', () => {
    const env = { AWS_REGION: 'us-east-1', TABLE_NAME: 't', STAGE_RUNNER_ARN: 'arn:aws:lambda:us-east-1:1:function:s', STATE_MACHINE_ROLE_ARN: 'arn:aws:iam::1:role/r', EVENT_BUS_NAME: 'b' };
    expect(readEnvironment({ ...env, PRECONFIGURED_WEBHOOKS: JSON.stringify([HOOK]) }).preconfiguredWebhooks?.map((hook) => hook.type)).toEqual(['deployHook']);
    expect(() => readEnvironment({ ...env, PRECONFIGURED_WEBHOOKS: '[{"type":"x"}]' })).toThrow('PRECONFIGURED_WEBHOOKS: preconfigured[0].url is undefined');
    expect(() => validateGennakerStackProps({ preconfiguredWebhooks: [{ type: 'x' }] })).toThrow('preconfiguredWebhooks: preconfigured[0].url is undefined');
  });
});
