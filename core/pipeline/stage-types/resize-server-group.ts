/**
 * `resizeServerGroup`: set a server group's capacity exactly, grow or shrink it by a number or a
 * percentage, or match the cluster's / another server group's size (Orca's ResizeStrategy).
 */
import { z } from 'zod';
import type { StageBase } from '../model.ts';
import type { Expression } from '../fields.ts';
import { numberOrExpression, oneOf, optional, withDefault } from '../fields.ts';
import type { ConfigIssue } from '../zod-issues.ts';
import { defineStageType, error } from './definition.ts';
import type { ServerGroupTargetConfig } from './server-group-target.ts';
import { checkServerGroupTarget, serverGroupTargetFields } from './server-group-target.ts';

export const RESIZE_ACTIONS = ['scale_exact', 'scale_up', 'scale_down', 'scale_to_cluster', 'scale_to_server_group'] as const;
export type ResizeAction = (typeof RESIZE_ACTIONS)[number];
/** Deck's older spelling: exact, percentage or increment. */
export const RESIZE_TYPES = ['exact', 'pct', 'incr'] as const;

export interface Capacity {
  readonly min?: number | Expression;
  readonly max?: number | Expression;
  readonly desired?: number | Expression;
}

export interface ResizeServerGroupConfig extends ServerGroupTargetConfig {
  readonly action: ResizeAction;
  readonly capacity: Capacity;
  readonly scalePct?: number | Expression;
  readonly scaleNum?: number | Expression;
  readonly resizeType?: (typeof RESIZE_TYPES)[number];
}

export type ResizeServerGroupStage = StageBase<'resizeServerGroup', ResizeServerGroupConfig>;

const instances = (what: string) => optional(numberOrExpression(what, { min: 0, integer: true }));

export const capacitySchema: z.ZodType<Capacity> = z.looseObject({
  min: instances('a minimum number of instances'),
  max: instances('a maximum number of instances'),
  desired: instances('a desired number of instances'),
});

const schema: z.ZodType<ResizeServerGroupConfig> = z.looseObject({
  ...serverGroupTargetFields,
  action: withDefault(oneOf(RESIZE_ACTIONS, 'the resize action'), 'scale_exact'),
  capacity: withDefault(capacitySchema, {}),
  scalePct: optional(numberOrExpression('a percentage', { min: 0 })),
  scaleNum: optional(numberOrExpression('a number of instances', { min: 0, integer: true })),
  resizeType: optional(oneOf(RESIZE_TYPES, 'the resize type')),
});

/** min ≤ desired ≤ max when they are numbers. */
export function checkCapacity(capacity: Capacity, path: ReadonlyArray<string | number>): ConfigIssue[] {
  const { min, max, desired } = capacity;
  const problems: string[] = [];
  if (typeof min === 'number' && typeof max === 'number' && min > max) problems.push(`min ${min} > max ${max}`);
  if (typeof min === 'number' && typeof desired === 'number' && desired < min) problems.push(`desired ${desired} < min ${min}`);
  if (typeof max === 'number' && typeof desired === 'number' && desired > max) problems.push(`desired ${desired} > max ${max}`);
  return problems.length === 0 ? [] : [error(path, 'invalid-value', `capacity is inconsistent (${problems.join(', ')}); use min ≤ desired ≤ max`)];
}

export const resizeServerGroupStageType = defineStageType({
  type: 'resizeServerGroup',
  description: 'Resizes a server group and waits until its capacity matches.',
  schema,
  expressionFields: ['capacity', 'scalePct', 'scaleNum'],
  plan: () => [
    { name: 'resizeServerGroup', kind: 'run' },
    { name: 'waitForCapacityMatch', kind: 'poll' },
  ],
  check: (config) => {
    const issues = [...checkServerGroupTarget(config), ...checkCapacity(config.capacity, ['capacity'])];
    const { action, capacity } = config;
    if (action === 'scale_exact' && capacity.min === undefined && capacity.max === undefined && capacity.desired === undefined) {
      issues.push(error(['capacity'], 'required', "'capacity' needs min, max or desired for scale_exact; add e.g. {\"min\": 2, \"max\": 4, \"desired\": 2}"));
    }
    if ((action === 'scale_up' || action === 'scale_down') && config.scalePct === undefined && config.scaleNum === undefined) {
      issues.push(error(['scaleNum'], 'required', `${action} needs scaleNum (instances) or scalePct (percent); add one, e.g. "scaleNum": 1`));
    }
    return issues;
  },
});
