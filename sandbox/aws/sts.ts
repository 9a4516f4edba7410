/**
 * Simulated STS (awsQuery, Version 2011-06-15): `AssumeRole` for seeded roles and
 * `GetCallerIdentity`. Roles are strict as IAM is: a role nobody seeded, or a wrong external id,
 * answers AccessDenied (403), the answer a real account gives for a role it does not trust you on.
 *
 * A session assumed with an inline session policy (`Policy`) may call only the actions its
 * `Allow` statements name (IAM's `service:Action`, `*` and `?` wildcards, case-insensitive), as
 * AWS grants the intersection of the role's and the session's policies; seeded roles themselves
 * allow everything, so the session policy alone decides (`deniedBySession`, asked by the router).
 */
import { credentialScope } from './router.ts';
import { awsQueryError, awsQueryResponse, int, isoTime, QueryError, queryParams, queryTree, required, str, type QueryNode } from './query-protocol.ts';
import { upperAlnum } from './random.ts';
import type { AwsServiceSim, SimContext, SimRequest, SimResponse } from './service.ts';

const XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const PROTOCOL = { kind: 'awsQuery', xmlns: XMLNS, version: '2011-06-15' } as const;

/** A role callers may assume. */
export interface SeedRole {
  /** `arn:aws:iam::<12 digits>:role/<path/>name`. */
  readonly arn: string;
  /** When set, AssumeRole must pass exactly this ExternalId. */
  readonly externalId?: string;
  /** Longest session in seconds (default 3600, as IAM's default MaxSessionDuration). */
  readonly maxSessionSeconds?: number;
}

interface Session {
  readonly accessKeyId: string;
  readonly roleArn: string;
  readonly roleId: string;
  readonly sessionName: string;
  readonly externalId?: string;
  readonly time: number;
  readonly expiration: number;
  /** The action patterns the session policy allows; absent: no session policy. */
  readonly allowed?: readonly RegExp[];
}

/** Seeding STS: the roles that may be assumed. */
export interface StsSeeder {
  role(role: SeedRole): { arn: string };
}

/** The STS simulator plus its seeding API. */
export interface StsSim extends AwsServiceSim {
  bindSeed(context: () => SimContext): StsSeeder;
  /** Why a call of `action` (`service:Action`) signed with `accessKeyId` is refused by its session policy, or undefined when it is not. */
  deniedBySession(accessKeyId: string | undefined, action: string): string | undefined;
  /** The role (ARN) whose session signed with `accessKeyId`, or undefined for a key that is no session's. */
  roleOf(accessKeyId: string | undefined): string | undefined;
}

/** The `Allow`ed action patterns of a session policy document; throws MalformedPolicyDocument as STS does. */
function sessionPolicyActions(text: string): RegExp[] {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new QueryError('MalformedPolicyDocument', 'The policy is not in the valid JSON format.');
  }
  const statements = (document as { Statement?: unknown })?.Statement;
  const list = Array.isArray(statements) ? statements : statements !== undefined ? [statements] : [];
  if (list.length === 0) throw new QueryError('MalformedPolicyDocument', 'Syntax errors in policy.');
  const patterns: RegExp[] = [];
  for (const statement of list as Array<{ Effect?: unknown; Action?: unknown }>) {
    if (statement?.Effect !== 'Allow') continue;
    const actions = typeof statement.Action === 'string' ? [statement.Action] : Array.isArray(statement.Action) ? statement.Action : [];
    for (const action of actions) {
      if (typeof action !== 'string') throw new QueryError('MalformedPolicyDocument', 'Syntax errors in policy.');
      const source = action.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
      patterns.push(new RegExp(`^${source}$`, 'i'));
    }
  }
  return patterns;
}

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;

/** Creates the STS simulator. */
export function createStsSim(): StsSim {
  const roles = new Map<string, SeedRole & { roleId: string }>();
  const sessions = new Map<string, Session>();

  const addRole = (ctx: SimContext, role: SeedRole) => {
    if (!ROLE_ARN.test(role.arn)) throw new Error(`role arn '${role.arn}' is not an IAM role ARN (arn:aws:iam::<12 digits>:role/<name>)`);
    roles.set(role.arn, { ...role, roleId: `AROA${upperAlnum(ctx.random, 17)}` });
    return { arn: role.arn };
  };

  const assumeRole = (params: QueryNode, req: SimRequest, ctx: SimContext) => {
    const roleArn = required(params, 'RoleArn');
    const sessionName = required(params, 'RoleSessionName');
    if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) {
      throw new QueryError('ValidationError', `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`);
    }
    const match = ROLE_ARN.exec(roleArn);
    if (!match) throw new QueryError('ValidationError', `${roleArn} is invalid`);
    const caller = callerArn(req, ctx);
    const role = roles.get(roleArn);
    const externalId = str(params, 'ExternalId');
    if (!role || (role.externalId !== undefined && role.externalId !== externalId)) {
      throw new QueryError('AccessDenied', `User: ${caller} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`, 403);
    }
    const duration = int(params, 'DurationSeconds') ?? 3600;
    if (duration < 900) throw new QueryError('ValidationError', `1 validation error detected: Value '${duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900`);
    if (duration > (role.maxSessionSeconds ?? 3600)) throw new QueryError('ValidationError', 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
    const policy = str(params, 'Policy');
    const allowed = policy === undefined ? undefined : sessionPolicyActions(policy);
    const accessKeyId = `ASIA${upperAlnum(ctx.random, 16)}`;
    const expiration = ctx.now() + duration * 1000;
    const session: Session = { accessKeyId, roleArn, roleId: role.roleId, sessionName, ...(externalId !== undefined ? { externalId } : {}), time: ctx.now(), expiration, ...(allowed ? { allowed } : {}) };
    sessions.set(accessKeyId, session);
    ctx.event('role.assumed', { roleArn, sessionName, externalId: externalId ?? null, accessKeyId, policy: policy ?? null });
    return {
      Credentials: {
        AccessKeyId: accessKeyId,
        SecretAccessKey: upperAlnum(ctx.random, 40),
        SessionToken: `IQoJb3JpZ2luX2VjE${upperAlnum(ctx.random, 120)}`,
        Expiration: isoTime(expiration),
      },
      AssumedRoleUser: {
        AssumedRoleId: `${role.roleId}:${sessionName}`,
        Arn: `arn:aws:sts::${match[1]}:assumed-role/${match[2]}/${sessionName}`,
      },
    };
  };

  const callerArn = (req: SimRequest, ctx: SimContext): string => {
    const key = credentialScope(req.headers['authorization'])?.accessKeyId;
    const session = key ? sessions.get(key) : undefined;
    if (!session) return `arn:aws:iam::${ctx.accountId}:user/sandbox`;
    const match = ROLE_ARN.exec(session.roleArn)!;
    return `arn:aws:sts::${match[1]}:assumed-role/${match[2]}/${session.sessionName}`;
  };

  const getCallerIdentity = (req: SimRequest, ctx: SimContext) => {
    const key = credentialScope(req.headers['authorization'])?.accessKeyId;
    const session = key ? sessions.get(key) : undefined;
    if (!session) return { UserId: `AIDA${ctx.accountId}SANDBOX`, Account: ctx.accountId, Arn: callerArn(req, ctx) };
    return { UserId: `${session.roleId}:${session.sessionName}`, Account: ROLE_ARN.exec(session.roleArn)![1], Arn: callerArn(req, ctx) };
  };

  const sim: StsSim = {
    signingName: 'sts',
    protocol: PROTOCOL,
    operations: ['AssumeRole', 'GetCallerIdentity'],
    handle(req: SimRequest, ctx: SimContext): SimResponse {
      const params = queryTree(queryParams(req));
      const action = str(params, 'Action') ?? '';
      try {
        const result = action === 'AssumeRole' ? assumeRole(params, req, ctx) : getCallerIdentity(req, ctx);
        return awsQueryResponse(action, XMLNS, result, ctx.requestId);
      } catch (error) {
        if (error instanceof QueryError) return awsQueryError(XMLNS, error.status, error.code, error.message, ctx.requestId);
        throw error;
      }
    },
    reconcile() {
      // Sessions expire on their own; nothing moves.
    },
    snapshot() {
      return {
        roles: [...roles.values()].map(({ arn, externalId }) => ({ arn, ...(externalId !== undefined ? { externalId } : {}) })),
        assumedRoles: [...sessions.values()].map((s) => ({ roleArn: s.roleArn, sessionName: s.sessionName, externalId: s.externalId ?? null, at: isoTime(s.time) })),
      };
    },
    control(command, input, ctx) {
      if (command === 'role') return addRole(ctx, input as unknown as SeedRole);
      throw new Error(`sts has no side-door command '${command}' (have: role)`);
    },
    bindSeed(context) {
      return { role: (role) => addRole(context(), role) };
    },
    roleOf: (accessKeyId) => (accessKeyId === undefined ? undefined : sessions.get(accessKeyId)?.roleArn),
    deniedBySession(accessKeyId, action) {
      const session = accessKeyId === undefined ? undefined : sessions.get(accessKeyId);
      if (session?.allowed === undefined || session.allowed.some((pattern) => pattern.test(action))) return undefined;
      const match = ROLE_ARN.exec(session.roleArn)!;
      return `User: arn:aws:sts::${match[1]}:assumed-role/${match[2]}/${session.sessionName} is not authorized to perform: ${action} because no session policy allows the ${action} action`;
    },
  };
  return sim;
}
