/**
 * The API's Lambda entry, thin: Hono's aws-lambda adapter around the same app `gennaker up`
 * serves, with the publishing runtime (functions/publishing-wiring.ts: the shared cloud runtime
 * plus cron schedules, no stage runner) built once per cold start and callers identified by the
 * IAM identity API Gateway verified (iam-authenticator.ts). Saving a pipeline publishes it inline
 * (functions/wiring.ts explains why).
 */
import { handle } from 'hono/aws-lambda';
import type { ApiDeps } from './app.ts';
import { createApiApp } from './app.ts';
import { createIamAuthenticator } from './iam-authenticator.ts';
import { publishingRuntimeForColdStart } from '../publishing-wiring.ts';
import type { CloudRuntime } from '../wiring.ts';

export type ApiHandler = ReturnType<typeof handle>;

export function createApiHandler(deps: ApiDeps): ApiHandler {
  return handle(createApiApp(deps));
}

/** The API deps of a cloud runtime. */
export function cloudApiDeps(runtime: CloudRuntime): ApiDeps {
  return {
    service: runtime.service,
    store: runtime.store,
    canaryConfigs: runtime.canaryConfigs,
    pipelineTemplates: runtime.pipelineTemplates,
    accounts: runtime.accounts,
    audit: runtime.audit,
    clock: { now: () => Date.now() },
    auth: createIamAuthenticator({ users: runtime.users }),
    authHint: 'sign the request with AWS Signature Version 4 (IAM credentials allowed to invoke this API)',
    log: ({ level, message, error }) => runtime.log({ level, message, ...(error === undefined ? {} : { error }) }),
    ...(runtime.env.bodyLimits ? { bodyLimits: runtime.env.bodyLimits } : {}),
    ...(runtime.triggerSecrets ? { triggerSecrets: runtime.triggerSecrets } : {}),
    ...(runtime.env.preconfiguredWebhooks ? { preconfiguredWebhooks: runtime.env.preconfiguredWebhooks } : {}),
    notificationTypes: async () => (await import('./notification-types.ts')).notificationTypesOf(runtime.env.notificationSettings, 'aws'),
  };
}

let api: ApiHandler | undefined;

export const handler: ApiHandler = (event, context) => {
  api ??= createApiHandler(cloudApiDeps(publishingRuntimeForColdStart()));
  return api(event, context);
};
