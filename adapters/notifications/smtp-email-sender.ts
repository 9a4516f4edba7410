/**
 * Email over SMTP with nodemailer (Echo's EmailNotificationService, `mail.*` settings): the local
 * mode's mail sender. A 4xx reply or a lost connection may pass and is retried; a 5xx reply (an
 * unknown mailbox, a refused sender) will not.
 */
import type { NotificationSender, SendOutcome } from '../../core/ports/notification-sender.ts';
import type { NotificationSettings } from '../../core/notifications/settings.ts';
import type { SecretStore } from '../../core/ports/secret-store.ts';
import { namedSecret, type SecretSource } from './secret-source.ts';

export interface SmtpSettings {
  readonly host: string;
  /** @default 587, or 465 with `secure` */
  readonly port?: number;
  /** TLS from the start (port 465); otherwise STARTTLS when the server offers it. @default false */
  readonly secure?: boolean;
  readonly user?: string;
  readonly password?: SecretSource;
}

export interface SmtpEmailSenderOptions {
  readonly smtp: SmtpSettings;
  /** The From address. */
  readonly from: string;
  /** @default 10_000 */
  readonly timeoutMs?: number;
}

/** Sends each notification as a plain-text mail to its address (and cc). */
export function createSmtpEmailSender(options: SmtpEmailSenderOptions): NotificationSender {
  const { smtp } = options;
  const where = `SMTP ${smtp.host}:${smtp.port ?? (smtp.secure ? 465 : 587)}`;
  const timeout = options.timeoutMs ?? 10_000;
  return {
    async send(notification): Promise<SendOutcome> {
      let pass: string | undefined;
      if (smtp.password) {
        const read = await smtp.password(notification.application);
        if (!read.ok) return { ok: false, reason: read.message, retryable: false };
        pass = read.value;
      }
      // nodemailer loads with the first mail: a `gennaker up` that sends none never holds it.
      const { createTransport } = await import('nodemailer');
      const transport = createTransport({
        host: smtp.host,
        port: smtp.port ?? (smtp.secure ? 465 : 587),
        secure: smtp.secure ?? false,
        connectionTimeout: timeout,
        greetingTimeout: timeout,
        socketTimeout: timeout,
        ...(smtp.user !== undefined ? { auth: { user: smtp.user, pass: pass ?? '' } } : {}),
      });
      try {
        await transport.sendMail({
          from: options.from,
          to: notification.address,
          ...(notification.cc !== undefined ? { cc: notification.cc } : {}),
          subject: notification.subject,
          text: notification.text,
        });
        return { ok: true };
      } catch (error) {
        const failure = error as { responseCode?: number; response?: string; code?: string; message?: string };
        if (typeof failure.responseCode === 'number') {
          return { ok: false, reason: `${where} refused the mail to ${notification.address}: ${oneLine(failure.response ?? String(failure.responseCode))}`, retryable: failure.responseCode < 500 };
        }
        return { ok: false, reason: `${where} could not be reached (${failure.code ?? oneLine(failure.message ?? 'error')})`, retryable: true };
      } finally {
        transport.close();
      }
    },
  };
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 200);
}

/** The SMTP sender of the settings' `email.smtp`, or undefined when there is none. */
export function smtpSenderOf(settings: NotificationSettings, secrets: SecretStore | undefined): NotificationSender | undefined {
  const smtp = settings.email?.smtp;
  if (!settings.email || !smtp) return undefined;
  return createSmtpEmailSender({
    from: settings.email.from,
    smtp: {
      host: smtp.host,
      ...(smtp.port !== undefined ? { port: smtp.port } : {}),
      ...(smtp.secure !== undefined ? { secure: smtp.secure } : {}),
      ...(smtp.user !== undefined ? { user: smtp.user } : {}),
      ...(smtp.passwordSecret !== undefined ? { password: namedSecret(secrets, smtp.passwordSecret, 'the SMTP password') } : {}),
    },
  });
}
