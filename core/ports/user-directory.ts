/**
 * Who a user is for access decisions: their roles and whether they are an admin. Locally the
 * users `gennaker user add` created (local/users.ts); on AWS one item per principal or service
 * account in the state table (adapters/dynamodb/users.ts). The trigger's `runAsUser` and the
 * IAM caller's principal are both looked up here.
 */

/** A known user (a person, an IAM principal, or a service account triggers run as). */
export interface DirectoryUser {
  readonly name: string;
  readonly roles: readonly string[];
  readonly admin: boolean;
}

/** Looks users up by name. */
export interface UserDirectory {
  /** The user of this name (exact, case-sensitive), or undefined when there is none. */
  find(name: string): Promise<DirectoryUser | undefined>;
}
