import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { createTransport, type Transporter } from 'nodemailer';
import { recipientDomain } from './recipient';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

/**
 * The SMTP server refused or never took the message. The message names only the recipient's
 * domain: addresses are personal data, and the server's reply can echo them back.
 */
export class MailDeliveryError extends Error {
  constructor(
    readonly recipientDomain: string,
    /** nodemailer's error code (ECONNECTION, ETIMEDOUT, EAUTH, EENVELOPE, EMESSAGE …). */
    readonly code?: string,
    /** The SMTP reply code, when the server answered (e.g. 451). */
    readonly responseCode?: number,
  ) {
    const reason = [code, responseCode].filter((part) => part !== undefined).join(' ');
    super(`Mail to @${recipientDomain} could not be delivered${reason ? ` (${reason})` : ''}`);
    this.name = 'MailDeliveryError';
  }
}

/**
 * Sends mail over SMTP_URL. Without it, mail is written to the log outside production (so a
 * developer can follow the links in it) and dropped in production, where bodies carry
 * tokens that must not reach the logs.
 */
@Injectable()
export class MailService implements OnApplicationShutdown {
  private readonly logger = new Logger('Mail');
  private readonly transport?: Transporter;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    const { smtpUrl, from } = config.mail;
    if (smtpUrl) {
      // nodemailer waits minutes by default; a request that sends mail should fail in seconds.
      this.transport = createTransport(
        { url: smtpUrl, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 },
        { from },
      );
    } else if (config.env === 'production') {
      this.logger.warn('SMTP_URL is not set; outgoing mail is dropped');
    }
  }

  async send(message: MailMessage): Promise<void> {
    const domain = recipientDomain(message.to);
    if (!this.transport) {
      if (this.config.env === 'production') this.logger.warn(`Mail dropped (SMTP_URL is not set): "${message.subject}" to @${domain}`);
      else this.logger.log(`[not sent: SMTP_URL is not set]\nTo: ${message.to}\nSubject: ${message.subject}\n\n${message.text}`);
      return;
    }
    try {
      await this.transport.sendMail({ to: message.to, subject: message.subject, text: message.text, html: message.html });
    } catch (error) {
      const { code, responseCode } = error as { code?: unknown; responseCode?: unknown };
      throw new MailDeliveryError(
        domain,
        typeof code === 'string' ? code : undefined,
        typeof responseCode === 'number' ? responseCode : undefined,
      );
    }
  }

  onApplicationShutdown(): void {
    this.transport?.close();
  }
}
