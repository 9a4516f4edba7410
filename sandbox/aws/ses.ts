/**
 * Simulated Amazon SES v2 (REST JSON, signing name `ses`): email identities and `SendEmail`.
 * Strict as an account with production access: the From address must be a verified identity
 * (itself, or its domain), else `MessageRejected` 400, the answer SES gives; recipients are not
 * checked (an account still in the SES sandbox would also refuse unverified recipients). Sent
 * mail is kept in order for tests and `gennaker sandbox describe`.
 */
import { restJsonError, restJsonResponse } from './json-protocol.ts';
import { hex } from './random.ts';
import type { AwsServiceSim, SimContext, SimRequest, SimResponse } from './service.ts';

/** One mail SES accepted. */
export interface SentEmail {
  readonly messageId: string;
  readonly time: number;
  readonly region: string;
  readonly from: string;
  readonly to: readonly string[];
  readonly cc: readonly string[];
  readonly subject: string;
  readonly text?: string;
  readonly html?: string;
  readonly configurationSetName?: string;
}

/** Seeding SES: identities verified from the start. */
export interface SesSeeder {
  /** An email address (`a@example.com`) or a domain (`example.com`), verified in `region` (default us-east-1). */
  identity(name: string, region?: string): { name: string };
}

/** The SES simulator plus its seeding API and the mail it accepted. */
export interface SesSim extends AwsServiceSim {
  bindSeed(context: () => SimContext): SesSeeder;
  sent(): readonly SentEmail[];
}

class SesError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const ADDRESS = /^[^@\s]+@([^@\s]+)$/;

/** The bare address of `Name <a@b.c>` or `a@b.c`. */
function bareAddress(text: string): string {
  const angle = /<([^>]+)>\s*$/.exec(text);
  return (angle ? angle[1]! : text).trim();
}

/** Creates the SES v2 simulator. */
export function createSesSim(): SesSim {
  /** Identities by name (lower case), per region: SES identities are regional. */
  const identities = new Map<string, Set<string>>();
  const sent: SentEmail[] = [];

  const verified = (region: string) => {
    let set = identities.get(region);
    if (!set) identities.set(region, (set = new Set()));
    return set;
  };

  const json = (req: SimRequest): Record<string, unknown> => {
    try {
      const value: unknown = JSON.parse(req.body.toString('utf8') || '{}');
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
      return value as Record<string, unknown>;
    } catch {
      throw new SesError(400, 'BadRequestException', 'The request body is not valid JSON.');
    }
  };

  const strings = (value: unknown, field: string): string[] => {
    if (value === undefined) return [];
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) throw new SesError(400, 'BadRequestException', `${field} must be a list of strings.`);
    return value as string[];
  };

  const sendEmail = (req: SimRequest, ctx: SimContext) => {
    const body = json(req);
    const from = body.FromEmailAddress;
    if (typeof from !== 'string' || from === '') throw new SesError(400, 'BadRequestException', 'FromEmailAddress is required.');
    const destination = (body.Destination ?? {}) as Record<string, unknown>;
    const to = strings(destination.ToAddresses, 'Destination.ToAddresses');
    const cc = strings(destination.CcAddresses, 'Destination.CcAddresses');
    const bcc = strings(destination.BccAddresses, 'Destination.BccAddresses');
    if (to.length + cc.length + bcc.length === 0) throw new SesError(400, 'BadRequestException', 'Missing required destination: at least one of ToAddresses, CcAddresses, BccAddresses.');
    if (to.length + cc.length + bcc.length > 50) throw new SesError(400, 'MessageRejected', 'Recipient count exceeds 50.');
    for (const address of [...to, ...cc, ...bcc]) {
      if (!ADDRESS.test(bareAddress(address))) throw new SesError(400, 'BadRequestException', `Illegal address: ${address}`);
    }
    const address = bareAddress(from).toLowerCase();
    const domain = ADDRESS.exec(address)?.[1];
    const known = verified(req.region);
    if (!known.has(address) && (domain === undefined || !known.has(domain))) {
      throw new SesError(400, 'MessageRejected', `Email address is not verified. The following identities failed the check in region ${req.region.toUpperCase()}: ${from}`);
    }
    const simple = ((body.Content ?? {}) as Record<string, unknown>).Simple as Record<string, unknown> | undefined;
    if (!simple) throw new SesError(400, 'BadRequestException', 'Content.Simple is required (Raw and Template content are not simulated).');
    const subject = ((simple.Subject ?? {}) as Record<string, unknown>).Data;
    if (typeof subject !== 'string') throw new SesError(400, 'BadRequestException', 'Content.Simple.Subject.Data is required.');
    const parts = (simple.Body ?? {}) as Record<string, Record<string, unknown> | undefined>;
    const text = parts.Text?.Data;
    const html = parts.Html?.Data;
    if (typeof text !== 'string' && typeof html !== 'string') throw new SesError(400, 'BadRequestException', 'Content.Simple.Body needs Text or Html.');
    const messageId = `0100${hex(ctx.random, 12)}-${hex(ctx.random, 8)}-${hex(ctx.random, 4)}-${hex(ctx.random, 4)}-${hex(ctx.random, 4)}-${hex(ctx.random, 12)}-000000`;
    const mail: SentEmail = {
      messageId,
      time: ctx.now(),
      region: req.region,
      from,
      to,
      cc,
      subject,
      ...(typeof text === 'string' ? { text } : {}),
      ...(typeof html === 'string' ? { html } : {}),
      ...(typeof body.ConfigurationSetName === 'string' ? { configurationSetName: body.ConfigurationSetName } : {}),
    };
    sent.push(mail);
    ctx.event('email.sent', { messageId, from, to, subject });
    return { MessageId: messageId };
  };

  const createEmailIdentity = (req: SimRequest, ctx: SimContext) => {
    const body = json(req);
    const name = body.EmailIdentity;
    if (typeof name !== 'string' || name === '') throw new SesError(400, 'BadRequestException', 'EmailIdentity is required.');
    const known = verified(req.region);
    if (known.has(name.toLowerCase())) throw new SesError(400, 'AlreadyExistsException', `Email identity ${name} already exist.`);
    // Verification is instant here (no mailbox to click in, no DNS to publish).
    known.add(name.toLowerCase());
    ctx.event('identity.created', { name, region: req.region });
    return { IdentityType: name.includes('@') ? 'EMAIL_ADDRESS' : 'DOMAIN', VerifiedForSendingStatus: true };
  };

  const sim: SesSim = {
    signingName: 'ses',
    protocol: { kind: 'restJson' },
    operations: ['SendEmail', 'CreateEmailIdentity'],
    operationOf(req) {
      if (req.method === 'POST' && req.path === '/v2/email/outbound-emails') return 'SendEmail';
      if (req.method === 'POST' && req.path === '/v2/email/identities') return 'CreateEmailIdentity';
      return undefined;
    },
    handle(req: SimRequest, ctx: SimContext): SimResponse {
      try {
        const operation = sim.operationOf!(req);
        if (operation === 'SendEmail') return restJsonResponse(200, sendEmail(req, ctx));
        if (operation === 'CreateEmailIdentity') return restJsonResponse(200, createEmailIdentity(req, ctx));
        return restJsonError(404, 'UnknownOperationException', `Unknown operation ${req.method} ${req.path}`);
      } catch (error) {
        if (error instanceof SesError) return restJsonError(error.status, error.code, error.message);
        throw error;
      }
    },
    reconcile() {},
    control(command, input, ctx) {
      if (command !== 'identity') throw new Error(`unknown ses command '${command}'; the command is 'identity' {"name": "example.com", "region"?: "us-east-1"}`);
      if (typeof input.name !== 'string') throw new Error('identity needs "name": an email address or a domain');
      return sim.bindSeed(() => ctx).identity(input.name, typeof input.region === 'string' ? input.region : undefined);
    },
    snapshot() {
      return { identities: Object.fromEntries([...identities].map(([region, names]) => [region, [...names].sort()])), sent: sent.map((mail) => ({ ...mail })) };
    },
    bindSeed(context) {
      return {
        identity(name, region = 'us-east-1') {
          if (!/^[^@\s]+@[^@\s]+$|^[a-z0-9.-]+\.[a-z]{2,}$/i.test(name)) throw new Error(`identity '${name}' is neither an email address nor a domain`);
          verified(region).add(name.toLowerCase());
          context().event('identity.seeded', { name, region });
          return { name };
        },
      };
    },
    sent: () => sent,
  };
  return sim;
}
