/**
 * The API's Lambda entry, thin: Hono's aws-lambda adapter around the same app `gennaker up`
 * serves. The cloud composition root (functions/wiring.ts, not written yet) builds the deps once
 * per cold start and calls `createApiHandler`.
 */
import { handle } from 'hono/aws-lambda';
import type { ApiDeps } from './app.ts';
import { createApiApp } from './app.ts';

export function createApiHandler(deps: ApiDeps): ReturnType<typeof handle> {
  return handle(createApiApp(deps));
}
