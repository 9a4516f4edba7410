/**
 * The CDK app `cdk.json` points at. The AWS stack (tables, functions, API, EventBridge rules,
 * Scheduler, roles) is not built yet; until it is, synthesizing says so plainly instead of
 * producing an empty stack that looks deployable.
 */
process.stderr.write(
  'gennaker: the AWS stack is not available yet; run pipelines locally with `npx gennaker run` meanwhile\n',
);
process.exitCode = 1;
