/**
 * `findArtifactFromExecution` (Orca's FindArtifactFromExecutionStage): binds expected artifacts
 * against the artifacts of the newest execution of another pipeline (or this one) in the chosen
 * statuses. `expectedArtifact` (one) or `expectedArtifacts` (a list, Orca's later form);
 * `executionOptions` chooses statuses: `successful` (or `succeeded`, which Orca also reads),
 * `running`, `terminal`; none chosen means any status, as Orca's empty criteria do.
 */
import { z } from 'zod';
import type { RawObject, StageBase } from '../model.ts';
import { anyText, optional, text } from '../fields.ts';
import type { ConfigIssue } from '../zod-issues.ts';
import { defineStageType, error, warning } from './definition.ts';

export interface FindArtifactExecutionOptions {
  readonly successful?: boolean;
  readonly succeeded?: boolean;
  readonly running?: boolean;
  readonly terminal?: boolean;
}

export interface FindArtifactFromExecutionConfig {
  /** The application of the pipeline; @default this execution's */
  readonly application?: string;
  /** The pipeline's config id or name. */
  readonly pipeline: string;
  readonly executionOptions?: FindArtifactExecutionOptions;
  readonly expectedArtifact?: RawObject;
  readonly expectedArtifacts?: readonly RawObject[];
}

export type FindArtifactFromExecutionStage = StageBase<'findArtifactFromExecution', FindArtifactFromExecutionConfig>;

const flag = z.boolean({ error: (issue) => `expected true or false, got ${JSON.stringify(issue.input)}` });
const expectedArtifact = z.record(z.string(), z.unknown(), { error: () => 'expected an expected artifact (an object with id and matchArtifact)' });

const schema: z.ZodType<FindArtifactFromExecutionConfig> = z.looseObject({
  application: optional(anyText('the application of the pipeline')),
  pipeline: text("the pipeline whose executions to search (its id or name), e.g. 'Deploy to Production'"),
  executionOptions: optional(
    z.looseObject({ successful: optional(flag), succeeded: optional(flag), running: optional(flag), terminal: optional(flag) }, { error: () => 'expected execution options, e.g. {"successful": true}' }),
  ),
  expectedArtifact: optional(expectedArtifact),
  expectedArtifacts: optional(z.array(expectedArtifact, { error: () => 'expected a list of expected artifacts' })),
});

/** The execution statuses `executionOptions` chooses (Orca's ExecutionOptions.toCriteria); empty = any. */
export function findArtifactStatuses(options: FindArtifactExecutionOptions | undefined): Array<'SUCCEEDED' | 'TERMINAL' | 'RUNNING'> {
  const statuses: Array<'SUCCEEDED' | 'TERMINAL' | 'RUNNING'> = [];
  if (options?.successful === true || options?.succeeded === true) statuses.push('SUCCEEDED');
  if (options?.terminal === true) statuses.push('TERMINAL');
  if (options?.running === true) statuses.push('RUNNING');
  return statuses;
}

/** The expected artifacts the stage binds: `expectedArtifacts` when given, else the one `expectedArtifact` (Orca's order). */
export function findArtifactExpected(config: Pick<FindArtifactFromExecutionConfig, 'expectedArtifact' | 'expectedArtifacts'>): readonly RawObject[] {
  return config.expectedArtifacts ?? (config.expectedArtifact ? [config.expectedArtifact] : []);
}

function check(config: FindArtifactFromExecutionConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const expected = findArtifactExpected(config);
  if (expected.length === 0) {
    issues.push(error(['expectedArtifact'], 'required', 'names no expected artifact to bind; add expectedArtifact, e.g. {"id": "baseline-config", "matchArtifact": {"type": "kubernetes/configMap", "name": "app-config"}}'));
  }
  const at = config.expectedArtifacts ? (index: number) => ['expectedArtifacts', index] : () => ['expectedArtifact'];
  const seen = new Set<string>();
  expected.forEach((artifact, index) => {
    const id = artifact['id'];
    if (typeof id !== 'string' || id.trim() === '') {
      issues.push(error([...at(index), 'id'], 'required', 'has no id, so no later stage can name what it binds; add an id, e.g. "baseline-config"', id));
    } else if (seen.has(id)) {
      issues.push(error([...at(index), 'id'], 'invalid-value', `'${id}' is used twice; give each expected artifact its own id`, id));
    } else {
      seen.add(id);
    }
    const match = artifact['matchArtifact'];
    if (typeof match !== 'object' || match === null || Array.isArray(match)) {
      issues.push(error([...at(index), 'matchArtifact'], 'required', 'is missing, so nothing can match; add matchArtifact, e.g. {"type": "docker/image", "name": "gcr.io/project/app"}'));
    }
  });
  if (findArtifactStatuses(config.executionOptions).length === 0) {
    issues.push(
      warning(['executionOptions'], 'invalid-value', 'chooses no status, so the newest execution in any status is searched (a running or failed one included); set e.g. {"successful": true}'),
    );
  }
  return issues;
}

export const findArtifactFromExecutionStageType = defineStageType({
  type: 'findArtifactFromExecution',
  description: "Binds expected artifacts against the artifacts of a pipeline's newest execution in the chosen statuses.",
  schema,
  expressionFields: ['pipeline', 'application'],
  check,
  plan: () => [{ name: 'findArtifactFromExecution', kind: 'run' }],
});
