/**
 * One account's API server over REST, through client-node's own HTTP machinery: its `KubeConfig`
 * authenticates each request (client certificates, bearer tokens and token files, exec and auth
 * providers, the cluster's CA or `skipTLSVerify`), its fetch library sends it, and a non-2xx
 * answer throws its `ApiException` (status in `code`, the server's `Status` as a JSON string in
 * `body`), exactly as the generated APIs do.
 *
 * Why not the generated typed APIs or `KubernetesObjectApi` for the objects themselves: their
 * serializer rebuilds known kinds from the OpenAPI model, dropping any field it does not know and
 * turning timestamps into `Date`s, and they cannot send a JSON patch or reach `/scale` of an
 * arbitrary kind. Manifests must reach the server as written and come back as plain JSON, so
 * bodies are JSON both ways here and paths come from discovery (discovery.ts).
 */
import { ApiException, IsomorphicFetchHttpLibrary, ServerConfiguration, type HttpMethod, type KubeConfig } from '@kubernetes/client-node';

/** One request: a path under the server, its query, and a JSON body. */
export interface KubernetesRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** `/apis/apps/v1/namespaces/default/replicasets/web-v001` */
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  /** Sent as JSON (a JSON body is valid YAML, so server-side apply takes it too). */
  readonly body?: unknown;
  /** @default 'application/json' when there is a body */
  readonly contentType?: string;
  /** Answer the body as text (pod logs) instead of JSON. @default false */
  readonly text?: boolean;
}

/** Sends requests to one account's API server. */
export interface KubernetesRest {
  /** The parsed JSON answer (or the text, with `text`); throws `ApiException` or the network's error. */
  send(request: KubernetesRequest): Promise<unknown>;
}

export interface KubernetesRestOptions {
  /** The account's kubeconfig, its current context chosen. */
  readonly kubeConfig: KubeConfig;
  /**
   * A bearer token minted per request (an EKS token from STS), put in place of the kubeconfig
   * user's credentials. @default the kubeconfig user's own
   */
  readonly bearerToken?: () => Promise<string>;
  /** A request unanswered this long is abandoned (the port answers `unavailable`). @default 30_000 */
  readonly timeoutMs?: number;
}

/** The account's server over REST; throws when the kubeconfig names no cluster. */
export function createKubernetesRest(options: KubernetesRestOptions): KubernetesRest {
  const { kubeConfig } = options;
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error(`the kubeconfig's current context '${kubeConfig.getCurrentContext()}' names no cluster`);
  const server = new ServerConfiguration(cluster.server.replace(/\/+$/, ''), {});
  const http = new IsomorphicFetchHttpLibrary();
  const timeoutMs = options.timeoutMs ?? 30_000;

  return {
    async send(request) {
      const context = server.makeRequestContext(request.path, request.method as HttpMethod);
      for (const [name, value] of Object.entries(request.query ?? {})) {
        if (value !== undefined) context.setQueryParam(name, String(value));
      }
      context.setHeaderParam('Accept', request.text ? 'text/plain, */*;q=0.8' : 'application/json, */*;q=0.8');
      if (request.body !== undefined) {
        context.setHeaderParam('Content-Type', request.contentType ?? 'application/json');
        context.setBody(JSON.stringify(request.body));
      }
      await kubeConfig.applySecurityAuthentication(context);
      if (options.bearerToken) context.setHeaderParam('Authorization', `Bearer ${await options.bearerToken()}`);
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), timeoutMs);
      context.setSignal(abort.signal);
      try {
        const response = await http.send(context).toPromise();
        const text = await response.body.text();
        if (response.httpStatusCode < 200 || response.httpStatusCode > 299) {
          // The shape the generated APIs throw: callers parse `body` for the server's Status.
          throw new ApiException<string>(response.httpStatusCode, 'Unknown API Status Code!', text, response.headers);
        }
        if (request.text) return text;
        return text === '' ? undefined : (JSON.parse(text) as unknown);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
