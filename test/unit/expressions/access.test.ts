/**
 * Reading data: properties, indexes, safe navigation, selection and projection with #this and
 * #root, and the whitelisted methods of strings, lists, maps, numbers and booleans.
 */
import { describe, expect, it } from 'vitest';
import { evaluateExpression } from '../../../core/expressions/index.ts';
import { createContext } from '../../fixtures/expressions/context.ts';

const ctx = createContext();

function valueOf(expression: string, context = ctx): unknown {
  const result = evaluateExpression(expression, context);
  if (!result.ok) throw new Error(`${expression}: ${result.message}`);
  return result.value;
}

function failureOf(expression: string, context = ctx): string {
  const result = evaluateExpression(expression, context);
  if (result.ok) throw new Error(`${expression} evaluated to ${JSON.stringify(result.value)}`);
  return result.message;
}

describe('properties and indexes', () => {
  it.each([
    ['parameters.hellotag', 'v1.4.2'],
    ["parameters['hellotag']", 'v1.4.2'],
    ['parameters["env"]', 'prod'],
    ['trigger.parameters.env', 'prod'],
    ["trigger['resolvedExpectedArtifacts'][0]['boundArtifact']['version']", 'v1.4.2'],
    ['deployedServerGroups[0].region', 'us-east-1'],
    ['tags[1]', 'green'],
    ["tags['2']", 'canary'],
    ['servers[2].weight', 60],
    ["'hello'[1]", 'e'],
    ["{a: {b: 'deep'}}.a.b", 'deep'],
    ["['namespace']", 'staging'],
    ["labels['missing']", null],
    ['scmInfo.branch', 'feature/login'],
    ['execution.status', 'RUNNING'],
    ['tags.empty', false],
    ["''.empty", true],
  ])('%s = %s', (expression, expected) => {
    expect(valueOf(expression)).toEqual(expected);
  });

  it('returns a copy of whole objects, never the context itself', () => {
    // given
    const result = valueOf('labels') as Record<string, unknown>;
    // when
    result.app = 'changed';
    // then
    expect(result).toEqual({ app: 'changed', tier: 'web' });
    expect(valueOf('labels.app')).toBe('hello');
  });

  it.each([
    ['missing', "property 'missing' not found in the expression context; available: trigger, parameters, execution, deployedServerGroups, scmInfo, namespace"],
    ['parameters.missing', "property 'missing' not found on map with keys hellotag, successRate, env, count, enabled; use ['missing'] to get null for a missing key"],
    ['nothing.x', "cannot read property 'x' of null; use '?.' to get null instead"],
    ['tags.first', "property 'first' not found on a list; lists have size(), isEmpty(), contains(x), get(i) and [i]"],
    ['replicas.value', "property 'value' not found on integer 3"],
    ['tags[3]', 'index 3 is out of bounds for a list of 3 elements'],
    ['tags[-1]', 'index -1 is out of bounds for a list of 3 elements'],
    ["tags['x']", "a list or string index must be an integer, got string 'x'"],
    ['nothing[0]', "cannot index into null with [0]; use '?.[' to get null instead"],
    ['replicas[0]', 'cannot index into integer 3'],
  ])('fails %s', (expression, message) => {
    expect(failureOf(expression)).toContain(message);
  });

  it('reads a missing key as null when allowUnknownKeys is set, as Spinnaker stage contexts do', () => {
    expect(valueOf('parameters.missing', createContext({ allowUnknownKeys: true }))).toBeNull();
  });
});

describe('safe navigation', () => {
  it.each([
    ['nothing?.x', null],
    ['nothing?.x?.y', null],
    ['labels?.app', 'hello'],
    ['nothing?.toString()', null],
    ['nothing?.[0]', null],
    ['tags?.[0]', 'blue'],
    ['nothing?.?[true]', null],
    ["nothing?.x ?: 'none'", 'none'],
  ])('%s = %s', (expression, expected) => {
    expect(valueOf(expression)).toEqual(expected);
  });

  it('protects only its own step, as in SpEL', () => {
    expect(failureOf('nothing?.x.y')).toContain("cannot read property 'y' of null");
  });
});

describe('selection and projection', () => {
  it.each([
    ['servers.?[healthy].![name]', ['hello-v001', 'hello-v003']],
    ['servers.?[weight > 20].size()', 2],
    ['servers.^[weight > 20].name', 'hello-v002'],
    ['servers.$[weight > 20].name', 'hello-v003'],
    ['servers.^[weight > 100]', null],
    ['servers.![weight].contains(30)', true],
    ['servers.![name + ":" + weight]', ['hello-v001:10', 'hello-v002:30', 'hello-v003:60']],
    ['tags.?[#this.startsWith("g")]', ['green']],
    ["tags.?[#this != 'blue']", ['green', 'canary']],
    ['tags.![#this.length()]', [4, 5, 6]],
    ['{1, 2, 3, 4}.?[#this % 2 == 0].![#this * 10]', [20, 40]],
    ['servers.?[weight > #root.replicas * 5].![name]', ['hello-v002', 'hello-v003']],
    ['servers.?[name == #root.servers[0].name].size()', 1],
    ["labels.?[value == 'web']", { tier: 'web' }],
    ["labels.![key + '=' + value]", ['app=hello', 'tier=web']],
    ["labels.^[key.startsWith('t')]", { tier: 'web' }],
    ['{}.?[true]', []],
    ['#stage("Canary Analysis").context.![#this.key]', ['canaryScore']],
  ])('%s = %j', (expression, expected) => {
    expect(valueOf(expression)).toEqual(expected);
  });

  it('resolves bare names against the element, not the root', () => {
    expect(failureOf('servers.?[namespace == "staging"]')).toContain("property 'namespace' not found on map with keys name, healthy, weight");
  });

  it.each([
    ['servers.?[weight]', "the condition in '.?[]' must be a boolean, got integer 10"],
    ["tags.?['true']", "the condition in '.?[]' must be a boolean, got string 'true'"],
    ['replicas.?[true]', "'.?[]' needs a list or a map, got integer 3"],
    ['nothing.![#this]', "cannot apply '.![]' to null"],
  ])('fails %s', (expression, message) => {
    expect(failureOf(expression)).toContain(message);
  });
});

describe('variables', () => {
  it.each([
    ['#root.namespace', 'staging'],
    ['#this.namespace', 'staging'],
    ['#root == #this', true],
    ['#undefinedVariable', null],
    ["#undefinedVariable ?: 'unset'", 'unset'],
  ])('%s = %j', (expression, expected) => {
    expect(valueOf(expression)).toEqual(expected);
  });

  it('fails a helper named without a call', () => {
    expect(failureOf('#stage')).toBe('#stage is a function; call it as #stage(...)');
  });
});

describe('string methods', () => {
  it.each([
    ["'Hello'.toString()", 'Hello'],
    ["'Hello'.toUpperCase()", 'HELLO'],
    ["'Hello'.toLowerCase()", 'hello'],
    ["'hello'.contains('ell')", true],
    ["'hello'.startsWith('he')", true],
    ["'hello'.startsWith('l', 2)", true],
    ["'hello'.endsWith('lo')", true],
    ["'hello'.equals('hello')", true],
    ["'hello'.equals(5)", false],
    ["'Hello'.equalsIgnoreCase('hELLO')", true],
    ["'hello'.substring(1)", 'ello'],
    ["'hello'.substring(1, 3)", 'el'],
    ["'hello'.indexOf('l')", 2],
    ["'hello'.indexOf('l', 3)", 3],
    ["'hello'.lastIndexOf('l')", 3],
    ["'hello'.indexOf('z')", -1],
    ["'hello'.length()", 5],
    ["''.isEmpty()", true],
    ["'  '.isBlank()", true],
    ["'  hi \t'.trim()", 'hi'],
    ["'a.b.c'.replace('.', '-')", 'a-b-c'],
    ["'abc'.replace('', '-')", '-a-b-c-'],
    ["'v1.2.3'.replaceAll('[^0-9]', '')", '123'],
    ["'2024-01-05'.replaceAll('(\\d+)-(\\d+)-(\\d+)', '$3/$2/$1')", '05/01/2024'],
    ["'a-b-c'.replaceFirst('-', '+')", 'a+b-c'],
    ["'x'.replaceAll('x', '\\$1')", '$1'],
    ["'a,b,,c,,'.split(',')", ['a', 'b', '', 'c']],
    ["'a,b,c'.split(',', 2)", ['a', 'b,c']],
    ["'abc'.split('')", ['a', 'b', 'c']],
    ["' a  b '.split('\\s+')", ['', 'a', 'b']],
    ["''.split(',')", ['']],
    ["'release-1.2'.matches('release-\\d+\\.\\d+')", true],
    ["'release-1.2'.matches('release')", false],
    ["'hello'.charAt(1)", 'e'],
    ["'hello'.concat(' world')", 'hello world'],
    ["'a'.compareTo('b')", -1],
    ["parameters.hellotag.substring(1).split('\\.')[0]", '1'],
  ])('%s = %j', (expression, expected) => {
    expect(valueOf(expression)).toEqual(expected);
  });

  it.each([
    ["'hello'.substring(3, 10)", 'substring(3, 10) is out of range for a string of length 5'],
    ["'hello'.charAt(9)", 'charAt(9) is out of range for a string of length 5'],
    ["'hello'.getClass()", 'method getClass() is not available on a string; available: toString, toUpperCase'],
    ["'hello'.substring()", 'substring() takes 1 to 2 arguments, got 0'],
    ["'hello'.contains(null)", 'contains() needs text, got null'],
    ["'a'.replaceAll('(', 'x')", "invalid regular expression '(': unclosed group"],
    ["'prod'.replaceAll(parameters.env, '$2')", 'replacement refers to group $2, but the pattern has 0'],
    ["'hello'.constructor", "property 'constructor' not found on string 'hello'"],
  ])('fails %s', (expression, message) => {
    expect(failureOf(expression)).toContain(message);
  });
});

describe('list and map methods', () => {
  it.each([
    ['tags.size()', 3],
    ['tags.isEmpty()', false],
    ["tags.contains('green')", true],
    ["tags.contains('red')", false],
    ['tags.get(0)', 'blue'],
    ["tags.indexOf('canary')", 2],
    ["{1, 2, 1}.lastIndexOf(1)", 2],
    ['tags.subList(1, 3)', ['green', 'canary']],
    ['tags.toString()', '[blue, green, canary]'],
    ['{1, 2}.equals({1, 2})', true],
    ['labels.size()', 2],
    ['labels.isEmpty()', false],
    ["labels.containsKey('app')", true],
    ["labels.containsKey('nope')", false],
    ["labels.containsValue('web')", true],
    ["labels.get('tier')", 'web'],
    ["labels.get('nope')", null],
    ["labels.getOrDefault('nope', 'dflt')", 'dflt'],
    ['labels.keySet()', ['app', 'tier']],
    ['labels.values()', ['hello', 'web']],
    ['labels.entrySet().![key]', ['app', 'tier']],
    ['labels.toString()', '{app=hello, tier=web}'],
    ['servers.![weight].contains(60)', true],
    ['size()', 14],
    ["containsKey('namespace')", true],
  ])('%s = %j', (expression, expected) => {
    expect(valueOf(expression)).toEqual(expected);
  });

  it.each([
    ['tags.get(5)', 'get(5) is out of bounds for a list of 3 elements'],
    ['tags.stream()', 'method stream() is not available on a list; available: size, isEmpty'],
    ['labels.put("a", 1)', 'method put() is not available on a map'],
    ['nothing.size()', "cannot call size() on null; use '?.' to get null instead"],
  ])('fails %s', (expression, message) => {
    expect(failureOf(expression)).toContain(message);
  });
});

describe('number and boolean methods', () => {
  it.each([
    ['replicas.toString()', '3'],
    ['(1.0).toString()', '1.0'],
    ['ratio.toString()', '0.25'],
    ['(7.9).intValue()', 7],
    ['replicas.doubleValue() / 2', 1.5],
    ['replicas.equals(3)', true],
    ['replicas.equals(3.0)', false],
    ['replicas.compareTo(5)', -1],
    ['true.toString()', 'true'],
    ['(1 > 2).toString()', 'false'],
    ['true.booleanValue()', true],
  ])('%s = %j', (expression, expected) => {
    expect(valueOf(expression)).toEqual(expected);
  });
});
