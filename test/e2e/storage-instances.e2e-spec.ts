import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseConnection } from '@backlot/database';
import { LocalDirPeers, MARKER_DIR } from '@backlot/storage';
import { startTestApp, type TestApp } from '@backlot/testing/test-app';
import { TEST_DATABASE_URL } from '@backlot/testing/test-env';

// Several instances need one PostgreSQL database; on the embedded database there is only ever one.
(TEST_DATABASE_URL ? describe : describe.skip)('several instances with the local storage driver', () => {
  const started: TestApp[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const app of started.reverse()) await app.close();
    started.length = 0;
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  const start = async (env: Record<string, string>, sameAs?: TestApp) => {
    const app = await startTestApp({ env, sameEnvironmentAs: sameAs });
    started.push(app);
    return app;
  };
  const freshDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'backlot-storage-dir-'));
    dirs.push(dir);
    return dir;
  };
  const liveInstances = async (app: TestApp) =>
    (await app.app.get(DatabaseConnection).query<{ id: string }>('SELECT id::text FROM storage_instances')).map((row) => row.id).sort();

  it('start side by side when they share one directory, each leaving its marker there', async () => {
    const shared = freshDir();
    const a = await start({ STORAGE_LOCAL_DIR: shared });
    const b = await start({ STORAGE_LOCAL_DIR: shared }, a);
    const ids = [a, b].map((app) => app.app.get(LocalDirPeers).instanceId);
    expect(readdirSync(join(shared, MARKER_DIR)).sort()).toEqual([...ids].sort());
    expect(await liveInstances(a)).toEqual([...ids].sort());

    // A stopped instance withdraws its marker and its row.
    await started.pop()!.close();
    expect(readdirSync(join(shared, MARKER_DIR))).toEqual([ids[0]]);
    expect(await liveInstances(a)).toEqual([ids[0]]);
  });

  it('refuse the second start when its directory is not the first one’s, naming the variable and the way out', async () => {
    const a = await start({ STORAGE_LOCAL_DIR: freshDir() });
    const separate = freshDir();
    const refused = start({ STORAGE_LOCAL_DIR: separate }, a);
    await expect(refused).rejects.toThrow(/^STORAGE_LOCAL_DIR \(.+\) is not shared with the other running instance\(s\): .+/);
    await expect(refused).rejects.toThrow(/mount one shared volume at STORAGE_LOCAL_DIR on every instance, or use STORAGE_DRIVER=s3/);
    // The refused instance left nothing behind: no row, no marker.
    expect(await liveInstances(a)).toEqual([a.app.get(LocalDirPeers).instanceId]);
    expect(readdirSync(join(separate, MARKER_DIR))).toEqual([]);
    // The first instance is unaffected and still answers.
    expect((await a.request('/api/v1/health/live')).status).toBe(200);
  });

  it('do not check anything with the S3 driver', async () => {
    const a = await start({ STORAGE_LOCAL_DIR: freshDir() });
    const other = freshDir();
    await start({ STORAGE_LOCAL_DIR: other, STORAGE_DRIVER: 's3', STORAGE_S3_BUCKET: 'never-contacted' }, a);
    expect(existsSync(join(other, MARKER_DIR))).toBe(false);
  });
});
