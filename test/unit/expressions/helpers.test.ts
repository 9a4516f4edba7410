/**
 * The helper functions of Spinnaker §1.9 and the tiny allowlist of Java types: what each
 * returns on the fixture execution, and the message when it cannot answer.
 */
import { describe, expect, it } from 'vitest';
import { evaluateExpression, type EvaluationContext } from '../../../core/expressions/index.ts';
import { createContext, execution, stage } from '../../fixtures/expressions/context.ts';

const ctx = createContext();

function valueOf(expression: string, context: EvaluationContext = ctx): unknown {
  const result = evaluateExpression(expression, context);
  if (!result.ok) throw new Error(`${expression}: ${result.message}`);
  return result.value;
}

function failureOf(expression: string, context: EvaluationContext = ctx): string {
  const result = evaluateExpression(expression, context);
  if (result.ok) throw new Error(`${expression} evaluated to ${JSON.stringify(result.value)}`);
  return result.message;
}

describe('stage helpers', () => {
  it.each([
    ["#stage('Canary Analysis').status", 'SUCCEEDED'],
    ["#stage('Canary Analysis')['status'].toString() == 'SUCCEEDED'", true],
    ["#stage('Canary Analysis').status == 'SUCCEEDED'", true],
    ["#stage('Canary Analysis at 40%')['status'].toString() != 'SUCCEEDED'", true],
    ["#stage('Canary Analysis').context.canaryScore", 97.5],
    ["#stage('Clone Server Group')['context']['source']['serverGroupName']", 'hello-prod-v041'],
    ["#stageByRefId('4').name", 'Manual Judgment'],
    ["#stageByRefId(4).name", 'Manual Judgment'],
    ["#stageExists('Canary Analysis')", true],
    ["#stageExists('s-judge')", true],
    ["#stageExists('Nope')", false],
    ['#currentStage().name', 'Promote'],
    ['#currentStage().status', 'RUNNING'],
    ["#judgment('Manual Judgment')", 'Rollout'],
    ["#judgement('Manual Judgment')", 'Rollout'],
    ["#judgment('Manual Judgment') == 'Rollout' ? 'prod' : 'staging'", 'prod'],
  ])('%s = %j', (expression, expected) => {
    expect(valueOf(expression)).toEqual(expected);
  });

  it.each([
    ["#stage('Nope')", "#stage('Nope'): no stage named 'Nope' in this execution; stages: 'Deploy Canary', 'Canary Analysis'"],
    ["#stageByRefId('99')", "#stageByRefId('99'): no stage with refId '99' in this execution"],
    ["#judgment('manual judgment')", "#judgment('manual judgment'): no manual judgment stage named 'manual judgment' with a judgment input in this execution"],
    ["#judgment('Canary Analysis')", 'no manual judgment stage'],
  ])('fails %s', (expression, message) => {
    expect(failureOf(expression)).toContain(message);
  });

  it('fails the stage helpers without an execution', () => {
    expect(failureOf("#stage('x')", createContext({ execution: undefined }))).toBe('#stage() needs the execution, and this evaluation has none');
  });

  it('fails #currentStage() outside a stage', () => {
    expect(failureOf('#currentStage()', createContext({ currentStageId: undefined }))).toBe('#currentStage(): this evaluation is not running inside a stage');
  });

  it('skips a judgment stage that has no input yet', () => {
    // given
    const pending = { ...execution, stages: [stage({ name: 'Approve', type: 'manualJudgment', context: {} })] };
    // then
    expect(failureOf("#judgment('Approve')", createContext({ execution: pending }))).toContain('no manual judgment stage');
  });
});

describe('#deployedServerGroups', () => {
  it.each([
    ["#deployedServerGroups('Deploy Canary')", [{ account: 'prod', region: 'us-east-1', serverGroup: 'hello-canary-v003' }]],
    ["#deployedServerGroups('Deploy Lambda')", [{ account: 'prod', region: 'eu-west-1', serverGroup: 'hello-fn-v007' }]],
    ["#deployedServerGroups('s-lambda')[0].serverGroup", 'hello-fn-v007'],
    ['#deployedServerGroups().size()', 2],
    ["#deployedServerGroups('Canary Analysis')", []],
  ])('%s = %j', (expression, expected) => {
    expect(valueOf(expression)).toEqual(expected);
  });
});

describe('conversion helpers', () => {
  it.each([
    ["#toInt('42')", 42],
    ["#toInt('-7') + 1", -6],
    ['#toInt(parameters.count) * 2', 6],
    ['#toInt(5)', 5],
    ["#toFloat('2.5')", 2.5],
    ["#toFloat(parameters.successRate) / 100", 0.95],
    ["#toFloat(' 1e2 ')", 100],
    ["#toBoolean('true')", true],
    ["#toBoolean('TRUE')", true],
    ["#toBoolean('yes')", false],
    ['#toBoolean(null)', false],
    ['#toBoolean(parameters.enabled)', true],
    ["#toBase64('hello: world')", 'aGVsbG86IHdvcmxk'],
    ["#toBase64('héllo ✓')", 'aMOpbGxvIOKckw=='],
    ["#fromBase64('aGVsbG86IHdvcmxk')", 'hello: world'],
    ["#fromBase64('aMOpbGxvIOKckw==')", 'héllo ✓'],
    ["#fromBase64('YQ')", 'a'],
    ["#fromBase64(#toBase64('round trip'))", 'round trip'],
    ["#alphanumerical('feature/LOGIN-42_x')", 'featureLOGIN42x'],
    ["#alphanumerical(scmInfo.branch)", 'featurelogin'],
  ])('%s = %j', (expression, expected) => {
    expect(valueOf(expression)).toEqual(expected);
  });

  it('makes #toFloat a double, so it prints like Java', () => {
    expect(valueOf("'' + #toFloat('3')")).toBe('3.0');
  });

  it.each([
    ["#toInt('4.5')", "#toInt('4.5'): not an integer"],
    ["#toInt(' 4')", "#toInt(' 4'): not an integer"],
    ["#toInt('9999999999')", "#toInt('9999999999'): not an integer"],
    ['#toInt(null)', '#toInt() needs text, got null'],
    ["#toFloat('abc')", "#toFloat('abc'): not a number"],
    ["#fromBase64('a b')", '#fromBase64(): the text is not Base64: illegal character " " at index 1'],
    ["#fromBase64('Y')", '#fromBase64(): the text is not Base64: the last unit has too few characters'],
  ])('fails %s', (expression, message) => {
    expect(failureOf(expression)).toBe(message);
  });
});

describe('JSON and YAML helpers', () => {
  it.each([
    ['#toJson(labels)', '{"app":"hello","tier":"web"}'],
    ["#toJson({a: 1, b: 1.5, c: 2.0, d: {true, null}, e: 'q\"'})", '{"a":1,"b":1.5,"c":2.0,"d":[true,null],"e":"q\\""}'],
    ['#toJson(tags)', '["blue","green","canary"]'],
    ["#toJson('text')", '"text"'],
    ['#toJson(nothing)', 'null'],
    ["#readJson('{\"a\": [1, 2, {\"b\": \"c\"}]}').a[2].b", 'c'],
    ["#readJson('[1, 2]').size()", 2],
    ['#readJson(#toJson(servers)) == servers', true],
    ["#readYaml('a: 1\nb:\n  - x\n  - y').b[1]", 'y'],
    ["#readAllYaml('a: 1\n---\na: 2').![a]", [1, 2]],
    ["#doNotEval('${ not evaluated }')", '${ not evaluated }'],
    ['#doNotEval(labels)', { app: 'hello', tier: 'web' }],
  ])('%s = %j', (expression, expected) => {
    expect(valueOf(expression)).toEqual(expected);
  });

  it.each([
    ["#readJson('{oops')", '#readJson(): the text is not valid JSON'],
    ["#readJson('{\"__proto__\": {\"polluted\": true}}')", "map key '__proto__' is not allowed"],
    ["#readYaml('a: [1')", '#readYaml(): the text is not valid YAML'],
    ["#readYaml('a: &x [1]\nb: *y')", '#readYaml(): the text is not valid YAML'],
  ])('fails %s', (expression, message) => {
    expect(failureOf(expression)).toContain(message);
  });

  it('refuses a YAML alias bomb instead of expanding it', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let level = 1; level < 9; level++) {
      const prev = String.fromCharCode(96 + level);
      const next = String.fromCharCode(97 + level);
      bomb.push(`${next}: &${next} [${Array(10).fill(`*${prev}`).join(',')}]`);
    }
    const expression = `#readYaml('${bomb.join('\n')}')`;
    expect(failureOf(expression)).toContain('#readYaml()');
  });
});

describe('pipeline and trigger helpers', () => {
  it.each([
    ["#pipelineId('Deploy to Prod')", 'pipe-123'],
    ["#pipelineIdOrNull('Nope')", null],
    ["#pipelineIdInApplication('Shared', 'platform')", 'pipe-999'],
    ["#triggerResolvedArtifact('gcr.io/acme/hello').version", 'v1.4.2'],
    ["#triggerResolvedArtifactByType('gcs/object').reference", 'gs://acme/manifests/hello.yml'],
    ['#currentUser()', 'alice@example.com'],
  ])('%s = %j', (expression, expected) => {
    expect(valueOf(expression)).toEqual(expected);
  });

  it.each([
    ["#pipelineId('Nope')", "#pipelineId('Nope'): no pipeline named 'Nope' in application 'hello'"],
    ["#pipelineIdInApplication('Deploy to Prod', 'other')", "#pipelineIdInApplication('Deploy to Prod', 'other'): no pipeline named 'Deploy to Prod' in application 'other'"],
    ["#triggerResolvedArtifact('nope')", "#triggerResolvedArtifact('nope'): no resolved artifact with name 'nope' in the trigger or in what earlier stages bound"],
    ["#triggerResolvedArtifactByType('helm/chart')", "#triggerResolvedArtifactByType('helm/chart'): no resolved artifact with type 'helm/chart' in the trigger or in what earlier stages bound"],
  ])('fails %s', (expression, message) => {
    expect(failureOf(expression)).toBe(message);
  });

  it('fails #pipelineId without a lookup', () => {
    expect(failureOf("#pipelineId('x')", createContext({ pipelineIdLookup: undefined }))).toBe('#pipelineId() needs a pipeline lookup, and none is configured');
  });

  it('turns a throwing lookup into a failure', () => {
    // given
    const broken = createContext({
      pipelineIdLookup: () => {
        throw new Error('front50 unavailable');
      },
    });
    // then
    expect(failureOf("#pipelineId('x')", broken)).toBe("#pipelineId('x'): the pipeline lookup failed: front50 unavailable");
  });

  it('prefers the execution authentication for #currentUser(), then falls back to anonymous', () => {
    expect(valueOf('#currentUser()', createContext({ execution: { ...execution, authentication: { user: 'bob' } } }))).toBe('bob');
    expect(valueOf('#currentUser()', createContext({ execution: undefined, variables: {} }))).toBe('anonymous');
  });
});

describe('URL helpers', () => {
  it.each(['#fromUrl', '#jsonFromUrl', '#yamlFromUrl', '#propertiesFromUrl'])('keeps %s disabled without a fetcher', (helper) => {
    expect(failureOf(`${helper}('https://config.example.com/x')`)).toBe(
      `${helper}() is disabled: URL helpers need an allowlist-backed URL fetcher, and none is configured`,
    );
  });

  it('reads through a synchronous allowlist-backed fetcher', () => {
    // given
    const bodies: Record<string, string> = {
      'https://config/a.txt': 'plain',
      'https://config/a.json': '{"replicas": 4}',
      'https://config/a.yml': 'replicas: 5',
      'https://config/a.properties': '# comment\nreplicas=6\nname : hello\\\n  world',
    };
    const fetching = createContext({
      urlFetcher: (url) => (Object.hasOwn(bodies, url) ? { ok: true, body: bodies[url] as string } : { ok: false, message: `${url} is not on the allowlist` }),
    });
    // then
    expect(valueOf("#fromUrl('https://config/a.txt')", fetching)).toBe('plain');
    expect(valueOf("#jsonFromUrl('https://config/a.json').replicas", fetching)).toBe(4);
    expect(valueOf("#yamlFromUrl('https://config/a.yml').replicas", fetching)).toBe(5);
    expect(valueOf("#propertiesFromUrl('https://config/a.properties')", fetching)).toEqual({ replicas: '6', name: 'helloworld' });
    expect(failureOf("#fromUrl('http://169.254.169.254/latest')", fetching)).toBe(
      "#fromUrl('http://169.254.169.254/latest'): http://169.254.169.254/latest is not on the allowlist",
    );
  });
});

describe('type references', () => {
  it.each([
    ['T(java.lang.Math).max(3, 7)', 7],
    ['T(Math).min(3, 7)', 3],
    ['T(java.lang.Math).abs(-4)', 4],
    ['T(java.lang.Math).max(1, 2.5)', 2.5],
    ['T(java.lang.Math).floor(2.7)', 2],
    ['T(java.lang.Math).ceil(2.1)', 3],
    ['T(java.lang.Math).round(2.5)', 3],
    ['T(java.lang.Math).round(-2.5)', -2],
    ['T(java.lang.Math).pow(2, 8)', 256],
    ['T(java.lang.Math).sqrt(16)', 4],
    ["T(java.lang.Integer).parseInt('12') + 1", 13],
    ["T(Integer).valueOf('7')", 7],
    ["T(java.lang.Long).parseLong('9007199254740991')", 9007199254740991],
    ["T(java.lang.Double).parseDouble('1.5')", 1.5],
    ["T(java.lang.Boolean).parseBoolean('TRUE')", true],
    ['T(java.lang.String).valueOf(12)', '12'],
    ["T(String).join('-', tags)", 'blue-green-canary'],
    ["T(String).join(',', 'a', 'b')", 'a,b'],
    ["T(java.net.URLEncoder).encode('a b&c=d/é', 'UTF-8')", 'a+b%26c%3Dd%2F%C3%A9'],
    ['T(java.util.UUID).randomUUID().toString()', '3f2c1a9e-0000-4000-8000-000000000001'],
    ['new java.util.Date().getTime()', 1_700_000_000_000],
    ["'' + new java.util.Date(0)", 'Thu Jan 01 00:00:00 UTC 1970'],
    ['new java.util.Date(86400000).toString()', 'Fri Jan 02 00:00:00 UTC 1970'],
    ['new java.util.Date()', 1_700_000_000_000],
    ['new java.util.Date(5).before(new java.util.Date())', true],
  ])('%s = %j', (expression, expected) => {
    expect(valueOf(expression)).toEqual(expected);
  });

  it('prints floor and ceil as doubles, as Java does', () => {
    expect(valueOf("'' + T(java.lang.Math).floor(2.7)")).toBe('2.0');
  });

  it.each([
    ['new java.util.Date().getTime()', 'new java.util.Date() needs a clock, and none is configured', { now: undefined }],
    ['T(java.util.UUID).randomUUID()', 'T(java.util.UUID).randomUUID() needs a UUID source, and none is configured', { randomUuid: undefined }],
  ])('fails %s without its hook', (expression, message, overrides) => {
    expect(failureOf(expression, createContext(overrides))).toBe(message);
  });

  it.each([
    ["T(java.lang.Math).max('a', 1)", "T(java.lang.Math).max() needs numbers, got string 'a'"],
    ["T(java.lang.Integer).parseInt('x')", "T(java.lang.Integer).parseInt(): 'x' is not an integer"],
    ["T(java.net.URLEncoder).encode('x', 'latin1')", 'only the UTF-8 encoding is supported'],
  ])('fails %s', (expression, message) => {
    expect(failureOf(expression)).toContain(message);
  });
});
