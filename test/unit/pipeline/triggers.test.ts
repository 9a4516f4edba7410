/**
 * Triggers: supported types parse to typed configs, their regexes and cron expressions are
 * checked (with friendly words for Java-only regex syntax), and Spinnaker trigger types we do
 * not run yet are an error only when enabled.
 */
import { describe, expect, it } from 'vitest';
import { parsePipeline } from '../../../core/pipeline/parse.ts';
import { regexProblem } from '../../../core/pipeline/regex.ts';
import { KNOWN_SPINNAKER_TRIGGER_TYPES, SUPPORTED_TRIGGER_TYPES } from '../../../core/pipeline/triggers/index.ts';
import type { Trigger } from '../../../core/pipeline/triggers/index.ts';
import { issuesOf, pipeline } from './builders.ts';

const SUPPORTED = 'cron, docker, git, manual, pipeline, pubsub, webhook';
const withTriggers = (...triggers: unknown[]) => pipeline([], { triggers });

function parsedTrigger(trigger: Record<string, unknown>): Trigger {
  const { pipeline: parsed, issues } = parsePipeline(withTriggers(trigger));
  if (!parsed || parsed.triggers.length !== 1) throw new Error(`expected one valid trigger: ${JSON.stringify(issues)}`);
  return parsed.triggers[0] as Trigger;
}

describe('the catalog', () => {
  it("lists the supported types and Spinnaker's", () => {
    expect(SUPPORTED_TRIGGER_TYPES.join(', ')).toBe(SUPPORTED);
    expect(KNOWN_SPINNAKER_TRIGGER_TYPES).toEqual(
      expect.arrayContaining(['cron', 'git', 'concourse', 'jenkins', 'docker', 'webhook', 'pubsub', 'dryrun', 'pipeline', 'plugin', 'helm', 'artifactory', 'nexus', 'cdevents', 'manual']),
    );
  });
});

describe('trigger types', () => {
  it('reports an enabled Spinnaker trigger type that is not supported yet as an error', () => {
    expect(issuesOf(withTriggers({ type: 'jenkins', enabled: true, master: 'm', job: 'j' }))).toEqual([
      { pointer: '/triggers/0/type', code: 'trigger-type-unsupported', severity: 'error', message: `trigger type 'jenkins' is not supported yet (on AWS, build with AWS CodeBuild and start this pipeline from the build's notification: a pubsub trigger with pubsubSystem 'amazon' on the SQS queue its SNS topic feeds); disable this trigger or use one of ${SUPPORTED}` },
    ]);
  });

  it('names the AWS alternative of a travis trigger and of none other', () => {
    const messages = (type: string) => issuesOf(withTriggers({ type, enabled: true })).map((found) => found.message);
    expect(messages('travis')).toEqual([`trigger type 'travis' is not supported yet (on AWS, build with AWS CodeBuild and start this pipeline from the build's notification: a pubsub trigger with pubsubSystem 'amazon' on the SQS queue its SNS topic feeds); disable this trigger or use one of ${SUPPORTED}`]);
    expect(messages('concourse')).toEqual([`trigger type 'concourse' is not supported yet; disable this trigger or use one of ${SUPPORTED}`]);
  });

  it('only warns about a disabled one, and keeps the pipeline valid', () => {
    const { pipeline: parsed, issues } = parsePipeline(withTriggers({ type: 'jenkins', enabled: false }));
    expect(issues).toEqual([
      {
        pointer: '/triggers/0/type',
        code: 'trigger-type-unsupported',
        severity: 'warning',
        message: `trigger type 'jenkins' is not supported yet (on AWS, build with AWS CodeBuild and start this pipeline from the build's notification: a pubsub trigger with pubsubSystem 'amazon' on the SQS queue its SNS topic feeds); this trigger is disabled, so it is kept and ignored (supported types: ${SUPPORTED})`,
        value: 'jenkins',
      },
    ]);
    expect(parsed?.triggers).toEqual([]);
    expect(parsed?.raw.triggers).toEqual([{ type: 'jenkins', enabled: false }]);
  });

  it('reports an unknown trigger type with the supported ones', () => {
    expect(issuesOf(withTriggers({ type: 'github' }))).toEqual([
      { pointer: '/triggers/0/type', code: 'trigger-type-unknown', severity: 'error', message: `trigger type 'github' is unknown; supported types: ${SUPPORTED}` },
    ]);
  });

  it.each([
    [{}, { pointer: '/triggers/0/type', code: 'required', message: `'type' is required; add the trigger type, one of ${SUPPORTED}` }],
    [{ type: 3 }, { pointer: '/triggers/0/type', code: 'wrong-type', message: `expected a trigger type (a string), got 3; use one of ${SUPPORTED}` }],
    [{ type: 'manual', enabled: 'yes' }, { pointer: '/triggers/0/enabled', code: 'wrong-type', message: "expected true or false, got 'yes'" }],
  ])('reports a malformed trigger %j', (trigger, expected) => {
    expect(issuesOf(withTriggers(trigger))).toEqual([{ severity: 'error', ...expected }]);
  });

  it('reports a trigger that is not an object', () => {
    expect(issuesOf(withTriggers('cron'))).toEqual([{ pointer: '/triggers/0', code: 'wrong-type', severity: 'error', message: "expected a trigger object, got 'cron'" }]);
  });

  it('defaults enabled to true and keeps the index and raw object', () => {
    const raw = { type: 'manual', user: 'ana' };
    expect(parsedTrigger(raw)).toEqual({ type: 'manual', enabled: true, index: 0, config: { type: 'manual', user: 'ana', parameters: {} }, raw });
  });
});

describe('per-type fields', () => {
  it.each([
    [{ type: 'git', project: 'o', slug: 'r' }, '/triggers/0/source', 'required', "'source' is required; add the git host: one of github, gitlab, bitbucket, stash, codecommit"],
    [{ type: 'git', source: 'svn', project: 'o', slug: 'r' }, '/triggers/0/source', 'invalid-value', "expected one of github, gitlab, bitbucket, stash, codecommit, got 'svn'"],
    [{ type: 'git', source: 'github', slug: 'r' }, '/triggers/0/project', 'required', "'project' is required; add the organization or user, e.g. 'my-org'"],
    [
      { type: 'git', source: 'github', project: 'o', slug: 'r', branch: 'release/(1' },
      '/triggers/0/branch',
      'regex',
      "the branch pattern 'release/(1' is not a valid regular expression (Unterminated group); fix the pattern, e.g. 'main|release-.*'",
    ],
    [{ type: 'docker', account: 'ecr', repository: 'hello', tag: 'v(1' }, '/triggers/0/tag', 'regex', "the tag pattern 'v(1' is not a valid regular expression (Unterminated group); fix the pattern, e.g. 'v\\d+\\.\\d+\\.\\d+'"],
    [{ type: 'cron', cronExpression: '0 0/12 * * *' }, '/triggers/0/cronExpression', 'cron', "cron expression '0 0/12 * * *' has 5 fields; Spinnaker's Quartz form needs 6 or 7 (seconds first), e.g. '0 0 0/12 * * ?'"],
    [{ type: 'cron' }, '/triggers/0/cronExpression', 'required', "'cronExpression' is required; add a cron expression in Spinnaker's Quartz form, e.g. '0 0 12 * * ?'"],
    [{ type: 'pipeline', pipeline: 'abc', status: ['successful'] }, '/triggers/0/application', 'required', "'application' is required; add the application of the upstream pipeline"],
    [{ type: 'pipeline', application: 'a', pipeline: 'abc', status: ['done'] }, '/triggers/0/status/0', 'invalid-value', "expected one of successful, failed, canceled, suspended, got 'done'"],
    [{ type: 'webhook' }, '/triggers/0/source', 'required', "'source' is required; add the webhook source, the last segment of its URL, e.g. 'build-done'"],
    [
      { type: 'webhook', source: 'ci', payloadConstraints: { branch: '[main' } },
      '/triggers/0/payloadConstraints/branch',
      'regex',
      "the payload constraint '[main' is not a valid regular expression (Unterminated character class); fix the pattern, e.g. '^main$'",
    ],
    [{ type: 'webhook', source: 'ci', payloadConstraints: { n: 5 } }, '/triggers/0/payloadConstraints/n', 'wrong-type', 'expected the payload constraint (a string), got 5'],
    [{ type: 'webhook', source: 'ci', payloadConstraints: ['a'] }, '/triggers/0/payloadConstraints', 'wrong-type', 'expected payload constraints (an object of key → regex), got ["a"]'],
  ])('reports %j', (trigger, pointer, code, message) => {
    expect(issuesOf(withTriggers(trigger))).toContainEqual({ pointer, code, severity: 'error', message });
  });

  it.each([
    [{ type: 'docker', account: 'ecr' }, '/triggers/0/repository', "no repository, so this trigger never fires; add the repository to watch, e.g. 'my-org/hello'"],
    [{ type: 'docker', account: 'ecr', repository: 'r', tag: 'latest' }, '/triggers/0/tag', "tag 'latest' only matches 'latest', which is mutable; match versioned tags instead, e.g. 'v\\d+\\.\\d+\\.\\d+'"],
    [{ type: 'pipeline', application: 'a', pipeline: 'p' }, '/triggers/0/status', 'lists no status, so this trigger never fires; add one or more of successful, failed, canceled, suspended'],
    [
      { type: 'cron', id: 'nightly', cronExpression: '30 0 3 * * ?' },
      '/triggers/0/cronExpression',
      "cron expression '30 0 3 * * ?' fires at second 30 of the minute; EventBridge schedules fire on whole minutes, so set the seconds field to 0; until then EventBridge cannot schedule this trigger as written",
    ],
    [
      { type: 'git', source: 'github', project: 'o', slug: 'r', expectedArtifactIds: ['missing'] },
      '/triggers/0/expectedArtifactIds/0',
      "refers to expected artifact 'missing', which is not in expectedArtifacts (known ids: none); add it there or remove the reference",
    ],
  ])('warns about %j', (trigger, pointer, message) => {
    const { pipeline: parsed, issues } = parsePipeline(withTriggers(trigger));
    expect(parsed).toBeDefined();
    expect(issues.map(({ pointer: at, severity, message: text }) => ({ at, severity, text }))).toEqual([{ at: pointer, severity: 'warning', text: message }]);
  });

  it('reads a git trigger', () => {
    expect(parsedTrigger({ type: 'git', source: 'github', project: 'my-org', slug: 'hello', branch: 'main', secret: 's3cret' }).config).toMatchObject({
      source: 'github',
      project: 'my-org',
      slug: 'hello',
      branch: 'main',
      secret: 's3cret',
      events: [],
      expectedArtifactIds: [],
    });
  });

  it("accepts a blank docker tag (any tag but 'latest')", () => {
    expect(parsedTrigger({ type: 'docker', account: 'ecr', registry: '1.dkr.ecr.us-west-2.amazonaws.com', repository: 'hello', tag: '' }).config).toMatchObject({ tag: '' });
  });

  it('parses the cron schedule, hashing H from the trigger id', () => {
    const trigger = parsedTrigger({ type: 'cron', id: 'abc', cronExpression: '0 H 3 * * ?' });
    expect(trigger.type === 'cron' && trigger.config).toMatchObject({ hashKey: 'abc', schedule: { minutes: [7], hours: [3] } });
  });

  it('hashes H from the pipeline and position when the trigger has no id, the same on every parse', () => {
    const input = pipeline([], { id: 'pipe-1', triggers: [{ type: 'cron', cronExpression: '0 H * * * ?' }] });
    const first = parsePipeline(input).pipeline?.triggers[0];
    const second = parsePipeline(input).pipeline?.triggers[0];
    expect(first?.type === 'cron' && first.config.hashKey).toBe('pipe-1#trigger0');
    expect(first).toEqual(second);
  });

  it('reads the EventBridge form too', () => {
    const trigger = parsedTrigger({ type: 'cron', cronExpression: 'cron(0 12 ? * MON-FRI *)' });
    expect(trigger.type === 'cron' && trigger.config.schedule.source).toBe('eventbridge');
  });
});

describe('regexProblem', () => {
  it.each(['main', 'release-.*', '^v\\d+\\.\\d+\\.\\d+$', '', '(?<name>feature)/.+', '[A-Z]{2,}-\\d+', '[\\-x]', 'a{2}'])('accepts %j', (pattern) => {
    expect(regexProblem(pattern)).toBeUndefined();
  });

  it.each([
    ['v(1', 'is not a valid regular expression (Unterminated group); fix the pattern'],
    ['*main', 'is not a valid regular expression (Nothing to repeat); fix the pattern'],
    ['main++', "uses the possessive quantifier '++', which JavaScript does not have; drop the extra '+'"],
    ['\\d*+x', "uses the possessive quantifier '*+', which JavaScript does not have; drop the extra '+'"],
    ['a{2}+', "uses a possessive quantifier '{n}+', which JavaScript does not have; drop the '+'"],
    ['(?>abc)', "uses an atomic group '(?>...)', which JavaScript does not have; write a plain group '(?:...)' instead"],
    ['(?i)main', "uses the inline flags '(?i)', which JavaScript does not support; remove them (for case-insensitive matching write classes such as [Mm]ain)"],
    ['\\p{Alpha}+', 'uses \\p{Alpha}, a Java character class JavaScript does not have; write [A-Za-z] instead'],
    ['\\p{L}+', 'uses \\p{L}, a Java character class JavaScript does not have; write an explicit character class such as [A-Za-z] instead'],
    ['\\Amain\\z', "uses \\A, Java's start of input anchor; write ^ instead"],
    ['\\Qa.b\\E', 'uses \\Q...\\E quoting, which JavaScript does not have; escape each special character with \\ instead'],
    ['main(?=-fix)', 'lookahead and lookbehind ((?=, (?!, (?<=, (?<!) are not supported; trigger patterns run on a linear-time engine, so rewrite the pattern without them'],
    ['(a)\\1', 'backreferences (\\1, \\k<name>) are not supported; trigger patterns run on a linear-time engine, so rewrite the pattern without them'],
  ])('explains %j', (pattern, problem) => {
    expect(regexProblem(pattern)).toBe(problem);
  });
});
