/**
 * Saving an `awsCodeBuild` stage (Orca's AwsCodeBuildStage fields): what is required, what
 * CodeBuild would refuse, and the three steps it compiles to; and the pure parts of its runtime
 * (Orca's source type inference, the S3 artifact, the console link, the poll interval).
 */
import { describe, expect, it } from 'vitest';
import { planStage } from '../../../core/pipeline/stage-types/index.ts';
import { parsePipeline } from '../../../core/pipeline/parse.ts';
import { buildConsoleUrl, codeBuildWaitSeconds, s3ArtifactOf, sourceTypeOf } from '../../../core/stages/aws-code-build.ts';
import { DEFAULT_STAGE_TIMEOUTS_MS } from '../../../core/execution/stage-runner.ts';
import { errorsOf, pipeline } from './builders.ts';

const build = (fields: Record<string, unknown>) => pipeline([{ refId: '1', type: 'awsCodeBuild', name: 'Build', account: 'prod', projectName: 'app-build', ...fields }]);

describe('the awsCodeBuild stage at save', () => {
  it('accepts Orca’s fields and plans start, monitor and artifacts', () => {
    const parsed = parsePipeline(build({ source: { sourceOverride: true, sourceArtifact: { artifactId: 'src' }, buildspec: 'buildspec.yml' }, secondarySources: [{ sourceArtifact: { artifactId: 'assets' } }], environmentVariables: { TAG: '${trigger.tag}' }, image: 'aws/codebuild/standard:8.0' }));
    expect(parsed.issues.filter((issue) => issue.severity === 'error')).toEqual([]);
    expect(planStage(parsed.pipeline!.stages[0]!).map((step) => `${step.name}:${step.kind}`)).toEqual(['startAwsCodeBuildTask:run', 'monitorAwsCodeBuildTask:poll', 'getAwsCodeBuildArtifactsTask:run']);
  });

  it.each([
    [{ projectName: undefined }, '/stages/0/projectName', "'projectName' is required"],
    [{ environmentVariables: { CODEBUILD_X: '1' } }, '/stages/0/environmentVariables/CODEBUILD_X', "'CODEBUILD_X' starts with CODEBUILD_, which CodeBuild reserves for its own variables; rename it"],
    [{ environmentVariables: { '1X': '1' } }, '/stages/0/environmentVariables/1X', "'1X' is not an environment variable name; use letters, digits and '_', not starting with a digit"],
    [{ environmentVariables: { N: 7 } }, '/stages/0/environmentVariables/N', 'expected a text value, got 7; quote it'],
    [{ source: { sourceOverride: true } }, '/stages/0/source/sourceArtifact', "'sourceArtifact' is required when sourceOverride is true"],
    [{ secondarySources: [{ sourceVersion: 'v1' }] }, '/stages/0/secondarySources/0/sourceArtifact', "'sourceArtifact' is required for a secondary source"],
  ])('refuses %j', (fields, pointer, message) => {
    const errors = errorsOf(build(fields));
    expect(errors).toHaveLength(1);
    expect(errors[0]!.pointer).toBe(pointer);
    expect(errors[0]!.message).toContain(message);
  });
});

describe('the awsCodeBuild runtime, pure parts', () => {
  it.each([
    [{ type: 's3/object', reference: 's3://b/k.zip' }, 'S3'],
    [{ type: 'git/repo', reference: 'https://github.com/acme/app.git' }, 'GITHUB'],
    [{ type: 'git/repo', reference: 'https://me@bitbucket.org/acme/app.git' }, 'BITBUCKET'],
    [{ type: 'git/repo', reference: 'https://git-codecommit.us-east-1.amazonaws.com/v1/repos/app' }, 'CODECOMMIT'],
  ])('infers the source type of %j as Orca does', (artifact, type) => {
    expect(sourceTypeOf(artifact)).toEqual({ ok: true, type });
  });

  it('says why a source type cannot be inferred', () => {
    expect(sourceTypeOf({ type: 'git/repo', reference: 'https://gitlab.com/a/b.git' })).toEqual({ ok: false, message: "the source type of git/repo 'https://gitlab.com/a/b.git' cannot be inferred (GitHub, Bitbucket and CodeCommit URLs can); set sourceType" });
    expect(sourceTypeOf({ type: 'docker/image', reference: 'x' })).toMatchObject({ ok: false, message: expect.stringContaining('use an s3/object or git/repo artifact') });
  });

  it('turns an S3 location into an s3/object artifact and a build ARN into its console page', () => {
    expect(s3ArtifactOf('arn:aws:s3:::bucket/path/app.zip')).toEqual({ type: 's3/object', reference: 's3://bucket/path/app.zip', name: 's3://bucket/path/app.zip', artifactAccount: 's3' });
    expect(buildConsoleUrl('arn:aws:codebuild:eu-west-1:123456789012:build/app:1234')).toBe('https://eu-west-1.console.aws.amazon.com/codesuite/codebuild/projects/app/build/app%3A1234/log?region=eu-west-1');
    expect(buildConsoleUrl('not an arn')).toBeUndefined();
  });

  it('polls every 10 s for the first minute, then every 30 s', () => {
    expect([1, 6, 7, 100].map(codeBuildWaitSeconds)).toEqual([10, 10, 30, 30]);
    // for up to 8 hours, Orca's MonitorAwsCodeBuildTask timeout, unless stageTimeoutMs says otherwise
    expect(DEFAULT_STAGE_TIMEOUTS_MS.awsCodeBuild).toBe(8 * 60 * 60 * 1000);
  });
});
