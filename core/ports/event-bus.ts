/**
 * Gennaker's own events (EventBridge custom bus on AWS, an in-process bus locally). A
 * completed execution drives `pipeline` triggers and notifications through here; a stage's
 * transitions come here only when the stage has notifications (Orca's stage listener events,
 * without the traffic of stages nobody listens to).
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

/**
 * What happened to a stage, as Echo names it: `starting`, `complete` (SUCCEEDED), `failed`
 * (any other end), `skipped`; and for a manual judgment, `manualJudgment` (it waits for a
 * judgment), `manualJudgmentContinue` and `manualJudgmentStop` (it was judged).
 */
export type StagePhase = 'starting' | 'complete' | 'failed' | 'skipped' | 'manualJudgment' | 'manualJudgmentContinue' | 'manualJudgmentStop';

export interface StageExecutionChanged {
  readonly type: 'Stage Execution Changed';
  readonly executionId: string;
  readonly application: string;
  readonly pipelineConfigId: string;
  readonly pipelineName: string;
  readonly stageId: string;
  readonly stageRefId: string;
  readonly stageName: string;
  readonly phase: StagePhase;
  readonly status: ExecutionStatus;
  readonly time: number;
}

export type GennakerEvent = PipelineExecutionCompleted | PipelineExecutionStarted | StageExecutionChanged;

export interface EventBus {
  publish(event: GennakerEvent): Promise<void>;
}
