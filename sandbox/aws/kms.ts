/**
 * The simulated KMS (AWS JSON 1.1, `X-Amz-Target: TrentService.<Op>`): symmetric customer managed
 * keys and their aliases, per Region, with what callers rely on:
 * - a ciphertext blob names its key, so `Decrypt` needs no `KeyId`; given one, it must be that key
 *   (`IncorrectKeyException`);
 * - the encryption context is bound to the ciphertext: a different or missing context on
 *   `Decrypt` answers `InvalidCiphertextException`, as does an altered blob;
 * - a disabled key neither encrypts nor decrypts (`DisabledException`), a key pending deletion
 *   answers `KMSInvalidStateException`, an unknown key or alias `NotFoundException`;
 * - `Encrypt` takes at most 4,096 bytes; `GenerateDataKey` returns the key in plaintext and
 *   sealed (by `KeySpec` AES_256/AES_128 or `NumberOfBytes` 1-1024, exactly one of them).
 *
 * Blobs are AES-256-GCM under key material only the simulator holds (`SK1` | key id | IV | body |
 * tag); their layout is the simulator's own, opaque to callers as real KMS blobs are.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { AwsProtocol, AwsServiceSim, SimContext, SimRequest, SimResponse } from './service.ts';
import { AwsError, epochSeconds, optInt, optString, type JsonProtocol, jsonOperations } from './json-rpc.ts';
import { uuid } from './random.ts';

const PROTOCOL: JsonProtocol = { version: '1.1', namespace: 'com.amazonaws.kms' };
const WIRE: AwsProtocol = { kind: 'awsJson', jsonVersion: '1.1' };
const TARGET_PREFIX = 'TrentService';
const OPERATIONS = ['CreateKey', 'DescribeKey', 'CreateAlias', 'ListAliases', 'EnableKey', 'DisableKey', 'ScheduleKeyDeletion', 'Encrypt', 'Decrypt', 'GenerateDataKey'] as const;
type Operation = (typeof OPERATIONS)[number];
type Body = Record<string, unknown>;

const MAGIC = Buffer.from('SK1', 'ascii');
const ID_BYTES = 36;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const MAX_PLAINTEXT = 4096;

interface Key {
  readonly id: string;
  readonly region: string;
  readonly arn: string;
  readonly material: Buffer;
  readonly created: number;
  readonly description: string;
  state: 'Enabled' | 'Disabled' | 'PendingDeletion';
  deletionDate?: number;
}

/** The KMS simulator; `keyCount` is for tests and `sandbox describe`. */
export interface KmsSim extends AwsServiceSim {
  /** Encrypt/Decrypt/GenerateDataKey calls answered per key id (what callers' caching saves shows here). */
  cryptoCalls(): Readonly<Record<string, number>>;
}

/** Bytes from the world's seeded RNG, so a replayed world seals with the same key material. */
function seededBytes(random: () => number, count: number): Buffer {
  const bytes = Buffer.alloc(count);
  for (let i = 0; i < count; i += 1) bytes[i] = Math.floor(random() * 256);
  return bytes;
}

/** The encryption context as authenticated data: its pairs sorted by key, so order never matters. */
function contextBytes(context: Readonly<Record<string, string>>): Buffer {
  return Buffer.from(JSON.stringify(Object.keys(context).sort().map((key) => [key, context[key]])), 'utf8');
}

function readContext(body: Body): Record<string, string> {
  const value = body['EncryptionContext'];
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value) || Object.values(value).some((item) => typeof item !== 'string')) {
    throw new AwsError('ValidationException', 'EncryptionContext must be a map of strings to strings');
  }
  return value as Record<string, string>;
}

function readBlob(body: Body, field: string): Buffer {
  const value = body[field];
  if (typeof value !== 'string' || value === '') throw new AwsError('ValidationException', `1 validation error detected: Value null at '${field.charAt(0).toLowerCase()}${field.slice(1)}' failed to satisfy constraint: Member must not be null`);
  return Buffer.from(value, 'base64');
}

/** Creates the KMS simulator. */
export function createKmsSim(): KmsSim {
  const keys = new Map<string, Key>();
  const aliases = new Map<string, string>();
  const calls = new Map<string, number>();

  const aliasKey = (region: string, name: string) => `${region}|${name}`;

  /** The key a `KeyId` names: a key id, key ARN, `alias/<name>` or alias ARN, in the request's Region. */
  function resolve(keyId: string, region: string, ctx: SimContext): Key {
    let id = keyId;
    const aliasArn = /^arn:aws:kms:([^:]+):(\d{12}):(alias\/.+)$/.exec(keyId);
    const keyArn = /^arn:aws:kms:([^:]+):(\d{12}):key\/(.+)$/.exec(keyId);
    if (aliasArn || keyId.startsWith('alias/')) {
      const [aliasRegion, account, name] = aliasArn ? [aliasArn[1]!, aliasArn[2]!, aliasArn[3]!] : [region, ctx.accountId, keyId];
      const target = account === ctx.accountId ? aliases.get(aliasKey(aliasRegion, name)) : undefined;
      if (target === undefined) throw new AwsError('NotFoundException', `Alias arn:aws:kms:${aliasRegion}:${account}:${name} is not found.`);
      id = target;
    } else if (keyArn) {
      if (keyArn[1] !== region || keyArn[2] !== ctx.accountId) throw new AwsError('NotFoundException', `Key '${keyId}' does not exist`);
      id = keyArn[3]!;
    }
    const key = keys.get(id);
    if (!key || key.region !== region) throw new AwsError('NotFoundException', `Key 'arn:aws:kms:${region}:${ctx.accountId}:key/${id}' does not exist`);
    return key;
  }

  function usable(key: Key): Key {
    if (key.state === 'Disabled') throw new AwsError('DisabledException', `${key.arn} is disabled.`);
    if (key.state === 'PendingDeletion') throw new AwsError('KMSInvalidStateException', `${key.arn} is pending deletion.`);
    calls.set(key.id, (calls.get(key.id) ?? 0) + 1);
    return key;
  }

  const metadata = (key: Key, ctx: SimContext): Body => ({
    AWSAccountId: ctx.accountId,
    KeyId: key.id,
    Arn: key.arn,
    CreationDate: epochSeconds(key.created),
    Enabled: key.state === 'Enabled',
    Description: key.description,
    KeyUsage: 'ENCRYPT_DECRYPT',
    KeyState: key.state,
    Origin: 'AWS_KMS',
    KeyManager: 'CUSTOMER',
    CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT',
    KeySpec: 'SYMMETRIC_DEFAULT',
    EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
    MultiRegion: false,
    ...(key.deletionDate !== undefined ? { DeletionDate: epochSeconds(key.deletionDate) } : {}),
  });

  function seal(key: Key, plaintext: Buffer, context: Record<string, string>, ctx: SimContext): Buffer {
    const iv = seededBytes(ctx.random, IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key.material, iv);
    cipher.setAAD(contextBytes(context));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([MAGIC, Buffer.from(key.id, 'ascii'), iv, body, cipher.getAuthTag()]);
  }

  function open(blob: Buffer, body: Body, region: string, ctx: SimContext): { key: Key; plaintext: Buffer } {
    const context = readContext(body);
    if (blob.length < MAGIC.length + ID_BYTES + IV_BYTES + TAG_BYTES || !blob.subarray(0, MAGIC.length).equals(MAGIC)) throw new AwsError('InvalidCiphertextException', '');
    const id = blob.subarray(MAGIC.length, MAGIC.length + ID_BYTES).toString('ascii');
    const named = keys.get(id);
    if (!named || named.region !== region) throw new AwsError('InvalidCiphertextException', '');
    const requested = optString(body, 'KeyId', 'ValidationException');
    if (requested !== undefined && resolve(requested, region, ctx).id !== named.id) {
      throw new AwsError('IncorrectKeyException', 'The key ID in the request does not identify a CMK that can perform this operation.');
    }
    const key = usable(named);
    const start = MAGIC.length + ID_BYTES;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.material, blob.subarray(start, start + IV_BYTES));
      decipher.setAAD(contextBytes(context));
      decipher.setAuthTag(blob.subarray(blob.length - TAG_BYTES));
      return { key, plaintext: Buffer.concat([decipher.update(blob.subarray(start + IV_BYTES, blob.length - TAG_BYTES)), decipher.final()]) };
    } catch {
      // Another context, or an altered blob: KMS says only that the ciphertext is invalid.
      throw new AwsError('InvalidCiphertextException', '');
    }
  }

  const handlers: Record<Operation, (body: Body, req: SimRequest, ctx: SimContext) => Body> = {
    CreateKey(body, req, ctx) {
      const spec = optString(body, 'KeySpec', 'ValidationException') ?? optString(body, 'CustomerMasterKeySpec', 'ValidationException') ?? 'SYMMETRIC_DEFAULT';
      if (spec !== 'SYMMETRIC_DEFAULT') throw new AwsError('UnsupportedOperationException', `KeySpec ${spec} is not simulated; only SYMMETRIC_DEFAULT keys are`);
      const usage = optString(body, 'KeyUsage', 'ValidationException') ?? 'ENCRYPT_DECRYPT';
      if (usage !== 'ENCRYPT_DECRYPT') throw new AwsError('ValidationException', `KeyUsage ${usage} is not valid for a SYMMETRIC_DEFAULT key`);
      const id = uuid(ctx.random);
      const key: Key = {
        id,
        region: req.region,
        arn: `arn:aws:kms:${req.region}:${ctx.accountId}:key/${id}`,
        material: seededBytes(ctx.random, 32),
        created: ctx.now(),
        description: optString(body, 'Description', 'ValidationException') ?? '',
        state: 'Enabled',
      };
      keys.set(id, key);
      ctx.event('kms.key-created', { keyId: id });
      return { KeyMetadata: metadata(key, ctx) };
    },
    DescribeKey(body, req, ctx) {
      const keyId = optString(body, 'KeyId', 'ValidationException');
      if (keyId === undefined) throw new AwsError('ValidationException', "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null");
      return { KeyMetadata: metadata(resolve(keyId, req.region, ctx), ctx) };
    },
    CreateAlias(body, req, ctx) {
      const name = optString(body, 'AliasName', 'ValidationException') ?? '';
      if (!/^alias\/[a-zA-Z0-9/_-]{1,250}$/.test(name)) throw new AwsError('ValidationException', `1 validation error detected: Value '${name}' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^alias/[a-zA-Z0-9/_-]+$`);
      if (name.startsWith('alias/aws/')) throw new AwsError('NotAuthorizedException', 'Cannot create alias with prefix alias/aws/ as it is reserved for AWS managed keys');
      const target = resolve(optString(body, 'TargetKeyId', 'ValidationException') ?? '', req.region, ctx);
      if (aliases.has(aliasKey(req.region, name))) throw new AwsError('AlreadyExistsException', `An alias with the name arn:aws:kms:${req.region}:${ctx.accountId}:${name} already exists`);
      aliases.set(aliasKey(req.region, name), target.id);
      return {};
    },
    ListAliases(body, req, ctx) {
      const only = optString(body, 'KeyId', 'ValidationException');
      const onlyId = only !== undefined ? resolve(only, req.region, ctx).id : undefined;
      const list = [...aliases.entries()]
        .filter(([key, id]) => key.startsWith(`${req.region}|`) && (onlyId === undefined || id === onlyId))
        .map(([key, id]) => ({ AliasName: key.slice(req.region.length + 1), AliasArn: `arn:aws:kms:${req.region}:${ctx.accountId}:${key.slice(req.region.length + 1)}`, TargetKeyId: id }));
      return { Aliases: list, Truncated: false };
    },
    EnableKey(body, req, ctx) {
      const key = resolve(optString(body, 'KeyId', 'ValidationException') ?? '', req.region, ctx);
      if (key.state === 'PendingDeletion') throw new AwsError('KMSInvalidStateException', `${key.arn} is pending deletion.`);
      key.state = 'Enabled';
      return {};
    },
    DisableKey(body, req, ctx) {
      const key = resolve(optString(body, 'KeyId', 'ValidationException') ?? '', req.region, ctx);
      if (key.state === 'PendingDeletion') throw new AwsError('KMSInvalidStateException', `${key.arn} is pending deletion.`);
      key.state = 'Disabled';
      ctx.event('kms.key-disabled', { keyId: key.id });
      return {};
    },
    ScheduleKeyDeletion(body, req, ctx) {
      const key = resolve(optString(body, 'KeyId', 'ValidationException') ?? '', req.region, ctx);
      const days = optInt(body, 'PendingWindowInDays', 'ValidationException') ?? 30;
      if (days < 7 || days > 30) throw new AwsError('ValidationException', `1 validation error detected: Value '${days}' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value between 7 and 30`);
      key.state = 'PendingDeletion';
      key.deletionDate = ctx.now() + days * 86_400_000;
      return { KeyId: key.arn, DeletionDate: epochSeconds(key.deletionDate), KeyState: 'PendingDeletion', PendingWindowInDays: days };
    },
    Encrypt(body, req, ctx) {
      const key = usable(resolve(optString(body, 'KeyId', 'ValidationException') ?? '', req.region, ctx));
      const plaintext = readBlob(body, 'Plaintext');
      if (plaintext.length > MAX_PLAINTEXT) throw new AwsError('ValidationException', `1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to ${MAX_PLAINTEXT}`);
      return { CiphertextBlob: seal(key, plaintext, readContext(body), ctx).toString('base64'), KeyId: key.arn, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
    },
    Decrypt(body, req, ctx) {
      const algorithm = optString(body, 'EncryptionAlgorithm', 'ValidationException') ?? 'SYMMETRIC_DEFAULT';
      if (algorithm !== 'SYMMETRIC_DEFAULT') throw new AwsError('InvalidCiphertextException', '');
      const { key, plaintext } = open(readBlob(body, 'CiphertextBlob'), body, req.region, ctx);
      return { Plaintext: plaintext.toString('base64'), KeyId: key.arn, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
    },
    GenerateDataKey(body, req, ctx) {
      const key = usable(resolve(optString(body, 'KeyId', 'ValidationException') ?? '', req.region, ctx));
      const spec = optString(body, 'KeySpec', 'ValidationException');
      const count = optInt(body, 'NumberOfBytes', 'ValidationException');
      if ((spec === undefined) === (count === undefined)) throw new AwsError('ValidationException', 'Please specify either number of bytes or key spec.');
      if (spec !== undefined && spec !== 'AES_256' && spec !== 'AES_128') throw new AwsError('ValidationException', `1 validation error detected: Value '${spec}' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]`);
      if (count !== undefined && (count < 1 || count > 1024)) throw new AwsError('ValidationException', `1 validation error detected: Value '${count}' at 'numberOfBytes' failed to satisfy constraint: Member must have value between 1 and 1024`);
      const plaintext = seededBytes(ctx.random, count ?? (spec === 'AES_128' ? 16 : 32));
      return { CiphertextBlob: seal(key, plaintext, readContext(body), ctx).toString('base64'), Plaintext: plaintext.toString('base64'), KeyId: key.arn };
    },
  };

  return {
    signingName: 'kms',
    protocol: WIRE,
    operations: OPERATIONS,
    handle: jsonOperations(PROTOCOL, TARGET_PREFIX, handlers),
    reconcile(ctx: SimContext): void {
      for (const key of [...keys.values()]) {
        if (key.state === 'PendingDeletion' && key.deletionDate !== undefined && key.deletionDate <= ctx.now()) {
          keys.delete(key.id);
          for (const [name, id] of [...aliases.entries()]) if (id === key.id) aliases.delete(name);
        }
      }
    },
    nextChangeAt(): number | undefined {
      const dates = [...keys.values()].map((key) => key.deletionDate).filter((date): date is number => date !== undefined);
      return dates.length > 0 ? Math.min(...dates) : undefined;
    },
    snapshot(): Record<string, unknown> {
      return {
        keys: [...keys.values()].map((key) => ({ keyId: key.id, region: key.region, state: key.state, description: key.description })),
        aliases: [...aliases.entries()].map(([key, id]) => ({ alias: key.split('|')[1], region: key.split('|')[0], keyId: id })),
      };
    },
    cryptoCalls: () => Object.fromEntries(calls),
  };
}
