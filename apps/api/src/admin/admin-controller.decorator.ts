import { applyDecorators, Controller, SetMetadata, UseInterceptors } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Roles } from '@backlot/security';
import { ADMIN_ACTION } from './admin-action.metadata';
import { AdminAuditInterceptor } from './admin-audit.interceptor';

/**
 * An admin resource under /api/v1/admin/<path>: admins only (401 anonymous, 403 others),
 * tagged `admin` in the document, and every call written to the audit log.
 */
export function AdminController(path: string): ClassDecorator {
  return applyDecorators(Controller(`admin/${path}`), ApiTags('admin'), Roles('admin'), UseInterceptors(AdminAuditInterceptor));
}

/** Names the call in the audit log (`admin.<action>`), e.g. `@AdminAction('users.disable')`. */
export function AdminAction(action: string): MethodDecorator {
  return SetMetadata(ADMIN_ACTION, action);
}
