// Twilio's request signature, from the example in Twilio's own documentation and helper libraries:
// auth token 12345, this URL and these parameters give RSOYDt4T1cUTdK1PDd93/VVr8B8=.
import { describe, expect, it } from 'vitest';
import { isValidTwilioSignature, readReceipt, twilioSignature } from '../../src/delivery/twilio-status.js';

const TOKEN = '12345';
const URL = 'https://mycompany.com/myapp.php?foo=1&bar=2';
const PARAMS: Array<[string, string]> = [
  ['Digits', '1234'],
  ['To', '+18005551212'],
  ['From', '+14158675309'],
  ['Caller', '+14158675309'],
  ['CallSid', 'CA1234567890ABCDE'],
];
const SIGNATURE = 'RSOYDt4T1cUTdK1PDd93/VVr8B8=';

describe('X-Twilio-Signature', () => {
  it("reproduces Twilio's documented example, whatever order the parameters came in", () => {
    expect(twilioSignature(TOKEN, URL, PARAMS)).toBe(SIGNATURE);
    expect(twilioSignature(TOKEN, URL, [...PARAMS].reverse())).toBe(SIGNATURE);
    expect(isValidTwilioSignature(TOKEN, URL, PARAMS, SIGNATURE)).toBe(true);
  });

  it.each([
    { case: 'another auth token', token: 'other', url: URL, params: PARAMS, signature: SIGNATURE },
    { case: 'another URL', token: TOKEN, url: `${URL}&x=1`, params: PARAMS, signature: SIGNATURE },
    { case: 'a changed parameter', token: TOKEN, url: URL, params: [...PARAMS.slice(1), ['Digits', '9999']] as Array<[string, string]>, signature: SIGNATURE },
    { case: 'an added parameter', token: TOKEN, url: URL, params: [...PARAMS, ['Extra', '1']] as Array<[string, string]>, signature: SIGNATURE },
    { case: 'an empty signature', token: TOKEN, url: URL, params: PARAMS, signature: '' },
    { case: 'no signature', token: TOKEN, url: URL, params: PARAMS, signature: undefined },
    { case: 'a signature of another length', token: TOKEN, url: URL, params: PARAMS, signature: 'RSOY' },
  ])('refuses $case', ({ token, url, params, signature }) => {
    expect(isValidTwilioSignature(token, url, params, signature)).toBe(false);
  });
});

describe('a delivery receipt', () => {
  it.each([
    { case: 'delivered', form: 'MessageStatus=delivered&To=%2B919876500001&ErrorCode=', expected: { status: 'delivered', callingCode: '91', errorCode: null } },
    { case: 'undelivered with its error code', form: 'MessageStatus=undelivered&To=%2B14155550100&ErrorCode=30003', expected: { status: 'undelivered', callingCode: '1', errorCode: '30003' } },
    { case: 'failed to an unreadable number', form: 'MessageStatus=failed&To=garbage&ErrorCode=30008', expected: { status: 'failed', callingCode: 'unknown', errorCode: '30008' } },
  ])('reads $case', ({ form, expected }) => {
    expect(readReceipt(new URLSearchParams(form))).toEqual(expected);
  });

  it.each(['queued', 'sending', 'sent', 'accepted'])('does not count the intermediate status %s', (status) => {
    expect(readReceipt(new URLSearchParams(`MessageStatus=${status}&To=%2B919876500001`))).toBeUndefined();
  });
});
