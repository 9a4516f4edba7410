/**
 * What Spinnaker's Lambda stages share (reference/cloud-targets.md §4.1): where the function is
 * (`account` or `credentials`, `region`, `functionName`), Orca's version selectors, and the
 * health-check artifacts (`payloadArtifact`, `outputArtifact`). Each Lambda stage type answers to
 * two names, as in Orca: the plugin's `Aws.Lambda...Stage` (the `@Aliases` of Orca's stage
 * builders) and the builder's own name (`lambdaDeployment`...).
 */
import { z } from 'zod';
import { decodeBase64, decodeUtf8 } from '../../expressions/base64.ts';
import { showValue } from '../../issues.ts';
import type { Expression } from '../fields.ts';
import { anyText, isTemplate, optional, text } from '../fields.ts';
import type { ConfigIssue } from '../zod-issues.ts';
import { error } from './definition.ts';
import type { StageTypeDefinition } from './definition.ts';

/** Where a Lambda stage acts. */
export interface LambdaLocation {
  /** The account (Orca reads `account`; Deck also writes `credentials`). */
  readonly account?: string;
  readonly credentials?: string;
  readonly cloudProvider?: string;
  readonly region: string;
  /** Prefixed with `<application>-` unless it starts with it, as clouddriver does. */
  readonly functionName: string;
}

export const lambdaLocationFields = {
  account: optional(anyText('the account')),
  credentials: optional(anyText('the account')),
  cloudProvider: optional(anyText('the cloud provider')),
  region: text("the region, e.g. 'us-east-1'"),
  functionName: text("the function's name, e.g. 'hello-api'"),
};

/** An account in `account` or `credentials`. */
export function checkLambdaLocation(config: LambdaLocation): ConfigIssue[] {
  const named = [config.account, config.credentials].some((value) => value !== undefined && value.trim() !== '');
  return named ? [] : [error(['account'], 'required', "'account' is required; add the AWS account the function lives in, e.g. \"prod\"")];
}

/** Orca's version selectors (LambdaUtils.getCanonicalVersion), newest published version first. */
export const LAMBDA_VERSION_SELECTORS = ['$LATEST', '$PREVIOUS', '$OLDEST', '$PROVIDED', '$MOVING'] as const;
export type LambdaVersionSelector = (typeof LAMBDA_VERSION_SELECTORS)[number];

/** A version selector field: one of the selectors, or (as the delete stage also takes) a version number. */
export function versionSelectorProblem(value: string | undefined, field: string, allowNumber: boolean, allowMoving: boolean): string | undefined {
  if (value === undefined || isTemplate(value)) return undefined;
  const selectors = LAMBDA_VERSION_SELECTORS.filter((selector) => allowMoving || selector !== '$MOVING');
  if ((selectors as readonly string[]).includes(value)) return undefined;
  if (allowNumber && /^[0-9]+$/.test(value)) return undefined;
  return `${field} is ${showValue(value)}; use one of ${selectors.join(', ')}${allowNumber ? ', or a version number' : ''}`;
}

/** An artifact as Orca's Lambda stages take it (kork's Artifact fields). */
export interface LambdaArtifact {
  readonly type: string;
  readonly reference?: string;
  readonly name?: string;
}

const artifactFields = z.looseObject({
  type: text("the artifact type, e.g. 'embedded/base64'"),
  reference: optional(anyText('the artifact reference')),
  name: optional(anyText('the artifact name')),
});

/**
 * `payloadArtifact` / `outputArtifact`: Deck writes `{ "artifact": {...} }` (Orca's
 * LambdaHealthCheckArtifact); the artifact itself is accepted too.
 */
export const lambdaArtifactSchema: z.ZodType<LambdaArtifact> = z.unknown().transform((input, ctx) => {
  const inner = typeof input === 'object' && input !== null && !Array.isArray(input) && 'artifact' in input ? (input as { artifact: unknown }).artifact : input;
  const parsed = artifactFields.safeParse(inner);
  if (!parsed.success) {
    ctx.issues.push({ code: 'custom', input, message: `expected an artifact {"artifact": {"type": "embedded/base64", "reference": "<base64>"}}, got ${showValue(input)}` });
    return z.NEVER;
  }
  return parsed.data as LambdaArtifact;
});

/** Artifact types a Lambda stage can read without an artifact store. */
export const READABLE_ARTIFACT_TYPES = ['embedded/base64'] as const;

/** A field's artifact that cannot be read, as an issue. */
export function checkArtifact(artifact: LambdaArtifact | undefined, field: string): ConfigIssue[] {
  if (artifact === undefined) return [];
  if (!(READABLE_ARTIFACT_TYPES as readonly string[]).includes(artifact.type)) {
    return [error([field], 'invalid-value', `${field} has artifact type '${artifact.type}', which Gennaker cannot read yet; embed the content as type 'embedded/base64' with the base64 text in 'reference'`)];
  }
  if (artifact.reference === undefined || artifact.reference.trim() === '') {
    return [error([field], 'required', `${field} has no 'reference'; put the base64 of the content in it`)];
  }
  return [];
}

/** The text an artifact holds, or why it cannot be read. */
export function artifactText(artifact: LambdaArtifact, field: string): { ok: true; text: string } | { ok: false; message: string } {
  const problem = checkArtifact(artifact, field)[0];
  if (problem) return { ok: false, message: problem.message };
  const decoded = decodeBase64((artifact.reference ?? '').trim());
  if (typeof decoded === 'string') return { ok: false, message: `${field}'s reference is not base64 (${decoded}); encode the content, e.g. with 'base64 -w0'` };
  return { ok: true, text: decodeUtf8(decoded) };
}

/** `aliases` as Deck writes it: a list, or one comma-separated string (the plugin's form). */
export const aliasListSchema: z.ZodType<readonly string[]> = z.unknown().transform((input, ctx) => {
  if (input === undefined || input === null) return [];
  if (typeof input === 'string') return input.split(',').map((name) => name.trim()).filter((name) => name !== '');
  if (Array.isArray(input) && input.every((item) => typeof item === 'string')) return input.map((name) => name.trim()).filter((name) => name !== '');
  ctx.issues.push({ code: 'custom', input, message: `expected alias names (a list, or one name), got ${showValue(input)}` });
  return z.NEVER;
});

/** A number field as written, or an expression (the task reads the evaluated value). */
export type NumberField = number | Expression;

/**
 * One stage type under each of its names: the same schema, plan and checks, with `type` set
 * per name so a parsed stage keeps the type it was written with.
 */
export function defineAliasedStageTypes<const T extends readonly [string, ...string[]], C>(
  types: T,
  definition: Omit<StageTypeDefinition<T[number], C>, 'type'>,
): { readonly [K in T[number]]: StageTypeDefinition<K, C> } {
  return Object.fromEntries(types.map((type) => [type, { ...definition, type }])) as unknown as { readonly [K in T[number]]: StageTypeDefinition<K, C> };
}
