/**
 * Accounts (DESIGN.md §6): the names pipelines deploy to (`clusters[].account`, `credentials`),
 * each naming a cloud and where it may act — Clouddriver's credentials repository, reduced to
 * what Gennaker needs. The composition roots build the registry: locally the built-in `local`
 * account plus the accounts file of the data directory; on AWS the accounts of the CDK context.
 * Pipelines are checked against it when saved (core/accounts/pipeline-accounts.ts), and the API
 * serves it as Gate's `GET /credentials`.
 *
 * Pure types: no I/O.
 */

/** One account, in the terms of Clouddriver's account details. */
export interface Account {
  /** The name pipelines use (`account`, `credentials`). */
  readonly name: string;
  /** The cloud it deploys to: `local`, `aws`, `ecs`, `gce`, `kubernetes`... (Gate's `type` and `cloudProvider`). */
  readonly cloudProvider: string;
  /** A grouping for people (Clouddriver's `accountType`). @default the name */
  readonly accountType: string;
  /** The environment it belongs to, e.g. `prod` (Clouddriver's `environment`). @default the name */
  readonly environment: string;
  /** Where it may deploy: regions (`local` on this machine). */
  readonly regions: readonly string[];
  /** The cloud's own id of the account, when it has one (AWS: the 12 digits). */
  readonly accountId?: string;
  /** The role assumed to act in it (AWS). */
  readonly assumeRole?: string;
  /** The ExternalId passed when assuming `assumeRole`, when its trust policy asks for one (AWS). Not shown by the API. */
  readonly externalId?: string;
  /**
   * The role the API assumes to read the account (its cluster and server-group routes), when it
   * is not `assumeRole`: a role that may only describe (AWS). @default assumeRole
   */
  readonly readRole?: string;
  /**
   * Traffic by weight, beyond Spinnaker (`aws` and `gce` accounts): an EC2 cluster with its own
   * `weightedTraffic` target groups and listener, or a GCE backend's capacityScaler, so `strategy:
   * canary` and rolling red/black move traffic by percentage instead of whole server groups.
   * @default false: whole server groups in and out of their load balancers, as Spinnaker
   */
  readonly weightedTraffic?: boolean;
  /**
   * The task execution role of an `ecs` account: ECS pulls a Fargate task's image and writes its
   * awslogs with it when the task definition names none. @default assumeRole, as clouddriver
   * (that role must then trust ecs-tasks.amazonaws.com)
   */
  readonly executionRoleArn?: string;
  /**
   * How a `kubernetes` account reaches its API server (`kubeconfigFile`, `kubeconfig`, `context`,
   * `serviceAccount`, `namespaces`, `eks`), carried as written; the Kubernetes adapter parses
   * them. Not shown by the API (an inline kubeconfig may hold credentials).
   */
  readonly kubernetes?: Readonly<Record<string, unknown>>;
  /** Where a `gce` account deploys and how it signs in. Not shown by the API. */
  readonly gce?: GceAccountSettings;
}

/** A `gce` account's own settings, as clouddriver's Google accounts name them. */
export interface GceAccountSettings {
  /** The Google Cloud project it deploys into. */
  readonly project: string;
  /** A service account key file; absent: Application Default Credentials. */
  readonly jsonPath?: string;
  /** Projects searched for images besides `project` (`ubuntu-os-cloud`...). */
  readonly imageProjects?: readonly string[];
  /** Where Compute Engine answers when not at Google's endpoint: https (a private endpoint), or http on this machine (a simulator). */
  readonly apiEndpoint?: string;
}

/** The accounts this Gennaker knows, by name (exact, as Spinnaker compares them). */
export interface AccountRegistry {
  /** Every account, by name. */
  list(): readonly Account[];
  get(name: string): Account | undefined;
}
