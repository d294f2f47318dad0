// The limits' configuration: "count/window" rules, "off", and start-up refusals naming the variable.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { formatLimitRules } from '../../src/limit-rules.js';

describe('limit configuration', () => {
  it('ships every limit on, at its documented default', () => {
    const { limits } = loadConfig({});
    expect(formatLimitRules(limits.ipSend)).toBe('20/10m');
    expect(formatLimitRules(limits.ipVerify)).toBe('60/10m');
    expect(formatLimitRules(limits.ipRequest)).toBe('600/1m');
    expect(formatLimitRules(limits.otpSend)).toBe('5/1h,10/1d');
    expect(formatLimitRules(limits.verifyFailure)).toBe('20/1d');
    expect(formatLimitRules(limits.smsBudget)).toBe('1000/1h');
    expect(formatLimitRules(limits.smsBudgetPerCountry)).toBe('200/1h');
    expect(limits).toMatchObject({ lockSeconds: 3600, smsGuardMinSends: 50, smsGuardMinVerifyRatio: 0.2 });
  });

  it.each([
    ['20/10m', [{ limit: 20, windowMs: 600_000 }]],
    ['5/1h, 10/1d', [{ limit: 5, windowMs: 3_600_000 }, { limit: 10, windowMs: 86_400_000 }]],
    ['3/s', [{ limit: 3, windowMs: 1000 }]],
    ['OFF', undefined],
  ])('reads OTP_SEND_LIMIT=%s', (text, rules) => {
    expect(loadConfig({ OTP_SEND_LIMIT: text }).limits.otpSend).toEqual(rules);
  });

  it('turns the conversion guard off with SMS_GUARD_MIN_SENDS=off', () => {
    expect(loadConfig({ SMS_GUARD_MIN_SENDS: 'off' }).limits.smsGuardMinSends).toBeUndefined();
  });

  it.each([
    ['IP_SEND_LIMIT', '20'],
    ['IP_VERIFY_LIMIT', '20/10x'],
    ['OTP_SEND_LIMIT', '0/1h'],
    ['SMS_BUDGET', '5/1h,6/1h'],
    ['IDENTIFIER_VERIFY_FAILURE_LIMIT', 'twenty/1d'],
    ['SMS_GUARD_MIN_VERIFY_RATIO', '1.5'],
    ['SMS_GUARD_MIN_SENDS', '-1'],
    ['TEST_OTP_NUMBERS', '+919999900001=12'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^Invalid configuration: ${name} `));
  });

  it('normalises test identifiers in any spelling at start', () => {
    const { testIdentifiers } = loadConfig({ TEST_OTP_NUMBERS: '+91 99999-00001=123456, QA@Example.com=000000' });
    expect([...testIdentifiers]).toEqual([
      ['+919999900001', '123456'],
      ['qa@example.com', '000000'],
    ]);
  });
});
