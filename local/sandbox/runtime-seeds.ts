/**
 * What `--sandbox` seeds inside the runtime rather than in a simulated cloud: canary configs a
 * pipeline names that nobody saved, and stand-ins for the pipelines it reads artifacts from,
 * each run once (local/sandbox/kubernetes-canary-world.ts says what and why). Seeding never
 * replaces what exists: a saved config or pipeline of that id is used as it is.
 */
import type { Caller } from '../../core/execution/execution-service-api.ts';
import { isComplete } from '../../core/execution/status.ts';
import type { LocalRuntime } from '../wiring.ts';
import { isSandboxStandIn, sandboxCanaryConfig, type AssumedCanaryConfig, type AssumedStandInPipeline } from './kubernetes-canary-world.ts';
import type { SeededObject } from './kubernetes-sandbox.ts';

/** What a sandboxed run seeds in its runtime before the pipeline starts. */
export interface RuntimeSeeds {
  readonly canaryConfigs: readonly AssumedCanaryConfig[];
  readonly standIns: readonly AssumedStandInPipeline[];
}

/** How often a stand-in's run is read while it runs (wall-clock ms). */
const POLL_MS = 50;

/**
 * Saves the missing canary configs and stand-in pipelines, runs each stand-in once to its end;
 * answers what it seeded. `again` (a new simulated cloud behind saved pipelines, `up --sandbox`
 * starting): a stand-in the sandbox saved before runs once more, since what it deployed went
 * with the previous cloud.
 */
export async function seedRuntime(runtime: Pick<LocalRuntime, 'canaryConfigs' | 'service' | 'store'>, seeds: RuntimeSeeds, caller: Caller, options: { readonly again?: boolean } = {}): Promise<SeededObject[]> {
  const seeded: SeededObject[] = [];
  for (const assumed of seeds.canaryConfigs) {
    const existing = assumed.id !== undefined ? await runtime.canaryConfigs.get(assumed.id) : await runtime.canaryConfigs.findByName(assumed.name!);
    if (existing) continue;
    const id = assumed.id ?? `sandbox-${assumed.name!.replace(/[^A-Za-z0-9_-]/g, '-')}`;
    const saved = await runtime.canaryConfigs.save(id, sandboxCanaryConfig(assumed));
    seeded.push(
      saved.ok
        ? { kind: 'canary config', id: assumed.id ?? assumed.name!, detail: 'error ratio (critical) and mean latency of each scope\'s pods, from the simulated Prometheus' }
        : { kind: 'not seeded:', id: `canary config ${assumed.id ?? assumed.name!}`, detail: saved.message },
    );
  }
  for (const standIn of seeds.standIns) {
    const id = String(standIn.config['id']);
    const existing = await runtime.store.getPipelineConfig(id);
    if (existing && !(options.again && isSandboxStandIn(existing.config))) continue;
    const saved = existing ? ({ ok: true, saved: existing } as const) : await runtime.service.savePipeline({ config: standIn.config }, caller);
    if (!saved.ok) {
      const why = saved.reason === 'invalid' ? saved.issues.map((issue) => `${issue.pointer}: ${issue.message}`).join('; ') : saved.message;
      seeded.push({ kind: 'not seeded:', id: `pipeline ${id}`, detail: why });
      continue;
    }
    const started = await runtime.service.startPipeline({ application: saved.saved.application, pipeline: saved.saved.id, trigger: { type: 'manual', user: caller.user, parameters: standIn.parameters } }, caller);
    if (!started.ok) {
      seeded.push({ kind: 'not seeded:', id: `pipeline ${id}`, detail: started.message });
      continue;
    }
    let status = 'RUNNING';
    for (;;) {
      const execution = await runtime.store.getExecution(started.executionId);
      status = execution?.status ?? 'TERMINAL';
      if (!execution || isComplete(execution.status)) break;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    const given = Object.entries(standIn.parameters).map(([key, value]) => `${key}=${value}`).join(', ');
    seeded.push({
      kind: 'pipeline',
      id,
      detail: `stand-in '${saved.saved.name}' deploying ${standIn.deploys.join(', ')}; ran once${given ? ` with ${given}` : ''}: ${status}`,
    });
  }
  return seeded;
}
