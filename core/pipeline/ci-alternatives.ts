/**
 * What to use on AWS instead of Spinnaker's CI integrations (Jenkins, Travis), which Gennaker does
 * not talk to: the save-time "not supported yet" line names it, so a pipeline author knows the way
 * on rather than only what is missing.
 */

/** The CI systems whose stages and triggers are answered with an AWS alternative. */
export const CI_TYPES_WITH_AWS_ALTERNATIVE = ['jenkins', 'travis'] as const;

const isCiType = (type: string): boolean => (CI_TYPES_WITH_AWS_ALTERNATIVE as readonly string[]).includes(type);

/** The alternative to a CI stage type, as a parenthesis for the "not supported yet" line; '' for other types. */
export function stageAlternative(type: string): string {
  return isCiType(type) ? ` (on AWS, run the build with an awsCodeBuild stage: an AWS CodeBuild project with source, environmentVariables and buildspec overrides)` : '';
}

/** The alternative to a CI trigger type, as a parenthesis for the "not supported yet" line; '' for other types. */
export function triggerAlternative(type: string): string {
  return isCiType(type)
    ? ` (on AWS, build with AWS CodeBuild and start this pipeline from the build's notification: a pubsub trigger with pubsubSystem 'amazon' on the SQS queue its SNS topic feeds)`
    : '';
}
