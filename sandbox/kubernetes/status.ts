/**
 * The API server's `Status` answers (reference/cloud-targets.md §6.4): every failure is a
 * `{kind: "Status", status: "Failure", reason, message, details, code}` body with the same HTTP
 * status, and the messages are the API server's own wording so a caller's one-line error reads as
 * it would against a real cluster.
 */

/** A `Status` failure the handlers throw and the router answers. */
export class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  /** The wire body. */
  body(): Record<string, unknown> {
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason, details: this.details, code: this.code };
  }
}

/** What an error names: the resource (`replicasets`), its group (`apps`, '' for core) and the object's name. */
export interface Subject {
  readonly group: string;
  readonly plural: string;
  readonly name?: string;
}

/** `replicasets.apps` or `pods`: how the API server names a resource in messages. */
export function qualified(group: string, plural: string): string {
  return group === '' ? plural : `${plural}.${group}`;
}

function details(subject: Subject, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...(subject.name !== undefined ? { name: subject.name } : {}), ...(subject.group !== '' ? { group: subject.group } : {}), kind: subject.plural, ...extra };
}

/** 404 `replicasets.apps "x" not found`. */
export function notFound(subject: Subject): StatusError {
  return new StatusError(404, 'NotFound', `${qualified(subject.group, subject.plural)} "${subject.name ?? ''}" not found`, details(subject));
}

/** 409 `replicasets.apps "x" already exists`. */
export function alreadyExists(subject: Subject): StatusError {
  return new StatusError(409, 'AlreadyExists', `${qualified(subject.group, subject.plural)} "${subject.name ?? ''}" already exists`, details(subject));
}

/** 409 Conflict: a write carried a resourceVersion that is no longer the live one. */
export function conflict(subject: Subject, why = 'the object has been modified; please apply your changes to the latest version and try again'): StatusError {
  return new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(subject.group, subject.plural)} "${subject.name ?? ''}": ${why}`, details(subject));
}

/** One invalid field, as the API server lists it in `details.causes`. */
export interface FieldCause {
  readonly field: string;
  /** `Invalid value: "Bad": a lowercase RFC 1123 …`, `Required value`, … */
  readonly message: string;
  readonly reason?: string;
}

/** 422 Invalid: `ReplicaSet.apps "x" is invalid: spec.template.metadata.labels: Invalid value: …`. */
export function invalid(kind: string, group: string, name: string, causes: readonly FieldCause[]): StatusError {
  const kindName = group === '' ? kind : `${kind}.${group}`;
  const text = causes.map((c) => `${c.field}: ${c.message}`);
  const message = `${kindName} "${name}" is invalid: ${text.length === 1 ? text[0] : `[${text.join(', ')}]`}`;
  return new StatusError(422, 'Invalid', message, {
    name,
    ...(group !== '' ? { group } : {}),
    kind,
    causes: causes.map((c) => ({ reason: c.reason ?? 'FieldValueInvalid', message: c.message, field: c.field })),
  });
}

/** 400 BadRequest with the API server's message. */
export function badRequest(message: string): StatusError {
  return new StatusError(400, 'BadRequest', message);
}

/** 404 for a path inside a known API group version that names no resource. */
export function noSuchResource(): StatusError {
  return new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});
}

/** 405 for a verb the resource does not support. */
export function methodNotAllowed(): StatusError {
  return new StatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});
}

/** 415 for a PATCH content type the resource does not take (strategic merge on a custom resource). */
export function unsupportedMediaType(accepted: readonly string[]): StatusError {
  return new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`);
}

/** The success `Status` a DELETE answers when the object is gone at once. */
export function successStatus(subject: Subject, uid: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: details(subject, { uid }) };
}
