import { type CanActivate, Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { NotFound } from '@backlot/http';

/** AUTH_EMAIL_CODES=false: the email-code routes answer 404, as switched-off features do (METRICS_ENABLED). */
@Injectable()
export class EmailCodesEnabled implements CanActivate {
  private readonly enabled: boolean;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.enabled = config.auth.emailCodes.enabled;
  }

  canActivate(): boolean {
    if (!this.enabled) throw new NotFound('Sign-in with an email code is turned off on this server.');
    return true;
  }
}
