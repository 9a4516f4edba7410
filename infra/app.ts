/**
 * The CDK app `cdk.json` points at (`npx tsx infra/app.ts`). Environment-agnostic: synthesis
 * needs no AWS account or credentials. Configure with context, e.g.
 * `npx cdk deploy -c prefix=gennaker -c logRetentionDays=90` (infra/context.ts lists the keys).
 */
import { App } from 'aws-cdk-lib';
import { addGennakerStack } from './gennaker-app.ts';

const app = new App();
addGennakerStack(app);
app.synth();
