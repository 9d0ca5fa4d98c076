import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { DatabaseConnection } from '@backlot/database';
import { FieldEncryption } from '@backlot/security';
import { recipientInbox } from './recipient';

/** Keys the HMAC of an inbox: a counter row names no address, and its key cannot be reused elsewhere. */
const DIGEST_CONTEXT = 'mail:recipient';

export interface Admission {
  admitted: boolean;
  /** HMAC of the normalized inbox: lets investigators tie events together without naming the address. */
  recipientHash: string;
}

/**
 * At most MAIL_RECIPIENT_LIMIT mails per inbox per MAIL_RECIPIENT_WINDOW_SECONDS, on every
 * instance together. The counters live in PostgreSQL (the embedded database included) rather
 * than Redis: the limit then holds on every runtime shape, a mail that passes costs one small
 * upsert next to the job insert it leads to, and a Redis outage cannot switch it off. A window
 * starts at the first mail after the previous one ran out.
 */
@Injectable()
export class MailRecipientLimit {
  private readonly max: number;
  private readonly windowSeconds: number;

  constructor(
    private readonly db: DatabaseConnection,
    private readonly encryption: FieldEncryption,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    ({ max: this.max, windowSeconds: this.windowSeconds } = config.mail.recipientLimit);
  }

  get settings(): { limit: number; windowSeconds: number } {
    return { limit: this.max, windowSeconds: this.windowSeconds };
  }

  /** Counts a mail to `to` (in one atomic statement, so concurrent mails all count); not admitted past the limit. */
  async admit(to: string): Promise<Admission> {
    const recipientHash = this.encryption.keyedDigests(recipientInbox(to), DIGEST_CONTEXT)[0];
    if (this.max === 0) return { admitted: true, recipientHash };
    const [row] = await this.db.query<{ requested: number }>(
      `INSERT INTO mail_recipient_counts AS c (recipient_hash, window_start, requested) VALUES ($1, now(), 1)
       ON CONFLICT (recipient_hash) DO UPDATE SET
         window_start = CASE WHEN c.window_start <= now() - $2::float8 * interval '1 second' THEN now() ELSE c.window_start END,
         requested = CASE WHEN c.window_start <= now() - $2::float8 * interval '1 second' THEN 1 ELSE c.requested + 1 END
       RETURNING requested`,
      [recipientHash, this.windowSeconds],
    );
    return { admitted: row.requested <= this.max, recipientHash };
  }

  /** Counters whose window has run out say nothing any more (the cleanup job). */
  async purgeExpired(): Promise<number> {
    const rows = await this.db.query(
      `DELETE FROM mail_recipient_counts WHERE window_start <= now() - $1::float8 * interval '1 second' RETURNING recipient_hash`,
      [this.windowSeconds],
    );
    return rows.length;
  }
}
