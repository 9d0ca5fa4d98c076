/**
 * What other apps may use of the API app (`@backlot/api`): the CLI builds the app to run
 * commands against the same modules the server runs. Anything not exported here is internal.
 */
export { createApp, type CreateAppOptions } from './app.factory';
export { buildOpenApiDocument } from './openapi';
export { LOCAL_SECRET_HEADER, readLocalServer } from './setup/local-cli-access';
export { type LocalAdminOutcome, SetupService } from './setup/setup.service';
