import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ClusterBus } from '@backlot/cache';

const CHANNEL = 'auth.principal-changed';

type Listener = (userId: string) => void;

/**
 * Tells every instance that what a user's credentials grant changed: a session or API key
 * was revoked, or the account was disabled, deleted or given another role. Code that holds
 * a principal for long (open realtime streams) re-checks it at once instead of at its next
 * periodic check. The auth module announces a change after storing it and evicting its
 * cached state, so a re-check sees it. Delivery is at most once (ClusterBus): holders keep
 * their periodic re-check as the backstop.
 */
@Injectable()
export class PrincipalChanges implements OnModuleInit {
  private readonly logger = new Logger('PrincipalChanges');
  private readonly listeners: Listener[] = [];

  constructor(private readonly bus: ClusterBus) {}

  async onModuleInit(): Promise<void> {
    await this.bus.subscribe(CHANNEL, (message) => {
      const { userId } = message as { userId: string };
      for (const listener of this.listeners) listener(userId);
    });
  }

  /** Hears every instance's announcements, this one's included. */
  onChange(listener: Listener): void {
    this.listeners.push(listener);
  }

  /** Never fails the change it reports: the change is stored, and a lost notice is caught up by the periodic re-checks. */
  async announce(userId: string): Promise<void> {
    try {
      await this.bus.publish(CHANNEL, { userId });
    } catch (error) {
      this.logger.warn({
        msg: 'principal change not announced; holders notice it at their next periodic check',
        error: (error as Error).message,
      });
    }
  }
}
