import type { Browser, Page } from 'playwright-core';
import type { StoredFile } from '@backlot/client';
import { createUser, signedInUser } from '@backlot/testing/auth';
import { launchChromium } from '@backlot/testing/browser';
import { defineCollection, OWNER_ONLY_RULES } from '@backlot/testing/data';
import { compileClientModules, type SdkHarness, serveSdkHarness } from '@backlot/testing/sdk-harness';
import { startTestApp, type TestApp } from '@backlot/testing/test-app';

interface Outcome {
  /** `loaded/total` of every progress report. */
  progress: [number, number][];
  original?: string;
  size?: number;
  error?: string;
}

/**
 * The SDK's uploads in headless Chromium, where fetch() reports no upload progress and the SDK
 * sends through XMLHttpRequest instead: progress of a multipart create and of a resumable upload,
 * across origins (the page and the API on different ports, CORS).
 */
describe('@backlot/client uploads in a real browser', () => {
  let sdk: ReturnType<typeof compileClientModules>;
  let harness: SdkHarness;
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let user: { email: string; password: string };

  beforeAll(async () => {
    sdk = compileClientModules();
    harness = await serveSdkHarness(sdk.dir);
    await sdk.compiled;
    t = await startTestApp({ env: { CORS_ORIGINS: harness.url, AUTH_RATE_LIMIT_MAX: '1000' } });
    const admin = await signedInUser(t, { role: 'admin' });
    const fields = [
      { name: 'title', type: 'text', required: true },
      { name: 'attachment', type: 'file' },
      { name: 'picture', type: 'file', mimeTypes: ['image/png'] },
    ];
    await defineCollection(admin, 'docs', fields, OWNER_ONLY_RULES);
    user = await createUser(t);
    browser = await launchChromium();
    page = await browser.newPage();
    // A slow uplink (4 MB/s), so that progress has something to report between the first byte and the last.
    const devtools = await page.context().newCDPSession(page);
    await devtools.send('Network.enable');
    await devtools.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 4 * 1024 * 1024,
    });
    // A page under a strict CSP whose module script puts the SDK on globalThis.sdk.
    await page.goto(harness.url);
    await page.waitForFunction(() => 'sdk' in globalThis);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await harness?.close();
    sdk?.remove();
  });

  /** Runs an upload in the page with a fresh signed-in client and a file of `size` random bytes. */
  function uploadInPage(kind: 'create' | 'resumable', size: number, field = 'attachment'): Promise<Outcome> {
    return page.evaluate(
      async ({ api, email, password, kind, size, field }) => {
        const { createClient } = (globalThis as unknown as { sdk: typeof import('@backlot/client') }).sdk;
        const client = createClient({ url: api });
        await client.auth.login(email, password);
        const docs = client.collection('docs');
        const bytes = new Uint8Array(size);
        for (let at = 0; at < size; at += 65_536) crypto.getRandomValues(bytes.subarray(at, Math.min(size, at + 65_536)));
        const file = new File([bytes], 'photo "one".bin');
        const progress: [number, number][] = [];
        const onProgress = (p: { loaded: number; total: number }) => progress.push([p.loaded, p.total]);
        try {
          if (kind === 'create') {
            const doc = await docs.create({ title: 'from the browser' }, { files: { [field]: file }, onUploadProgress: onProgress });
            const stored = doc[field] as StoredFile;
            return { progress, original: stored.original, size: stored.size };
          }
          const doc = await docs.create({ title: 'resumable from the browser' });
          await client.files.upload(file, { collection: 'docs', record: doc.id, field }, { chunkSize: 1024 * 1024, onProgress });
          const stored = (await docs.get(doc.id))[field] as StoredFile;
          return { progress, original: stored.original, size: stored.size };
        } catch (error) {
          return { progress, error: `${(error as { status?: number }).status} ${(error as Error).message}` };
        }
      },
      { api: t.baseUrl, ...user, kind, size, field },
    );
  }

  function expectMonotonic(progress: [number, number][], total: number): void {
    expect(progress.length).toBeGreaterThan(1);
    for (let i = 1; i < progress.length; i++) expect(progress[i][0]).toBeGreaterThanOrEqual(progress[i - 1][0]);
    expect(progress.at(-1)).toEqual([total, total]);
  }

  it('reports the progress of a multipart create, keeps the file name as given', async () => {
    const outcome = await uploadInPage('create', 3_000_000);
    expect(outcome).toMatchObject({ original: 'photo "one".bin', size: 3_000_000 });
    const total = outcome.progress.at(-1)![1];
    expect(total).toBeGreaterThan(3_000_000);
    expectMonotonic(outcome.progress, total);
  });

  it('sends a resumable upload in chunks across origins, with progress inside each chunk', async () => {
    const outcome = await uploadInPage('resumable', 3_000_000);
    expect(outcome).toMatchObject({ original: 'photo "one".bin', size: 3_000_000 });
    expectMonotonic(outcome.progress, 3_000_000);
    // Reports inside the chunks of 1 MiB, not only at their ends (XMLHttpRequest's upload events).
    expect(outcome.progress.some(([loaded]) => loaded % (1024 * 1024) !== 0 && loaded !== 3_000_000)).toBe(true);
  });

  it("answers a refused file with the server's problem, readable across origins", async () => {
    const outcome = await uploadInPage('resumable', 1000, 'picture');
    expect(outcome.error).toMatch(/^415 /);
  });
});
