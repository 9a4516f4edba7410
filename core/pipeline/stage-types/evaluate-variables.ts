/**
 * `evaluateVariables`: compute named values with expressions; later variables may use earlier
 * ones (v4), and downstream stages see them as bare names (`${releaseName}`).
 */
import { z } from 'zod';
import type { StageBase } from '../model.ts';
import { anyText, anyValue, optional, text, withDefault } from '../fields.ts';
import { defineStageType, warning } from './definition.ts';

/** Keys Spinnaker's docs warn against: they clash with fields stages read from the context. */
export const RESERVED_VARIABLE_KEYS: readonly string[] = ['strategy', 'cloudProvider', 'cluster', 'credentials', 'region', 'zone', 'imageName', 'application'];

export interface EvaluateVariablesConfig {
  readonly variables: ReadonlyArray<{ readonly key: string; readonly value: unknown; readonly description?: string }>;
}

export type EvaluateVariablesStage = StageBase<'evaluateVariables', EvaluateVariablesConfig>;

const schema: z.ZodType<EvaluateVariablesConfig> = z.looseObject({
  variables: withDefault(
    z.array(
      z.looseObject({
        key: text("the variable's name"),
        value: anyValue("the variable's value, e.g. '${parameters.env}'"),
        description: optional(anyText('a description')),
      }),
    ),
    [],
  ),
});

export const evaluateVariablesStageType = defineStageType({
  type: 'evaluateVariables',
  description: 'Evaluates named expressions; downstream stages see the results as variables.',
  schema,
  expressionFields: ['variables[].value'],
  plan: () => [{ name: 'evaluateVariables', kind: 'run' }],
  check: (config) => {
    const issues = [];
    if (config.variables.length === 0) issues.push(warning(['variables'], 'invalid-value', 'defines no variables, so the stage does nothing; add {"key": ..., "value": ...} entries'));
    const seen = new Map<string, number>();
    config.variables.forEach((variable, index) => {
      const first = seen.get(variable.key);
      if (first !== undefined) {
        issues.push(warning(['variables', index, 'key'], 'invalid-value', `variable '${variable.key}' is also defined at index ${first}; the later value wins, rename one of them`));
      } else {
        seen.set(variable.key, index);
      }
      if (RESERVED_VARIABLE_KEYS.includes(variable.key)) {
        issues.push(warning(['variables', index, 'key'], 'invalid-value', `variable '${variable.key}' clashes with a field stages read from their context; rename it, e.g. '${variable.key}Value'`));
      }
    });
    return issues;
  },
});
