import type { LocaleTemplates } from '../templates.js';

// Spanish. The SMS is worded without á, í, ó, ú ("clave" rather than "código"): those letters are
// not in GSM-7, and one of them would turn the whole SMS into UCS-2 and two segments. The email
// has no such limit and is written normally.
export const es: LocaleTemplates = {
  login: {
    sms: 'Tu clave para entrar es {code}. Caduca en {minutes, plural, one {# minuto} other {# minutos}}. No la compartas con nadie.',
    email_subject: 'Tu código de acceso',
    email_text:
      'Tu código de acceso es: {code}\n\nIntrodúcelo para iniciar sesión. Caduca en {minutes, plural, one {# minuto} other {# minutos}}.\n\n' +
      'No compartas este código con nadie. Si no lo has pedido, puedes ignorar este correo.\n',
    email_html:
      '<p>Tu código de acceso es:</p>{code}<p>Introdúcelo para iniciar sesión. Caduca en {minutes, plural, one {# minuto} other {# minutos}}.</p>' +
      '<p>No compartas este código con nadie. Si no lo has pedido, puedes ignorar este correo.</p>',
  },
  register: {
    sms: 'Tu clave para crear la cuenta es {code}. Caduca en {minutes, plural, one {# minuto} other {# minutos}}. No la compartas con nadie.',
    email_subject: 'Tu código de registro',
    email_text:
      'Tu código de registro es: {code}\n\nIntrodúcelo para terminar de crear tu cuenta. Caduca en {minutes, plural, one {# minuto} other {# minutos}}.\n\n' +
      'No compartas este código con nadie. Si no lo has pedido, puedes ignorar este correo.\n',
    email_html:
      '<p>Tu código de registro es:</p>{code}<p>Introdúcelo para terminar de crear tu cuenta. Caduca en {minutes, plural, one {# minuto} other {# minutos}}.</p>' +
      '<p>No compartas este código con nadie. Si no lo has pedido, puedes ignorar este correo.</p>',
  },
};
