// The sign-in page: choose phone or email, ask for a code, type it, and see the account. A client
// of the public API only (api.ts); the refresh token never reaches this script.
import { AsYouType, getCountries, getCountryCallingCode, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import * as api from './api.js';
import { createCodeInput } from './code-input.js';
import { explain, type Offer } from './errors.js';
import { startInbox } from './inbox.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const setting = (name: string) => document.querySelector<HTMLMetaElement>(`meta[name="auth:${name}"]`)?.content ?? '';

const OTP_LENGTH = Number(setting('otp-length')) || 6;
const COOLDOWN_SECONDS = Number(setting('resend-cooldown-seconds')) || 0;

const startForm = $<HTMLFormElement>('start');
const verifyForm = $<HTMLFormElement>('verify');
const account = $('account');
const country = $<HTMLSelectElement>('country');
const phone = $<HTMLInputElement>('phone');
const email = $<HTMLInputElement>('email');
const resendButton = $<HTMLButtonElement>('resend');

let purpose: api.Purpose = 'login';
let identity: api.Identity | undefined;
let countdown: ReturnType<typeof setInterval> | undefined;
let smsListening: AbortController | undefined;
let busy = false;

function status(text: string): void {
  $('status').textContent = text;
}

function showError(text: string, offer: Offer = undefined): void {
  $('error-text').textContent = text;
  const action = $<HTMLButtonElement>('error-action');
  action.hidden = offer === undefined;
  action.dataset.offer = offer ?? '';
  action.textContent = { register: 'Create an account instead', login: 'Sign in instead', resend: 'Send a new code' }[offer ?? 'login'];
  $('error').hidden = false;
}

function clearError(): void {
  $('error').hidden = true;
}

function show(step: 'start' | 'verify' | 'account', title: string): void {
  startForm.hidden = step !== 'start';
  verifyForm.hidden = step !== 'verify';
  account.hidden = step !== 'account';
  $('title').textContent = title;
  document.title = title;
}

// The country picker: every region libphonenumber knows, named in the browser's language.
function fillCountries(): void {
  const names = new Intl.DisplayNames([navigator.language, 'en'], { type: 'region' });
  const options = getCountries()
    .map((code) => ({ code, label: `${names.of(code) ?? code} (+${getCountryCallingCode(code)})` }))
    .sort((a, b) => a.label.localeCompare(b.label));
  country.replaceChildren(...options.map(({ code, label }) => new Option(label, code)));
  const preferred = setting('default-country') || navigator.language.split('-')[1] || 'US';
  country.value = getCountries().includes(preferred as CountryCode) ? preferred : 'US';
}

function formatPhone(): void {
  const digitsBefore = phone.value.slice(0, phone.selectionStart ?? phone.value.length).replace(/\D/g, '').length;
  phone.value = new AsYouType(country.value as CountryCode).input(phone.value);
  // Keep the caret after the same digit it followed.
  let seen = 0;
  let caret = 0;
  while (caret < phone.value.length && seen < digitsBefore) if (/\d/.test(phone.value[caret++]!)) seen += 1;
  phone.setSelectionRange(caret, caret);
}

function chosen(name: string): string {
  return startForm.querySelector<HTMLInputElement>(`input[name="${name}"]:checked`)!.value;
}

function syncForm(): void {
  purpose = chosen('purpose') as api.Purpose;
  const byPhone = chosen('channel') === 'phone';
  $('phone-fields').hidden = !byPhone;
  $('email-fields').hidden = byPhone;
  $('register-fields').hidden = purpose !== 'register';
  $('optional-email-fields').hidden = !(purpose === 'register' && byPhone);
  $<HTMLInputElement>('name').required = purpose === 'register';
  $('change').textContent = byPhone ? 'Use a different number' : 'Use a different email';
  show('start', purpose === 'register' ? 'Create your account' : 'Sign in');
}

function readIdentity(): (api.Identity & Record<string, string>) | undefined {
  const byPhone = chosen('channel') === 'phone';
  const extra: Record<string, string> = {};
  if (purpose === 'register') {
    const name = $<HTMLInputElement>('name').value.trim();
    if (name === '') {
      showError('Please enter your name.');
      $('name').focus();
      return undefined;
    }
    extra.name = name;
    const optional = $<HTMLInputElement>('optional-email').value.trim();
    if (byPhone && optional !== '') extra.email = optional;
  }
  if (!byPhone) return { type: 'email', identifier: email.value.trim(), ...extra };
  const parsed = parsePhoneNumberFromString(phone.value, country.value as CountryCode);
  // An unparseable number still goes to the service, which answers INVALID_PHONE in its own words.
  const identifier = parsed?.number ?? phone.value.trim();
  return { type: 'phone', identifier, ...(parsed === undefined ? { country_code: `+${getCountryCallingCode(country.value as CountryCode)}` } : {}), ...extra };
}

function startCountdown(seconds: number): void {
  clearInterval(countdown);
  let left = Math.max(0, Math.ceil(seconds));
  const tick = () => {
    resendButton.disabled = left > 0;
    resendButton.textContent = left > 0 ? `Resend code in ${left} s` : 'Resend code';
    if (left-- <= 0) clearInterval(countdown);
  };
  tick();
  countdown = setInterval(tick, 1000);
}

const code = createCodeInput($('code-boxes'), OTP_LENGTH, () => void verify());

async function sendCode(resend: boolean): Promise<void> {
  const asked = resend ? identity : readIdentity();
  if (asked === undefined || busy) return;
  busy = true;
  clearError();
  status(resend ? 'Sending a new code…' : 'Sending your code…');
  const answer = await api.requestCode(purpose, asked as api.Identity & Record<string, string>, resend);
  busy = false;
  if (!answer.ok) {
    status('');
    const { text, offer } = explain(answer);
    showError(text, offer);
    if (answer.code === 'OTP_COOLDOWN' && answer.retryAfterSeconds !== undefined) startCountdown(answer.retryAfterSeconds);
    return;
  }
  identity = { type: asked.type, identifier: asked.identifier };
  const sentTo = answer.data.phone ?? answer.data.email;
  $('code-legend').textContent = `Enter the ${OTP_LENGTH}-digit code we sent to ${sentTo}`;
  show('verify', 'Check your ' + (asked.type === 'phone' ? 'messages' : 'email'));
  status(`Code sent to ${sentTo}. It expires in ${answer.data.expires_in_minutes} minutes.`);
  code.clear();
  code.focus();
  startCountdown(COOLDOWN_SECONDS);
  smsListening?.abort();
  smsListening = new AbortController();
  code.listenForSms(smsListening.signal);
}

async function verify(): Promise<void> {
  const otp = code.value();
  if (identity === undefined || busy) return;
  if (otp.length !== OTP_LENGTH) {
    showError(`Please enter all ${OTP_LENGTH} digits.`);
    code.focus();
    return;
  }
  busy = true;
  clearError();
  status('Checking the code…');
  const answer = await api.verifyCode(purpose, identity, otp);
  busy = false;
  if (!answer.ok) {
    status('');
    const { text, offer } = explain(answer);
    showError(text, offer);
    code.clear();
    code.focus();
    return;
  }
  smsListening?.abort();
  clearInterval(countdown);
  await showAccount(purpose === 'register' ? 'Welcome! Your account is ready.' : 'Welcome back!');
}

function row(list: HTMLElement, term: string, value: string | null): void {
  if (value === null || value === '') return;
  const dt = document.createElement('dt');
  dt.textContent = term;
  const dd = document.createElement('dd');
  dd.textContent = value;
  list.append(dt, dd);
}

function describeAgent(agent: string | null): string {
  if (agent === null) return 'Unknown device';
  const browser = /(Edg|Chrome|Firefox|Safari)\/[\d.]+/.exec(agent)?.[1]?.replace('Edg', 'Edge') ?? 'Browser';
  const system = /(Android|iPhone|iPad|Windows|Mac OS X|Linux)/.exec(agent)?.[1]?.replace('Mac OS X', 'macOS') ?? 'unknown system';
  return `${browser} on ${system}`;
}

async function renderSessions(): Promise<void> {
  const answer = await api.sessions();
  const list = $('sessions');
  if (!answer.ok) return showError(explain(answer).text);
  list.replaceChildren(
    ...answer.data.sessions.map((session: { id: string; current: boolean; user_agent: string | null; last_used_at: string }) => {
      const item = document.createElement('li');
      const text = document.createElement('span');
      const when = new Date(session.last_used_at).toLocaleString();
      text.textContent = `${describeAgent(session.user_agent)}${session.current ? ' (this device)' : ''}, last active ${when}`;
      item.append(text);
      if (!session.current) {
        const end = document.createElement('button');
        end.type = 'button';
        end.className = 'secondary small';
        end.textContent = 'End session';
        end.setAttribute('aria-label', `End session: ${text.textContent}`);
        end.addEventListener('click', async () => {
          const ended = await api.endSession(session.id);
          if (!ended.ok) return showError(explain(ended).text);
          status('Session ended.');
          await renderSessions();
          $('sign-out').focus();
        });
        item.append(end);
      }
      return item;
    }),
  );
}

async function showAccount(greeting: string): Promise<void> {
  const answer = await api.me();
  if (!answer.ok) return signedOut(explain(answer).text);
  const customer = answer.data.customer;
  const profile = $('profile');
  profile.replaceChildren();
  row(profile, 'Name', customer.name);
  row(profile, 'Phone', customer.phone_e164 === null ? null : `${customer.country_code} ${customer.phone}`);
  row(profile, 'Email', customer.email);
  row(profile, 'Member since', new Date(customer.created_at).toLocaleDateString());
  show('account', customer.name ? `Hello, ${customer.name}` : 'You are signed in');
  status(greeting);
  await renderSessions();
  $('title').focus();
}

function signedOut(message?: string): void {
  identity = undefined;
  syncForm();
  if (message !== undefined) showError(message);
}

function switchPurpose(to: api.Purpose): void {
  $<HTMLInputElement>(`purpose-${to}`).checked = true;
  syncForm();
  clearError();
  (to === 'register' ? $('name') : $('send')).focus();
}

startForm.addEventListener('change', (event) => {
  if ((event.target as HTMLInputElement).type === 'radio') {
    clearError();
    syncForm();
  }
});
phone.addEventListener('input', formatPhone);
country.addEventListener('change', () => {
  phone.value = phone.value.replace(/[^\d]/g, '');
  formatPhone();
});
startForm.addEventListener('submit', (event) => {
  event.preventDefault();
  void sendCode(false);
});
verifyForm.addEventListener('submit', (event) => {
  event.preventDefault();
  void verify();
});
resendButton.addEventListener('click', () => void sendCode(true));
$('change').addEventListener('click', () => {
  smsListening?.abort();
  clearError();
  status('');
  syncForm();
  (chosen('channel') === 'phone' ? phone : email).focus();
});
$('error-action').addEventListener('click', () => {
  const offer = $('error-action').dataset.offer as Offer;
  if (offer === 'resend') void sendCode(true);
  else if (offer !== undefined) switchPurpose(offer);
});
$('sign-out').addEventListener('click', async () => {
  await api.signOut();
  signedOut();
  status('You are signed out.');
  $('title').focus();
});

fillCountries();
syncForm();
if (setting('dev-inbox') === 'true') startInbox($('inbox'), $('inbox-list'));
// A reload keeps the customer signed in: the refresh cookie gives a new access token.
status('Loading…');
void api.refresh().then(async (answer) => {
  status('');
  if (answer.ok) await showAccount('Welcome back!');
});
