import type { LocaleTemplates } from '../templates.js';

// English. The SMS stays in GSM-7 and one segment even with a 10-digit code, a day-long expiry
// and both autofill lines.
export const en: LocaleTemplates = {
  login: {
    sms: 'Your login code is {code}. It expires in {minutes, plural, one {# minute} other {# minutes}}. Do not share it with anyone.',
    email_subject: 'Your login code',
    email_text:
      'Your login code is: {code}\n\nEnter it to sign in. It expires in {minutes, plural, one {# minute} other {# minutes}}.\n\n' +
      'Do not share this code with anyone. If you did not ask for it, you can ignore this email.\n',
    email_html:
      '<p>Your login code is:</p>{code}<p>Enter it to sign in. It expires in {minutes, plural, one {# minute} other {# minutes}}.</p>' +
      '<p>Do not share this code with anyone. If you did not ask for it, you can ignore this email.</p>',
  },
  register: {
    sms: 'Your verification code is {code}. It expires in {minutes, plural, one {# minute} other {# minutes}}. Do not share it with anyone.',
    email_subject: 'Your registration code',
    email_text:
      'Your registration code is: {code}\n\nEnter it to finish creating your account. It expires in {minutes, plural, one {# minute} other {# minutes}}.\n\n' +
      'Do not share this code with anyone. If you did not ask for it, you can ignore this email.\n',
    email_html:
      '<p>Your registration code is:</p>{code}<p>Enter it to finish creating your account. It expires in {minutes, plural, one {# minute} other {# minutes}}.</p>' +
      '<p>Do not share this code with anyone. If you did not ask for it, you can ignore this email.</p>',
  },
};
