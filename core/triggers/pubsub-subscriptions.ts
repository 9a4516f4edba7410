/**
 * Amazon pub/sub subscriptions as Echo configures them (`pubsub.amazon.subscriptions`): each has
 * the `name` triggers give as `subscriptionName` and the SQS queue its messages arrive on (an SNS
 * topic delivers to it), named by its URL or ARN. Local mode reads them from
 * `<data directory>/pubsub.json`; on AWS the stack creates the queues (CDK context
 * `pubsubSubscriptions`). Pure: the JSON in, subscriptions and one issue per problem out.
 *
 * ```json
 * { "amazon": { "subscriptions": [
 *     { "name": "builds", "queueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/builds" },
 *     { "name": "images", "queueArn": "arn:aws:sqs:eu-west-1:123456789012:images", "endpoint": "http://127.0.0.1:4566" } ] } }
 * ```
 */
import { pointerJoin, showValue, type ValidationIssue } from '../issues.ts';

/** One subscription: where its queue is. */
export interface PubsubSubscription {
  readonly name: string;
  /** The queue's URL (given, or made from its ARN). */
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly region: string;
  /** Where SQS answers when not at AWS's endpoint (a simulator). @default AWS's */
  readonly endpoint?: string;
}

const QUEUE_URL = /^https?:\/\/(?:sqs\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?|[^/]+)\/(\d{12})\/([A-Za-z0-9_-]{1,80})$/;
const QUEUE_ARN = /^arn:aws[a-z-]*:sqs:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_-]{1,80})$/;
const ENDPOINT = /^(https:\/\/[a-z0-9.-]+(:\d{1,5})?|http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d{1,5})?)\/?$/;
const NAME = /^[A-Za-z0-9_-]{1,80}$/;
const FIELDS = ['name', 'queueUrl', 'queueArn', 'region', 'endpoint'];

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
const problem = (pointer: string, message: string, value?: unknown): ValidationIssue => ({ pointer, code: 'invalid-value', message, severity: 'error', ...(value !== undefined ? { value } : {}) });

/** Parses `{ "amazon": { "subscriptions": [...] } }`. */
export function parsePubsubSubscriptions(input: unknown): { readonly subscriptions: readonly PubsubSubscription[]; readonly issues: readonly ValidationIssue[] } {
  const list = isObject(input) && isObject(input['amazon']) ? input['amazon']['subscriptions'] : undefined;
  if (!Array.isArray(list)) {
    return { subscriptions: [], issues: [problem('/amazon/subscriptions', `expected { "amazon": { "subscriptions": [ { "name": ..., "queueUrl": ... } ] } }, got ${showValue(input)}`)] };
  }
  const subscriptions: PubsubSubscription[] = [];
  const issues: ValidationIssue[] = [];
  for (const [index, entry] of list.entries()) {
    const at = pointerJoin('/amazon/subscriptions', index);
    if (!isObject(entry)) {
      issues.push(problem(at, `expected a subscription { "name": ..., "queueUrl": ... }, got ${showValue(entry)}`, entry));
      continue;
    }
    const before = issues.length;
    for (const key of Object.keys(entry)) if (!FIELDS.includes(key)) issues.push(problem(pointerJoin(at, key), `unknown field '${key}'; a subscription has ${FIELDS.join(', ')}`));
    const name = entry['name'];
    if (typeof name !== 'string' || !NAME.test(name)) issues.push(problem(pointerJoin(at, 'name'), `name is ${showValue(name)}; use the subscriptionName triggers give, 1-80 letters, digits, '-' or '_'`, name));
    else if (subscriptions.some((known) => known.name === name)) issues.push(problem(pointerJoin(at, 'name'), `subscription '${name}' is listed twice; keep one`, name));
    const url = entry['queueUrl'];
    const arn = entry['queueArn'];
    const urlMatch = typeof url === 'string' ? QUEUE_URL.exec(url) : null;
    const arnMatch = typeof arn === 'string' ? QUEUE_ARN.exec(arn) : null;
    if (url !== undefined && !urlMatch) issues.push(problem(pointerJoin(at, 'queueUrl'), `queueUrl is ${showValue(url)}, not an SQS queue URL; use https://sqs.<region>.amazonaws.com/<account>/<queue>`, url));
    if (arn !== undefined && !arnMatch) issues.push(problem(pointerJoin(at, 'queueArn'), `queueArn is ${showValue(arn)}, not an SQS queue ARN; use arn:aws:sqs:<region>:<account>:<queue>`, arn));
    if (url === undefined && arn === undefined) issues.push(problem(at, `subscription ${showValue(name)} names no queue; add queueUrl (https://sqs.<region>.amazonaws.com/<account>/<queue>) or queueArn`));
    const endpoint = entry['endpoint'];
    if (endpoint !== undefined && (typeof endpoint !== 'string' || !ENDPOINT.test(endpoint))) issues.push(problem(pointerJoin(at, 'endpoint'), `endpoint is ${showValue(endpoint)}; use an https URL, or an http URL on this machine (a simulator)`, endpoint));
    const given = entry['region'];
    if (given !== undefined && (typeof given !== 'string' || !/^[a-z]{2}(-[a-z]+)+-\d$/.test(given))) issues.push(problem(pointerJoin(at, 'region'), `region is ${showValue(given)}; use an AWS region, e.g. "us-east-1"`, given));
    if (issues.length > before) continue;
    const account = urlMatch?.[2] ?? arnMatch![2]!;
    const queue = urlMatch?.[3] ?? arnMatch![3]!;
    const region = (typeof given === 'string' ? given : undefined) ?? arnMatch?.[1] ?? urlMatch?.[1];
    if (region === undefined) {
      issues.push(problem(pointerJoin(at, 'region'), `the region of queue ${showValue(url)} cannot be read from its URL; add "region", e.g. "us-east-1"`));
      continue;
    }
    subscriptions.push({
      name: name as string,
      queueUrl: typeof url === 'string' ? url : `https://sqs.${region}.amazonaws.com/${account}/${queue}`,
      queueArn: typeof arn === 'string' ? arn : `arn:aws:sqs:${region}:${account}:${queue}`,
      region,
      ...(typeof endpoint === 'string' ? { endpoint: endpoint.replace(/\/$/, '') } : {}),
    });
  }
  return { subscriptions, issues };
}
