/**
 * The `pubsub` trigger: Spinnaker's fields parse to a typed config, bad ones are refused with the
 * field, the value and the fix, and a subscription Gennaker cannot hear (Google Pub/Sub, Kafka) is
 * a warning at save, not an error: the pipeline saves and can be started as that trigger by hand.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePipeline } from '../../../core/pipeline/parse.ts';
import { parseTrigger } from '../../../core/pipeline/triggers/index.ts';
import { CONFORMANCE_CORPUS } from '../../support/conformance.ts';
import { issuesOf, pipeline } from './builders.ts';

const withTriggers = (...triggers: unknown[]) => pipeline([], { triggers });

describe('the pubsub trigger', () => {
  it("parses Spinnaker's fields, with defaults for the constraints and expected artifacts", () => {
    const raw = { type: 'pubsub', pubsubSystem: 'amazon', subscriptionName: 'builds', attributeConstraints: { eventType: '^PUSH$' } };
    const { pipeline: parsed, issues } = parsePipeline(withTriggers(raw));
    expect(issues).toEqual([]);
    expect(parsed?.triggers[0]).toMatchObject({
      type: 'pubsub',
      enabled: true,
      config: { pubsubSystem: 'amazon', subscriptionName: 'builds', attributeConstraints: { eventType: '^PUSH$' }, payloadConstraints: {}, expectedArtifactIds: [] },
    });
  });

  it('warns, without refusing, that a google subscription never fires here and says how to start it', () => {
    const { pipeline: parsed, issues } = parsePipeline(withTriggers({ type: 'pubsub', pubsubSystem: 'google', subscriptionName: 'gcs' }));
    expect(parsed?.triggers).toHaveLength(1);
    expect(issues).toEqual([
      {
        pointer: '/triggers/0/pubsubSystem',
        code: 'trigger-type-unsupported',
        severity: 'warning',
        value: 'google',
        message: expect.stringMatching(/^pubsubSystem 'google': Gennaker has no Google Cloud Pub\/Sub subscriber, so this trigger never fires on its own; start the pipeline as this trigger with 'gennaker run <file> --trigger-type pubsub --artifact <json>'/),
      },
    ]);
  });

  it.each([
    [{ type: 'pubsub', subscriptionName: 's' }, '/triggers/0/pubsubSystem', 'required', "'pubsubSystem' is required; add the pub/sub system: one of google, amazon, kafka"],
    [{ type: 'pubsub', pubsubSystem: 'azure', subscriptionName: 's' }, '/triggers/0/pubsubSystem', 'invalid-value', "expected one of google, amazon, kafka, got 'azure'"],
    [{ type: 'pubsub', pubsubSystem: 'amazon' }, '/triggers/0/subscriptionName', 'required', "'subscriptionName' is required; add the subscription's name, e.g. 'gcs-manifests'"],
    [
      { type: 'pubsub', pubsubSystem: 'amazon', subscriptionName: 's', attributeConstraints: { eventType: '(OBJECT' } },
      '/triggers/0/attributeConstraints/eventType',
      'regex',
      "the attribute constraint '(OBJECT' is not a valid regular expression (Unterminated group); fix the pattern, e.g. '^OBJECT_FINALIZE$'",
    ],
    [{ type: 'pubsub', pubsubSystem: 'amazon', subscriptionName: 's', payloadConstraints: ['x'] }, '/triggers/0/payloadConstraints', 'wrong-type', 'expected payload constraints (an object of key → regex), got ["x"]'],
  ])('refuses %j', (trigger, pointer, code, message) => {
    expect(issuesOf(withTriggers(trigger))).toContainEqual({ pointer, code, severity: 'error', message });
  });

  it('reads both triggers of the deploy-to-staging conformance pipeline, each with its expected artifacts', () => {
    const document = JSON.parse(readFileSync(join(CONFORMANCE_CORPUS, 'spinnaker_spinnaker_deploy-to-staging-pipeline.json'), 'utf8'));
    const parsed = (document.triggers as unknown[]).map((raw, index) => parseTrigger(raw, index, `/triggers/${index}`, { fallbackHashKey: 'x' }));
    expect(parsed.flatMap((result) => result.issues).map((issue) => `${issue.severity} ${issue.pointer}`)).toEqual(['warning /triggers/0/pubsubSystem', 'warning /triggers/1/pubsubSystem']);
    expect(parsed.map((result) => result.trigger?.type === 'pubsub' && result.trigger.config.expectedArtifactIds)).toEqual([
      ['manifest-artifact', '914df03c-6716-4afc-b25f-d4253885781a'],
      ['0ec6f2cc-1dd6-40b1-a6ce-a0c9ab47f13a', '773205b3-f98f-4314-8acf-4041af7ad32f'],
    ]);
  });
});
