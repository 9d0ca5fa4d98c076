import { Injectable } from '@nestjs/common';
import type { Queryable } from '@backlot/database';
import { type EnqueueOptions, type JobDefinition, JobQueue } from '@backlot/jobs';
import { FieldEncryption } from './field-encryption';

interface SealedPayload {
  sealed: string;
}

/**
 * Jobs whose payload is personal data (addresses, sign-in links, who asked from where): the
 * queued payload is encrypted with the field-encryption key ring and bound to the job's name,
 * so the jobs table (and anyone who can read it) holds ciphertext only, and a payload copied
 * into another job does not decrypt there.
 */
@Injectable()
export class SealedJobs {
  constructor(
    private readonly jobs: JobQueue,
    private readonly encryption: FieldEncryption,
  ) {}

  define<P>(definition: JobDefinition<P>): void {
    const context = contextOf(definition.name);
    this.jobs.define<SealedPayload>({
      ...definition,
      handler: ({ sealed }, run) => definition.handler(JSON.parse(this.encryption.decrypt(sealed, context)) as P, run),
    });
  }

  /** Queues the job; rejects when the database refused it. */
  async enqueue<P>(name: string, payload: P, options?: EnqueueOptions): Promise<void> {
    await this.jobs.enqueue<SealedPayload>(name, this.seal(name, payload), options);
  }

  /** Queues the job through `tx`, a transaction of `JobQueue.transaction`, so it exists exactly when the rows written there do. */
  async enqueueIn<P>(tx: Queryable, name: string, payload: P): Promise<void> {
    await this.jobs.enqueueMany<SealedPayload>(name, [{ payload: this.seal(name, payload) }], tx);
  }

  private seal(name: string, payload: unknown): SealedPayload {
    return { sealed: this.encryption.encrypt(JSON.stringify(payload), contextOf(name)) };
  }
}

/** `jobs:mail.send` for the mail queue, as before this helper existed: mails queued then still decrypt. */
function contextOf(name: string): string {
  return `jobs:${name}`;
}
