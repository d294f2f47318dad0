// A real browser for the page's tests: Debian's Chromium driven by playwright-core (which never
// downloads a browser). Outside CI a machine without Chromium skips the browser suite, saying why;
// with CI=true Chromium is required (.ci/run installs it).
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = join(process.cwd(), 'test-results', 'screenshots');

/** Why the browser suite cannot run here, or undefined when it can; throws in CI, where it must. */
export function browserUnavailable(): string | undefined {
  if (existsSync(CHROMIUM_PATH)) return undefined;
  const reason = `no Chromium at ${CHROMIUM_PATH} (install the chromium package or set CHROMIUM_PATH)`;
  if (process.env.CI === 'true') throw new Error(`CI=true requires the browser suite: ${reason}`);
  console.warn(`skipping the browser suite: ${reason}`);
  return reason;
}

export interface LaunchedBrowser {
  browser: Browser;
  close(): Promise<void>;
}

/** Playwright gives every launch a fresh temporary profile (its own --user-data-dir) and deletes it on close. */
export async function launchBrowser(): Promise<LaunchedBrowser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run',
    ],
  });
  return {
    browser,
    close: () => browser.close(),
  };
}

/** Expected 4xx answers of the API are logged by Chromium as "Failed to load resource"; they are not failures. */
const EXPECTED_API_REFUSAL = /^Failed to load resource: the server responded with a status of 4\d\d /;

/**
 * Records every console error, uncaught page error, failed request and 5xx answer of a page, so a
 * test can assert there were none.
 */
export function watchPage(page: Page): { problems: string[] } {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && !EXPECTED_API_REFUSAL.test(message.text())) problems.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.method()} ${request.url()} ${request.failure()?.errorText ?? ''}`));
  page.on('response', (response) => {
    if (response.status() >= 500) problems.push(`${response.status()} answer: ${response.request().method()} ${response.url()}`);
  });
  return { problems };
}

let shot = 0;
/** A numbered screenshot into test-results/screenshots (ignored by git). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  shot += 1;
  await page.screenshot({ path: join(SCREENSHOTS, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
}

/** axe-core's serious and critical violations on the page as it is now (needs a context with bypassCSP: axe is injected inline). */
export async function seriousA11yViolations(page: Page): Promise<string[]> {
  const source = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
  await page.addScriptTag({ path: source });
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: unknown[] }[] }> } }).axe;
    return (await axe.run()).violations;
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.help}, ${v.nodes.length} nodes`);
}

export type { BrowserContext, Page };
