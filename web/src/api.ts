/**
 * The API client of the page: every call carries the user's token (kept in session storage, for
 * this tab only, never in a URL); a 401 forgets it and shows the login form again.
 */
import type { Issue } from './model.ts';

const TOKEN_KEY = 'gennaker.token';

/** A refused call: the API's one-line message, its status, and the located issues of an invalid document. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly issues: readonly Issue[] = [],
  ) {
    super(message);
  }
}

/** The token of this tab, if logged in. */
export function token(): string | undefined {
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

export function saveToken(value: string): void {
  sessionStorage.setItem(TOKEN_KEY, value);
}

/** Forgets the token and tells the page to show the login form. */
export function logout(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  window.dispatchEvent(new Event('gennaker:logout'));
}

/** One call to the API on this server; the JSON answer, or an ApiError with its message. */
export async function api<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const text = await call(method, path, 'application/json', body, signal);
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

/** A GET of a page the API serves as HTML (the canary report); the text, or an ApiError. */
export function apiHtml(path: string): Promise<string> {
  return call('GET', path, 'text/html');
}

async function call(method: string, path: string, accept: string, body?: unknown, signal?: AbortSignal): Promise<string> {
  const headers: Record<string, string> = { accept };
  const bearer = token();
  if (bearer !== undefined) headers['authorization'] = `Bearer ${bearer}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const init: RequestInit = { method, headers, cache: 'no-store' };
  if (body !== undefined) init.body = JSON.stringify(body);
  if (signal !== undefined) init.signal = signal;
  const response = await fetch(path, init);
  const text = await response.text();
  if (!response.ok) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const answer = (json ?? {}) as { error?: unknown; issues?: unknown };
    const message = typeof answer.error === 'string' ? answer.error : `${method} ${path} answered ${response.status}`;
    if (response.status === 401) logout();
    throw new ApiError(response.status, message, Array.isArray(answer.issues) ? (answer.issues as Issue[]) : []);
  }
  return text;
}

/** `encodeURIComponent` for a path segment. */
export const seg = encodeURIComponent;
