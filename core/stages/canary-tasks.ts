/**
 * The canary's tasks: the `kayentaCanary` stage and the deploy stage's `canary` strategy, with
 * the analysis and the judge they share. Loaded on demand (`import()`) by the stage runner and the
 * deploy stage, so an invocation that runs no canary never loads them (on AWS a bundle of their
 * own beside the stage runner's: canary-tasks.mjs).
 */
export { runKayentaCanaryTask } from './kayenta-canary.ts';
export { runCanaryDeployTask } from './canary-deploy.ts';
