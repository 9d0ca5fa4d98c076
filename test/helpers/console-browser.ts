import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from './browser';
import { buildConsole } from './console-build';
import { startTestApp, type TestApp, type TestAppOptions } from './test-app';

const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** A stored value no page may run: the console must show it as text. */
export const HOSTILE = '<img src=x onerror="window.__xss=1">';

export interface ConsoleBrowser {
  t: TestApp;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** CSP violations, console errors and uncaught exceptions seen so far: a spec ends by expecting none. */
  problems: string[];
  /** Opens the console signed in as this account (email and password), on `/_/` or the given path under it. */
  signIn(account: { email: string; password: string }, path?: string): Promise<void>;
  /** axe-core's serious and critical violations on the page as it is now. */
  accessibilityProblems(): Promise<string[]>;
  /** Whether a HOSTILE value ran anywhere on the page. */
  ranHostileScript(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * The console built from the current sources, a Backlot serving it, and a Chromium page on it
 * that records every CSP violation, console error and uncaught exception.
 */
export async function openConsole(options: TestAppOptions = {}): Promise<ConsoleBrowser> {
  const build = await buildConsole();
  const t = await startTestApp({ ...options, env: { ...options.env, CONSOLE_DIR: build.dir } });
  const browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
  const problems: string[] = [];
  await context.exposeFunction('reportViolation', (text: string) => problems.push(`CSP: ${text}`));
  await context.addInitScript(() =>
    document.addEventListener('securitypolicyviolation', (event) =>
      (window as unknown as { reportViolation(text: string): void }).reportViolation(`${event.violatedDirective} ${event.blockedURI}`),
    ),
  );
  const page = await context.newPage();
  page.on('console', (message) => {
    // A refused call (the session probe while signed out, a 4xx the page shows) is the browser logging a failed fetch, not a fault.
    if (message.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(message.text()))
      problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));

  return {
    t,
    browser,
    context,
    page,
    problems,
    async signIn(account, path = '/_/') {
      await page.goto(`${t.baseUrl}${path}`);
      await page.getByLabel('Email').fill(account.email);
      await page.getByLabel('Password').fill(account.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
    },
    async accessibilityProblems() {
      // Evaluated through DevTools: the console's CSP (rightly) refuses an injected script tag.
      await page.evaluate(AXE);
      const violations = await page.evaluate(async () => {
        const axe = (window as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string; nodes: unknown[] }[] }> } })
          .axe;
        return (await axe.run()).violations;
      });
      return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.nodes.length})`);
    },
    async ranHostileScript() {
      return (await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)) !== undefined;
    },
    async close() {
      await browser.close();
      await t.close();
      build.remove();
    },
  };
}
