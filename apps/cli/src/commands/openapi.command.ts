import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AppConfig, projectRoot } from '@backlot/config';
import { buildOpenApiDocument, createApp } from '@backlot/api';

export const OPENAPI_FILE = join(projectRoot(), 'openapi.json');

/** Writes the committed openapi.json from the app's routes (no database is touched). */
export async function writeOpenApi(config: AppConfig, print: (line: string) => void): Promise<number> {
  const app = await createApp(
    { ...config, database: { kind: 'embedded', dataDir: 'memory://', migrateOnStart: true, sharedBuffersMb: 8 } },
    {},
  );
  try {
    const document = buildOpenApiDocument(app, config);
    writeFileSync(OPENAPI_FILE, `${JSON.stringify(document, null, 2)}\n`);
    print(`Wrote ${OPENAPI_FILE} (${Object.keys(document.paths).length} paths)`);
    return 0;
  } finally {
    await app.close();
  }
}
