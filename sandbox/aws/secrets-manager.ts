/**
 * The simulated Secrets Manager (AWS JSON 1.1, `X-Amz-Target: secretsmanager.<Op>`): secrets per
 * Region with versions and staging labels, tags, and deletion with a recovery window, as callers
 * meet them:
 * - `SecretId` is the name, the full ARN (`…:secret:<name>-<6 characters>`) or the ARN without
 *   its 6-character suffix;
 * - `GetSecretValue` reads `AWSCURRENT` unless given `VersionId`/`VersionStage`;
 *   `PutSecretValue` makes a new version `AWSCURRENT` and the old one `AWSPREVIOUS`;
 * - an unknown secret answers `ResourceNotFoundException` ("Secrets Manager can't find the
 *   specified secret."); one scheduled for deletion answers `InvalidRequestException` to reads,
 *   and is gone once its window has passed on the simulator's clock (or at once with
 *   `ForceDeleteWithoutRecovery`);
 * - a `ClientRequestToken` repeated with the same value is the same version (idempotent), with
 *   another value `ResourceExistsException`.
 */
import type { AwsProtocol, AwsServiceSim, SimContext, SimRequest, SimResponse } from './service.ts';
import { AwsError, epochSeconds, optInt, optString, type JsonProtocol, jsonOperations } from './json-rpc.ts';
import { uuid } from './random.ts';

const PROTOCOL: JsonProtocol = { version: '1.1', namespace: 'com.amazonaws.secretsmanager' };
const WIRE: AwsProtocol = { kind: 'awsJson', jsonVersion: '1.1' };
const TARGET_PREFIX = 'secretsmanager';
const OPERATIONS = ['CreateSecret', 'GetSecretValue', 'PutSecretValue', 'DescribeSecret', 'TagResource', 'DeleteSecret', 'RestoreSecret', 'ListSecrets'] as const;
type Operation = (typeof OPERATIONS)[number];
type Body = Record<string, unknown>;

const NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const NOT_FOUND = "Secrets Manager can't find the specified secret.";
const SUFFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

interface Version {
  readonly id: string;
  readonly string?: string;
  readonly binary?: string;
  readonly created: number;
  stages: string[];
}

interface Secret {
  readonly name: string;
  readonly region: string;
  readonly arn: string;
  readonly created: number;
  description: string;
  tags: Array<{ Key: string; Value: string }>;
  versions: Version[];
  lastChanged: number;
  lastAccessed?: number;
  deletionDate?: number;
}

/** Creates the Secrets Manager simulator. */
export function createSecretsManagerSim(): AwsServiceSim {
  const secrets = new Map<string, Secret>();
  const keyOf = (region: string, name: string) => `${region}|${name}`;

  /** The secret a `SecretId` names (name, ARN, or ARN without its random suffix), in the request's Region. */
  function find(body: Body, region: string, ctx: SimContext, options: { deleted?: boolean } = {}): Secret {
    const id = optString(body, 'SecretId', 'InvalidParameterException');
    if (id === undefined || id === '') throw new AwsError('InvalidParameterException', 'You must provide a value for the SecretId parameter.');
    let secret: Secret | undefined;
    const arn = /^arn:aws:secretsmanager:([^:]+):(\d{12}):secret:(.+)$/.exec(id);
    if (arn) {
      if (arn[1] === region && arn[2] === ctx.accountId) {
        secret = [...secrets.values()].find((candidate) => candidate.region === region && (candidate.arn === id || `arn:aws:secretsmanager:${region}:${ctx.accountId}:secret:${candidate.name}` === id));
      }
    } else {
      secret = secrets.get(keyOf(region, id));
    }
    if (!secret) throw new AwsError('ResourceNotFoundException', NOT_FOUND);
    if (secret.deletionDate !== undefined && !options.deleted) {
      throw new AwsError('InvalidRequestException', "You can't perform this operation on the secret because it was marked for deletion.");
    }
    return secret;
  }

  function readValue(body: Body): { string?: string; binary?: string } {
    const text = optString(body, 'SecretString', 'InvalidParameterException');
    const binary = optString(body, 'SecretBinary', 'InvalidParameterException');
    if (text !== undefined && binary !== undefined) throw new AwsError('InvalidParameterException', 'You can\'t specify both a binary secret value and a string secret value in the same secret.');
    const size = Buffer.byteLength(text ?? '', 'utf8') + (binary !== undefined ? Buffer.from(binary, 'base64').length : 0);
    if (size > 65_536) throw new AwsError('InvalidParameterException', 'The secret value exceeds the 65536 bytes a secret may hold.');
    return { ...(text !== undefined ? { string: text } : {}), ...(binary !== undefined ? { binary } : {}) };
  }

  function readTags(body: Body): Array<{ Key: string; Value: string }> {
    const tags = body['Tags'];
    if (tags === undefined || tags === null) return [];
    if (!Array.isArray(tags) || tags.some((tag) => typeof tag !== 'object' || tag === null || typeof (tag as Body)['Key'] !== 'string' || typeof (tag as Body)['Value'] !== 'string')) {
      throw new AwsError('InvalidParameterException', 'Tags must be a list of {Key, Value} strings.');
    }
    return (tags as Array<{ Key: string; Value: string }>).map((tag) => ({ Key: tag.Key, Value: tag.Value }));
  }

  /** Adds a version as AWSCURRENT (the previous current becomes AWSPREVIOUS), or answers the one a repeated token made. */
  function addVersion(secret: Secret, value: { string?: string; binary?: string }, token: string | undefined, ctx: SimContext): Version {
    if (token !== undefined) {
      const same = secret.versions.find((version) => version.id === token);
      if (same) {
        if (same.string !== value.string || same.binary !== value.binary) throw new AwsError('ResourceExistsException', `You can't modify an existing version, you can only create a new version. VersionId ${token} already exists with a different value.`);
        return same;
      }
    }
    for (const version of secret.versions) {
      version.stages = version.stages.filter((stage) => stage !== 'AWSPREVIOUS');
      if (version.stages.includes('AWSCURRENT')) version.stages = [...version.stages.filter((stage) => stage !== 'AWSCURRENT'), 'AWSPREVIOUS'];
    }
    const version: Version = { id: token ?? uuid(ctx.random), ...value, created: ctx.now(), stages: ['AWSCURRENT'] };
    // Versions without a staging label are deprecated and dropped, as Secrets Manager eventually does.
    secret.versions = [...secret.versions.filter((old) => old.stages.length > 0), version];
    secret.lastChanged = ctx.now();
    return version;
  }

  const describe = (secret: Secret): Body => ({
    ARN: secret.arn,
    Name: secret.name,
    ...(secret.description !== '' ? { Description: secret.description } : {}),
    CreatedDate: epochSeconds(secret.created),
    LastChangedDate: epochSeconds(secret.lastChanged),
    ...(secret.lastAccessed !== undefined ? { LastAccessedDate: epochSeconds(secret.lastAccessed) } : {}),
    ...(secret.deletionDate !== undefined ? { DeletedDate: epochSeconds(secret.deletionDate) } : {}),
    Tags: secret.tags.map((tag) => ({ ...tag })),
    VersionIdsToStages: Object.fromEntries(secret.versions.map((version) => [version.id, [...version.stages]])),
  });

  const handlers: Record<Operation, (body: Body, req: SimRequest, ctx: SimContext) => Body> = {
    CreateSecret(body, req, ctx) {
      const name = optString(body, 'Name', 'InvalidParameterException') ?? '';
      if (!NAME.test(name)) throw new AwsError('InvalidParameterException', `Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!, got '${name}'.`);
      const token = optString(body, 'ClientRequestToken', 'InvalidParameterException');
      const value = readValue(body);
      const existing = secrets.get(keyOf(req.region, name));
      if (existing) {
        const same = token !== undefined ? existing.versions.find((version) => version.id === token) : undefined;
        if (same && same.string === value.string && same.binary === value.binary) return { ARN: existing.arn, Name: existing.name, VersionId: same.id };
        if (existing.deletionDate !== undefined) throw new AwsError('InvalidRequestException', `You can't create this secret because a secret with this name is already scheduled for deletion.`);
        throw new AwsError('ResourceExistsException', `The operation failed because the secret ${name} already exists.`);
      }
      let suffix = '';
      for (let i = 0; i < 6; i += 1) suffix += SUFFIX_ALPHABET[Math.floor(ctx.random() * SUFFIX_ALPHABET.length)];
      const secret: Secret = {
        name,
        region: req.region,
        arn: `arn:aws:secretsmanager:${req.region}:${ctx.accountId}:secret:${name}-${suffix}`,
        created: ctx.now(),
        description: optString(body, 'Description', 'InvalidParameterException') ?? '',
        tags: readTags(body),
        versions: [],
        lastChanged: ctx.now(),
      };
      secrets.set(keyOf(req.region, name), secret);
      if (value.string === undefined && value.binary === undefined) return { ARN: secret.arn, Name: name };
      const version = addVersion(secret, value, token, ctx);
      ctx.event('secretsmanager.secret-created', { name });
      return { ARN: secret.arn, Name: name, VersionId: version.id };
    },
    GetSecretValue(body, req, ctx) {
      const secret = find(body, req.region, ctx);
      const versionId = optString(body, 'VersionId', 'InvalidParameterException');
      const stage = optString(body, 'VersionStage', 'InvalidParameterException') ?? (versionId === undefined ? 'AWSCURRENT' : undefined);
      const version = secret.versions.find((candidate) => (versionId === undefined || candidate.id === versionId) && (stage === undefined || candidate.stages.includes(stage)));
      if (!version) throw new AwsError('ResourceNotFoundException', `Secrets Manager can't find the specified secret value for ${versionId !== undefined ? `VersionId: ${versionId}` : `staging label: ${stage}`}`);
      secret.lastAccessed = ctx.now();
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: version.id,
        ...(version.string !== undefined ? { SecretString: version.string } : {}),
        ...(version.binary !== undefined ? { SecretBinary: version.binary } : {}),
        VersionStages: [...version.stages],
        CreatedDate: epochSeconds(version.created),
      };
    },
    PutSecretValue(body, req, ctx) {
      const secret = find(body, req.region, ctx);
      const value = readValue(body);
      if (value.string === undefined && value.binary === undefined) throw new AwsError('InvalidRequestException', 'You must provide either SecretString or SecretBinary.');
      const version = addVersion(secret, value, optString(body, 'ClientRequestToken', 'InvalidParameterException'), ctx);
      return { ARN: secret.arn, Name: secret.name, VersionId: version.id, VersionStages: [...version.stages] };
    },
    DescribeSecret(body, req, ctx) {
      return describe(find(body, req.region, ctx, { deleted: true }));
    },
    TagResource(body, req, ctx) {
      const secret = find(body, req.region, ctx);
      for (const tag of readTags(body)) secret.tags = [...secret.tags.filter((old) => old.Key !== tag.Key), tag];
      return {};
    },
    DeleteSecret(body, req, ctx) {
      const secret = find(body, req.region, ctx, { deleted: true });
      const force = body['ForceDeleteWithoutRecovery'] === true;
      const days = optInt(body, 'RecoveryWindowInDays', 'InvalidParameterException');
      if (force && days !== undefined) throw new AwsError('InvalidParameterException', "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.");
      if (days !== undefined && (days < 7 || days > 30)) throw new AwsError('InvalidParameterException', 'The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).');
      secret.deletionDate = force ? ctx.now() : ctx.now() + (days ?? 30) * 86_400_000;
      if (force) secrets.delete(keyOf(secret.region, secret.name));
      ctx.event('secretsmanager.secret-deleted', { name: secret.name, force });
      return { ARN: secret.arn, Name: secret.name, DeletionDate: epochSeconds(secret.deletionDate) };
    },
    RestoreSecret(body, req, ctx) {
      const secret = find(body, req.region, ctx, { deleted: true });
      delete secret.deletionDate;
      return { ARN: secret.arn, Name: secret.name };
    },
    ListSecrets(body, req) {
      const max = optInt(body, 'MaxResults', 'InvalidParameterException') ?? 100;
      const all = [...secrets.values()].filter((secret) => secret.region === req.region && secret.deletionDate === undefined).sort((a, b) => a.name.localeCompare(b.name));
      const token = optString(body, 'NextToken', 'InvalidParameterException');
      const offset = token !== undefined ? Number(Buffer.from(token, 'base64').toString('utf8')) : 0;
      if (!Number.isInteger(offset) || offset < 0) throw new AwsError('InvalidNextTokenException', 'The NextToken value is invalid.');
      const page = all.slice(offset, offset + max).map((secret) => {
        const { VersionIdsToStages, ...rest } = describe(secret);
        return { ...rest, SecretVersionsToStages: VersionIdsToStages };
      });
      return { SecretList: page, ...(offset + max < all.length ? { NextToken: Buffer.from(String(offset + max)).toString('base64') } : {}) };
    },
  };

  return {
    signingName: 'secretsmanager',
    protocol: WIRE,
    operations: OPERATIONS,
    handle: jsonOperations(PROTOCOL, TARGET_PREFIX, handlers),
    reconcile(ctx: SimContext): void {
      for (const [key, secret] of [...secrets.entries()]) if (secret.deletionDate !== undefined && secret.deletionDate <= ctx.now()) secrets.delete(key);
    },
    nextChangeAt(): number | undefined {
      const dates = [...secrets.values()].map((secret) => secret.deletionDate).filter((date): date is number => date !== undefined);
      return dates.length > 0 ? Math.min(...dates) : undefined;
    },
    snapshot(): Record<string, unknown> {
      // Names, tags and version stages only: the simulator never shows a secret's value.
      return { secrets: [...secrets.values()].map((secret) => ({ name: secret.name, region: secret.region, tags: secret.tags.map((tag) => ({ ...tag })), versions: secret.versions.map((version) => [...version.stages]), ...(secret.deletionDate !== undefined ? { deletionDate: new Date(secret.deletionDate).toISOString() } : {}) })) };
    },
  };
}
