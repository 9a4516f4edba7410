/**
 * Gennaker's own events (EventBridge custom bus on AWS, an in-process bus locally). A
 * completed execution drives `pipeline` triggers and notifications through here.
 */
import type { ExecutionStatus } from '../execution/status.ts';

export interface PipelineExecutionCompleted {
  readonly type: 'Pipeline Execution Completed';
  readonly executionId: string;
  readonly application: string;
  readonly pipelineConfigId: string;
  readonly pipelineName: string;
  readonly status: ExecutionStatus;
  readonly endTime: number;
}

export interface PipelineExecutionStarted {
  readonly type: 'Pipeline Execution Started';
  readonly executionId: string;
  readonly application: string;
  readonly pipelineConfigId: string;
  readonly pipelineName: string;
  readonly startTime: number;
}

export type GennakerEvent = PipelineExecutionCompleted | PipelineExecutionStarted;

export interface EventBus {
  publish(event: GennakerEvent): Promise<void>;
}
