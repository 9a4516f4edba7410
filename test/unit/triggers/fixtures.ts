/** Pipelines for trigger tests: parsed the way the store's configs are. */
import type { Pipeline } from '../../../core/pipeline/model.ts';
import { parsePipeline } from '../../../core/pipeline/parse.ts';

let counter = 0;

export function triggered(triggers: unknown[], extra: Record<string, unknown> = {}): Pipeline {
  counter += 1;
  const input = {
    application: 'hello',
    name: `Pipeline ${counter}`,
    id: `p-${counter}`,
    stages: [{ refId: '1', requisiteStageRefIds: [], type: 'wait', name: 'Wait', waitTime: 1 }],
    triggers,
    ...extra,
  };
  const { pipeline, issues } = parsePipeline(input);
  if (pipeline === undefined) throw new Error(`test pipeline is invalid: ${JSON.stringify(issues)}`);
  return pipeline;
}
