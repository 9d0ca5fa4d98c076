import { Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { AdminAction, AdminController } from '../admin-controller.decorator';
import { SettingsDto } from './dto/settings.dto';
import { settingsView } from './settings-view';

@AdminController('settings')
export class AdminSettingsController {
  private readonly view: SettingsDto;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    // The configuration is read once at start and never changes while the process runs.
    this.view = settingsView(config);
  }

  @Get()
  @AdminAction('settings.view')
  @ApiOperation({
    summary: 'The effective configuration of this instance, grouped, with every secret masked',
    description:
      'Admins only; audited as `admin.settings.view`. Read-only: settings come from the environment at start. Secrets (signing ' +
      'secrets, encryption keys, passwords, the S3 keys, the metrics token, provider client secrets) read `********` when set and ' +
      'null when not; URLs keep everything but their password and query values. Sign-in providers added through the admin API are ' +
      'listed by `GET /admin/sign-in/providers`.',
  })
  @ApiOkResponse({ type: SettingsDto })
  settings(): SettingsDto {
    return this.view;
  }
}
