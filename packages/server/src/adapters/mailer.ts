import nodemailer from 'nodemailer';
import type { Logger, Mailer } from '../ports.js';

/** SMTP through nodemailer (`smtp://user:pass@host:587`, `smtps://host:465`). */
export function createSmtpMailer(url: string, from: string): Mailer & { close(): void } {
  const transport = nodemailer.createTransport(url);
  return {
    async send(message) {
      await transport.sendMail({ from, to: message.to, subject: message.subject, text: message.text });
    },
    close: () => transport.close(),
  };
}

/**
 * Without SMTP, mail goes to the log so a developer can follow a reset link. Its text
 * holds a single-use secret, so it is logged only outside production; in production only
 * the fact that a message could not be sent is.
 */
export function createLogMailer(logger: Logger, production: boolean): Mailer {
  return {
    async send(message) {
      if (production) {
        logger.warn({ mail: { to: message.to, subject: message.subject } }, 'mail not sent: LATCHKEY_SMTP_URL is not set');
        return;
      }
      logger.info({ mail: message }, 'mail (development: LATCHKEY_SMTP_URL is not set, so it is logged instead of sent)');
    },
  };
}
