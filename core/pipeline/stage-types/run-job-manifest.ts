/**
 * `runJobManifest` (Deck's Kubernetes Run Job; Orca runs it as `runJob` with `cloudProvider:
 * kubernetes`, which Gennaker accepts too): create one Job from `manifest` (or the content of an
 * artifact), wait for it to end, and output its status, its pods' exit details and its log. With
 * `propertyFile` — the name of the container whose log is read, as clouddriver reads it — the
 * `SPINNAKER_PROPERTY_<KEY>=<value>` and `SPINNAKER_CONFIG_JSON=<object>` lines of that log become
 * stage outputs. The runtime is core/stages/run-job-manifest.ts.
 */
import { z } from 'zod';
import { showValue } from '../../issues.ts';
import type { StageBase } from '../model.ts';
import { anyText, flag, isTemplate, oneOf, optional, textList, withDefault } from '../fields.ts';
import type { ConfigIssue } from '../zod-issues.ts';
import { defineStageType, error } from './definition.ts';
import { MANIFEST_SOURCES, type ManifestSource } from './manifest-patch.ts';

/** Polls of waitOnJobCompletion: a job of several hours at Orca-like proportional backoff. */
export const JOB_MAX_POLLS = 200;

export interface RunJobManifestConfig {
  readonly account?: string;
  readonly credentials?: string;
  readonly cloudProvider?: string;
  readonly application?: string;
  /** @default 'text' */
  readonly source: ManifestSource;
  readonly manifest?: Readonly<Record<string, unknown>>;
  readonly manifestArtifactId?: string;
  readonly manifestArtifact?: Readonly<Record<string, unknown>>;
  readonly manifestArtifactAccount?: string;
  readonly requiredArtifactIds: readonly string[];
  /** The container whose log holds the properties. */
  readonly propertyFile?: string;
  readonly skipExpressionEvaluation: boolean;
}

export type RunJobManifestStage = StageBase<'runJobManifest', RunJobManifestConfig>;

export const runJobManifestFields = {
  account: optional(anyText('the account')),
  credentials: optional(anyText('the account')),
  cloudProvider: optional(anyText('the cloud provider')),
  application: optional(anyText('the application')),
  source: withDefault(oneOf(MANIFEST_SOURCES, 'where the Job manifest comes from'), 'text'),
  manifest: optional(z.record(z.string(), z.unknown(), { error: (issue) => `expected the Job manifest (an object), got ${showValue(issue.input)}` })),
  manifestArtifactId: optional(anyText('the expected artifact holding the Job')),
  manifestArtifact: optional(z.record(z.string(), z.unknown())),
  manifestArtifactAccount: optional(anyText('the artifact account')),
  requiredArtifactIds: withDefault(textList('expected artifact ids'), []),
  propertyFile: optional(anyText('the container whose log holds the properties')),
  skipExpressionEvaluation: withDefault(flag(), false),
};

const schema: z.ZodType<RunJobManifestConfig> = z.looseObject(runJobManifestFields);

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** What a Job manifest must have before it can run, as issues (expressions are left to run time). */
export function checkJobManifest(config: Pick<RunJobManifestConfig, 'account' | 'credentials' | 'source' | 'manifest' | 'manifestArtifactId' | 'manifestArtifact'>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const named = [config.account, config.credentials].some((value) => value !== undefined && value.trim() !== '');
  if (!named) issues.push(error(['account'], 'required', "'account' is required; add the Kubernetes account the Job runs in, e.g. \"k8s-prod\""));
  if (config.source === 'artifact') {
    if ((config.manifestArtifactId?.trim() ?? '') === '' && config.manifestArtifact === undefined) {
      issues.push(error(['manifestArtifactId'], 'required', "'manifestArtifactId' is required with source 'artifact'; name the expected artifact that holds the Job, or set source to 'text' with manifest"));
    }
    return issues;
  }
  if (config.manifest === undefined) {
    issues.push(error(['manifest'], 'required', "'manifest' is required; add the Job, e.g. {\"apiVersion\": \"batch/v1\", \"kind\": \"Job\", \"metadata\": {\"name\": \"migrate\"}, \"spec\": {...}}"));
    return issues;
  }
  return [...issues, ...jobManifestProblems(config.manifest)];
}

/** What a Job manifest must have to run (kind Job, a name, a container), as issues under `manifest`; expressions are left to run time. */
export function jobManifestProblems(manifest: Readonly<Record<string, unknown>>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const kind = manifest['kind'];
  if (!isTemplate(kind) && (typeof kind !== 'string' || kind.toLowerCase() !== 'job')) {
    issues.push(error(['manifest', 'kind'], 'invalid-value', `manifest.kind is ${showValue(kind)}; only kind Job is accepted for the Run Job operation: set kind to "Job" (apiVersion batch/v1)`, kind));
  }
  const metadata = isObject(manifest['metadata']) ? manifest['metadata'] : {};
  const name = [metadata['name'], metadata['generateName']].find((value) => typeof value === 'string' && value.trim() !== '');
  if (name === undefined) {
    issues.push(error(['manifest', 'metadata', 'name'], 'required', "'manifest.metadata.name' is required; name the Job (or set metadata.generateName), e.g. \"migrate\": a suffix unique to each run is added"));
  }
  const spec = isObject(manifest['spec']) ? manifest['spec'] : undefined;
  const template = spec && isObject(spec['template']) ? spec['template'] : undefined;
  const podSpec = template && isObject(template['spec']) ? template['spec'] : undefined;
  if (podSpec === undefined || !Array.isArray(podSpec['containers']) || podSpec['containers'].length === 0) {
    issues.push(error(['manifest', 'spec', 'template', 'spec', 'containers'], 'required', "'manifest.spec.template.spec.containers' is required; add the Job's container, e.g. [{\"name\": \"main\", \"image\": \"busybox\", \"command\": [\"true\"]}]"));
  }
  return issues;
}

export const runJobManifestStageType = defineStageType({
  type: 'runJobManifest',
  description: 'Runs a Kubernetes Job to completion and outputs its status, log and properties.',
  schema,
  expressionFields: ['manifest', 'propertyFile'],
  verbatimFields: ['manifest', 'manifests'],
  plan: () => [
    { name: 'runJob', kind: 'poll', maxPolls: 10 },
    { name: 'waitOnJobCompletion', kind: 'poll', maxPolls: JOB_MAX_POLLS },
  ],
  check: (config) => checkJobManifest(config),
});
