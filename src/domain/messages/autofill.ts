// Lines that let a phone fill the code in by itself.
//  - WebOTP / origin-bound one-time codes (https://wicg.github.io/sms-one-time-codes/): the last
//    line is "@" + the site's host + " #" + the code, e.g. "@shop.example.com #123456".
//  - Android SMS Retriever: the message carries the app's 11-character hash string; on its own
//    line before the WebOTP line, so both can be set at once and the WebOTP line stays last.

export interface AutofillSettings {
  /** WEBOTP_DOMAIN: the host the code is bound to (no scheme, no port). */
  webotpDomain: string | undefined;
  /** ANDROID_APP_HASH: the 11-character hash SMS Retriever looks for. */
  androidAppHash: string | undefined;
}

/** The SMS text with the autofill lines its settings ask for. */
export function withAutofill(text: string, code: string, settings: AutofillSettings): string {
  let message = text;
  if (settings.androidAppHash !== undefined) message += `\n${settings.androidAppHash}`;
  if (settings.webotpDomain !== undefined) message += `\n@${settings.webotpDomain} #${code}`;
  return message;
}
