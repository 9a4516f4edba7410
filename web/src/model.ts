/**
 * The API's answers as the dashboard reads them: only the fields it shows, all JSON (Orca's and
 * Front50's shapes keep more). Pure types; no DOM.
 */

/** Orca's statuses. */
export type Status = 'NOT_STARTED' | 'RUNNING' | 'PAUSED' | 'SUSPENDED' | 'SUCCEEDED' | 'FAILED_CONTINUE' | 'TERMINAL' | 'CANCELED' | 'REDIRECT' | 'STOPPED' | 'SKIPPED' | 'BUFFERED';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface Task {
  readonly id: string;
  readonly name: string;
  readonly status: Status;
  readonly startTime: number | null;
  readonly endTime: number | null;
}

export interface Stage {
  readonly id: string;
  readonly refId: string;
  readonly type: string;
  readonly name: string;
  readonly status: Status;
  readonly context: JsonObject;
  readonly outputs: JsonObject;
  readonly startTime: number | null;
  readonly endTime: number | null;
  readonly requisiteStageRefIds: readonly string[];
  readonly parentStageId?: string;
  readonly syntheticStageOwner?: 'STAGE_BEFORE' | 'STAGE_AFTER';
  readonly tasks?: readonly Task[];
}

export interface Execution {
  readonly id: string;
  readonly application: string;
  readonly name: string;
  readonly pipelineConfigId: string;
  readonly status: Status;
  readonly buildTime: number;
  readonly startTime: number | null;
  readonly endTime: number | null;
  readonly canceled: boolean;
  readonly cancellationReason: string | null;
  readonly trigger: JsonObject;
  readonly stages: readonly Stage[];
}

export interface ParameterConfig {
  readonly name: string;
  readonly label?: string;
  readonly description?: string;
  readonly default?: string;
  readonly required?: boolean;
  readonly hasOptions?: boolean;
  readonly options?: readonly { readonly value: string }[];
}

export interface PipelineConfig {
  readonly id: string;
  readonly application: string;
  readonly name: string;
  readonly version: number;
  readonly updateTs?: number;
  readonly lastModifiedBy?: string;
  readonly disabled?: boolean;
  readonly parameterConfig?: readonly ParameterConfig[];
  readonly [key: string]: unknown;
}

export interface Application {
  readonly name: string;
  readonly email?: string;
  readonly updateTs?: number;
}

/** What the caller may do on an application (`GET /applications/{app}/permissions`). */
export interface Rights {
  readonly user: string;
  readonly admin: boolean;
  readonly READ: boolean;
  readonly WRITE: boolean;
  readonly EXECUTE: boolean;
}

/** A located problem of a pipeline document. */
export interface Issue {
  readonly pointer: string;
  readonly code: string;
  readonly message: string;
  readonly severity?: 'error' | 'warning';
}

export interface Instance {
  readonly id: string;
  readonly health: string;
  readonly outOfService?: boolean;
  readonly draining?: boolean;
}

export interface ServerGroup {
  readonly name: string;
  readonly location: string;
  readonly createdTime: number;
  readonly capacity: { readonly min: number; readonly max: number; readonly desired: number };
  readonly disabled: boolean;
  readonly draining?: boolean;
  readonly instances: readonly Instance[];
  readonly trafficWeight?: number;
  readonly artifact?: { readonly type?: string; readonly name?: string; readonly reference?: string; readonly version?: string };
}

export interface ClusterView {
  readonly account: string;
  readonly cluster: string;
  readonly regions: readonly { readonly location: string; readonly endpoint?: string; readonly serverGroups: readonly ServerGroup[] }[];
}
