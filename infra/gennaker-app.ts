/**
 * Builds the CDK app `cdk.json` runs (infra/app.ts) and the tests synthesize: the Gennaker
 * stack configured from context, checked by cdk-nag's AwsSolutions pack. A finding that is not
 * suppressed with a reason (infra/nag.ts) is an error annotation, which fails `cdk synth`.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { stackPropsFromContext } from './context.ts';
import { GennakerStack } from './stack.ts';

/** Adds the Gennaker stack, configured from the app's context, and the cdk-nag checks. */
export function addGennakerStack(app: App): GennakerStack {
  const { stackName, props } = stackPropsFromContext((key) => app.node.tryGetContext(key));
  const stack = new GennakerStack(app, stackName, {
    ...props,
    description: 'Gennaker: serverless continuous delivery (Spinnaker-compatible pipelines on Step Functions)',
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return stack;
}
