/**
 * Outbound HTTP for stage tasks (webhook stages, URL helpers). The adapter enforces the
 * outbound allowlist, so a pipeline cannot reach the control plane or metadata endpoints.
 */

export interface HttpRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Sent as given; JSON bodies are serialized by the caller. */
  readonly body?: string;
  /** @default 30_000 */
  readonly timeoutMs?: number;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Why a request was not answered: a value, so tasks decide retry versus fail. */
export type HttpFailure =
  | { readonly kind: 'refused-by-allowlist'; readonly message: string }
  /** The answer's body was longer than the client's cap (retrying would bring the same). */
  | { readonly kind: 'too-large'; readonly message: string }
  | { readonly kind: 'network'; readonly message: string }
  | { readonly kind: 'timeout'; readonly message: string };

export type HttpResult = { readonly ok: true; readonly response: HttpResponse } | { readonly ok: false; readonly failure: HttpFailure };

export interface HttpClient {
  send(request: HttpRequest): Promise<HttpResult>;
}
