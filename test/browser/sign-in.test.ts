// The sign-in page in a real browser (Chromium), against the real service: every journey a person
// takes, each failing on any console error, failed request or 5xx. Codes come from the fake SMS and
// email providers (or the dev inbox panel); time moves by the injected clock, not by sleeping.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { browserUnavailable, launchBrowser, screenshot, seriousA11yViolations, watchPage, type BrowserContext, type LaunchedBrowser, type Page } from '../support/browser.js';
import { emailCode, expectStatus, newEmail, newPhone, otherCode, registerEmail, registerPhone, smsCode } from '../support/flows.js';
import { serviceForBlock } from '../support/service.js';

const PHONE_VIEWPORT = { width: 390, height: 844 };
const COOLDOWN_SECONDS = 2;
const unavailable = browserUnavailable();

describe.skipIf(unavailable !== undefined)('the sign-in page at GET /', () => {
  const service = serviceForBlock({ env: { WEB_UI: 'true', DEFAULT_COUNTRY: 'IN', OTP_RESEND_COOLDOWN_SECONDS: String(COOLDOWN_SECONDS) } });
  let launched: LaunchedBrowser;
  let context: BrowserContext;
  let page: Page;
  let watched: { problems: string[] };

  beforeAll(async () => {
    launched = await launchBrowser();
  });
  afterAll(async () => {
    await launched?.close();
  });
  beforeEach(async () => {
    context = await launched.browser.newContext({ viewport: PHONE_VIEWPORT });
    page = await context.newPage();
    watched = watchPage(page);
    await page.goto(service.url);
    await page.getByRole('button', { name: 'Send code' }).waitFor();
  });
  afterEach(async () => {
    await context.close();
    expect(watched.problems).toStrictEqual([]);
  });

  async function typeCode(code: string): Promise<void> {
    await page.locator('#code-1').focus();
    await page.keyboard.type(code);
  }

  async function expectAlert(text: RegExp): Promise<void> {
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(text);
  }

  it('registers by phone, keeps the customer signed in across a reload, and signs out', async () => {
    const phone = newPhone();
    await page.getByRole('radio', { name: 'Create account' }).check();
    await page.getByLabel('Your name').fill('Asha Rao');
    expect(await page.getByLabel('Country').inputValue()).toBe('IN');
    await page.getByLabel('Phone number').pressSequentially(phone.national);
    expect(await page.getByLabel('Phone number').inputValue()).toBe(`${phone.national.slice(0, 5)} ${phone.national.slice(5)}`);
    await screenshot(page, 'register-form');
    await page.getByRole('button', { name: 'Send code' }).click();
    await page.getByRole('textbox', { name: 'Digit 1 of 6' }).waitFor();
    expect(await page.locator('#code-1').getAttribute('autocomplete')).toBe('one-time-code');
    expect(await page.locator('#code-1').getAttribute('inputmode')).toBe('numeric');
    await screenshot(page, 'code-entry');
    await typeCode(smsCode(service, phone.e164));
    await page.getByRole('heading', { name: 'Hello, Asha Rao' }).waitFor();
    await expect.poll(() => page.locator('#profile').textContent()).toContain(`+91 ${phone.national}`);
    await screenshot(page, 'signed-in');

    // No token is readable by script: the refresh token is in an httpOnly cookie only.
    expect(await page.evaluate(() => document.cookie)).toBe('');
    const cookies = await context.cookies();
    expect(cookies.map((cookie) => [cookie.name, cookie.httpOnly, cookie.sameSite, cookie.path])).toStrictEqual([['refresh_token', true, 'Strict', '/api/v1/auth']]);

    await page.reload();
    await page.getByRole('heading', { name: 'Hello, Asha Rao' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Send code' }).waitFor();
    expect(await context.cookies()).toStrictEqual([]);
    await page.reload();
    await page.getByRole('button', { name: 'Send code' }).waitFor();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Sign in');
  });

  it('logs in by email after a wrong code, saying how many attempts are left', async () => {
    const { email } = await registerEmail(service, newEmail('browser'), { name: 'Ravi' });
    await page.getByRole('radio', { name: 'Email' }).check();
    await page.getByLabel('Email address', { exact: true }).fill(email);
    await page.getByRole('button', { name: 'Send code' }).click();
    await page.getByRole('textbox', { name: 'Digit 1 of 6' }).waitFor();
    const code = emailCode(service, email);
    await typeCode(otherCode(code));
    await expectAlert(/Invalid OTP\. 4 attempts left\./);
    await screenshot(page, 'wrong-code');
    await typeCode(code);
    await page.getByRole('heading', { name: 'Hello, Ravi' }).waitFor();
  });

  it('offers registration for an unknown number and login for a known one', async () => {
    const known = await registerPhone(service);
    await page.getByLabel('Phone number').fill(newPhone().national);
    await page.getByRole('button', { name: 'Send code' }).click();
    await expectAlert(/no account/i);
    await page.getByRole('button', { name: 'Create an account instead' }).click();
    expect(await page.getByRole('radio', { name: 'Create account' }).isChecked()).toBe(true);

    await page.getByLabel('Your name').fill('Known');
    await page.getByLabel('Phone number').fill(known.phone.national);
    await page.getByRole('button', { name: 'Send code' }).click();
    await expectAlert(/already have an account/);
    await page.getByRole('button', { name: 'Sign in instead' }).click();
    expect(await page.getByRole('radio', { name: 'Sign in' }).isChecked()).toBe(true);
  });

  it('refuses an expired code, then resends once the cooldown has counted down', async () => {
    const { phone } = await registerPhone(service);
    await page.getByLabel('Phone number').fill(phone.national);
    await page.getByRole('button', { name: 'Send code' }).click();
    const resend = page.getByRole('button', { name: /Resend code/ });
    await expect.poll(() => resend.textContent()).toMatch(/Resend code in \d s/);
    expect(await resend.isDisabled()).toBe(true);
    const first = smsCode(service, phone.e164);

    service.clock.advance(600_000 + 1000); // past OTP_TTL_SECONDS (and the cooldown) on the server
    await typeCode(first);
    await expectAlert(/expired/);
    await screenshot(page, 'expired-code');
    // The button counts the cooldown down in the page, then comes back.
    await expect.poll(() => resend.isEnabled(), { timeout: (COOLDOWN_SECONDS + 2) * 1000 }).toBe(true);
    await resend.click();
    await expect.poll(() => smsCode(service, phone.e164)).not.toBe(first);
    await typeCode(smsCode(service, phone.e164));
    await page.getByRole('heading', { name: 'You are signed in' }).waitFor();
  });

  it('lists the customer\'s sessions and ends another one', async () => {
    const { phone, token } = await registerPhone(service, newPhone(), { name: 'Meera' });
    await page.getByLabel('Phone number').fill(phone.national);
    await page.getByRole('button', { name: 'Send code' }).click();
    await page.getByRole('textbox', { name: 'Digit 1 of 6' }).waitFor();
    await typeCode(smsCode(service, phone.e164));
    await page.getByRole('heading', { name: 'Hello, Meera' }).waitFor();
    const sessions = page.getByRole('list', { name: 'Your sessions' }).getByRole('listitem');
    await expect.poll(() => sessions.count()).toBe(2);
    await expect.poll(() => sessions.filter({ hasText: '(this device)' }).count()).toBe(1);
    await page.getByRole('button', { name: /^End session/ }).click();
    await expect.poll(() => sessions.count()).toBe(1);
    expectStatus(await service.get('/api/v1/auth/me', { authorization: `Bearer ${token}` }), 401);
  });

  it('does not serve the dev inbox without APP_DEBUG', async () => {
    expectStatus(await service.get('/api/v1/dev/inbox'), 404);
  });

  it('serves the page under a strict Content-Security-Policy with no inline script', async () => {
    const answer = await service.get('/');
    expectStatus(answer, 200);
    const csp = answer.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(String(answer.body)).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(String(answer.body)).not.toMatch(/https?:\/\//);
  });

  it('has no serious or critical accessibility violations on a phone-sized screen', async () => {
    // axe is injected as an inline script, which the page's CSP rightly refuses: this one context bypasses it.
    const audit = await launched.browser.newContext({ viewport: PHONE_VIEWPORT, bypassCSP: true });
    const auditPage = await audit.newPage();
    await auditPage.goto(service.url);
    await auditPage.getByRole('button', { name: 'Send code' }).waitFor();
    expect(await seriousA11yViolations(auditPage)).toStrictEqual([]);
    const phone = newPhone();
    await auditPage.getByRole('radio', { name: 'Create account' }).check();
    await auditPage.getByLabel('Your name').fill('Axe');
    await auditPage.getByLabel('Phone number').fill(phone.national);
    await auditPage.getByRole('button', { name: 'Send code' }).click();
    await auditPage.getByRole('textbox', { name: 'Digit 1 of 6' }).waitFor();
    expect(await seriousA11yViolations(auditPage)).toStrictEqual([]);
    // Nothing wider than the screen.
    expect(await auditPage.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE_VIEWPORT.width);
    await audit.close();
  });
});

describe.skipIf(unavailable !== undefined)('the dev inbox (APP_DEBUG with the console providers)', () => {
  const service = serviceForBlock({ env: { WEB_UI: 'true', APP_DEBUG: 'true', SMS_PROVIDER: 'console', EMAIL_PROVIDER: 'console', DEFAULT_COUNTRY: 'IN' } });

  it('shows the code just sent, and signing in with it works', async () => {
    const launched = await launchBrowser();
    try {
      const page = await launched.browser.newPage({ viewport: PHONE_VIEWPORT });
      const watched = watchPage(page);
      await page.goto(service.url);
      const phone = newPhone();
      await page.getByRole('radio', { name: 'Create account' }).check();
      await page.getByLabel('Your name').fill('Dev');
      await page.getByLabel('Phone number').fill(phone.national);
      await page.getByRole('button', { name: 'Send code' }).click();
      const code = page.locator('#inbox-list .inbox-code').first();
      await code.waitFor();
      await screenshot(page, 'dev-inbox');
      await page.locator('#code-1').focus();
      await page.keyboard.type((await code.textContent()) ?? '');
      await page.getByRole('heading', { name: 'Hello, Dev' }).waitFor();
      expect(watched.problems).toStrictEqual([]);
    } finally {
      await launched.close();
    }
  });
});
