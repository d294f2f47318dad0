import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type TrustProxy } from '../../src/config.js';
import { createClientAddress } from '../../src/http/client-address.js';

describe('TRUST_PROXY', () => {
  it.each([
    [undefined, false],
    ['false', false],
    ['0', false],
    ['1', { hops: 1 }],
    ['2', { hops: 2 }],
    ['10.0.0.0/8', { proxies: ['10.0.0.0/8'] }],
    [' 10.0.0.0/8 , 192.0.2.7, fd00::/8, 2001:db8::1 ', { proxies: ['10.0.0.0/8', '192.0.2.7', 'fd00::/8', '2001:db8::1'] }],
    ['::ffff:10.0.0.0/104', { proxies: ['::ffff:10.0.0.0/104'] }],
  ])('reads TRUST_PROXY=%s', (value, trustProxy) => {
    expect(loadConfig(value === undefined ? {} : { TRUST_PROXY: value }).trustProxy).toEqual(trustProxy);
  });

  it.each(['true', 'TRUE', 'yes', 'on'])('refuses TRUST_PROXY=%s, saying why and what to write instead', (value) => {
    expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(ConfigError);
    expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(/TRUST_PROXY must not be .*leftmost X-Forwarded-For entry.*client writes.*TRUST_PROXY=1.*TRUST_PROXY=10\.0\.0\.0\/8/);
  });

  it.each([
    ['a hop count above 10', '11'],
    ['a name', 'loadbalancer.internal'],
    ['a prefix too long for IPv4', '10.0.0.0/33'],
    ['a prefix too long for IPv6', 'fd00::/129'],
    ['a prefix that is not a number', '10.0.0.0/x'],
    ['two prefixes', '10.0.0.0/8/8'],
    ['an octal address', '010.0.0.1'],
    ['an address with a port', '10.0.0.1:8080'],
    ['an empty entry', '10.0.0.1,,10.0.0.2'],
    ['a zone id', 'fe80::%eth0/10'],
  ])('refuses %s', (_description, value) => {
    expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(/Invalid configuration: TRUST_PROXY/);
  });
});

describe('client address', () => {
  const LONG_GARBAGE = `${'x'.repeat(3000)}, ${'203.0.113.9,'.repeat(1000)}`;

  describe('TRUST_PROXY=false', () => {
    const clientAddress = createClientAddress(false);

    it.each([
      ['ignores X-Forwarded-For', '198.51.100.7', '203.0.113.50', '198.51.100.7'],
      ['ignores an oversized X-Forwarded-For', '198.51.100.7', LONG_GARBAGE, '198.51.100.7'],
      ['keys an IPv4-mapped peer as IPv4', '::ffff:198.51.100.7', undefined, '198.51.100.7'],
      ['keys an IPv6 peer by its /64', '2001:db8:1:2:3:4:5:6', undefined, '2001:db8:1:2::/64'],
      ['keys a peer that is gone as unknown', undefined, undefined, 'unknown'],
    ])('%s', (_description, socket, header, key) => {
      expect(clientAddress(socket, header)).toBe(key);
    });
  });

  describe('TRUST_PROXY=1', () => {
    const clientAddress = createClientAddress({ hops: 1 });
    const LB = '10.0.0.5';

    it.each([
      ['takes the entry the load balancer appended', '203.0.113.50', '203.0.113.50'],
      ['ignores what the client wrote to the left', '1.1.1.1, 2.2.2.2, 203.0.113.50', '203.0.113.50'],
      ['reads only the right end of an oversized header', `${LONG_GARBAGE}, 203.0.113.50`, '203.0.113.50'],
      ['keys an IPv6 client by its /64', '1.1.1.1, 2001:db8:aa:bb:1::7', '2001:db8:aa:bb::/64'],
      ['keys an IPv4-mapped client as IPv4', '::ffff:203.0.113.50', '203.0.113.50'],
      ['falls back to the peer when the entry is not an address', '203.0.113.50, not-an-address', LB],
      ['falls back to the peer when the entry carries a port', '203.0.113.50:4711', LB],
      ['falls back to the peer on an empty header', '', LB],
      ['falls back to the peer on an oversized entry', 'x'.repeat(5000), LB],
    ])('%s', (_description, header, key) => {
      expect(clientAddress(LB, header)).toBe(key);
    });

    it('falls back to the peer without the header', () => {
      expect(clientAddress(LB, undefined)).toBe(LB);
    });

    it('reads repeated headers as one list, the last one rightmost', () => {
      expect(clientAddress(LB, ['1.1.1.1', '203.0.113.50'])).toBe('203.0.113.50');
    });
  });

  describe('TRUST_PROXY=2', () => {
    const clientAddress = createClientAddress({ hops: 2 });

    it.each([
      ['takes the entry two in from the right', '1.1.1.1, 203.0.113.50, 198.51.100.1', '203.0.113.50'],
      ['falls back to the peer when there are too few entries', '198.51.100.1', '10.0.0.5'],
      ['falls back to the peer when that entry is garbage', 'x, 198.51.100.1', '10.0.0.5'],
    ])('%s', (_description, header, key) => {
      expect(clientAddress('10.0.0.5', header)).toBe(key);
    });
  });

  describe('TRUST_PROXY=<addresses and CIDR ranges>', () => {
    const clientAddress = createClientAddress({ proxies: ['10.0.0.0/8', '192.0.2.7', 'fd00::/8'] });

    it.each([
      ['believes nothing from a peer that is not a proxy', '198.51.100.7', '203.0.113.50', '198.51.100.7'],
      ['takes the first address from the right that is not a proxy', '10.0.0.5', '1.1.1.1, 203.0.113.50, 192.0.2.7', '203.0.113.50'],
      ['matches an IPv4-mapped peer against IPv4 ranges', '::ffff:10.0.0.5', '203.0.113.50', '203.0.113.50'],
      ['matches IPv6 proxies', 'fd00::1', '2001:db8:1:2::99, fd12::3', '2001:db8:1:2::/64'],
      ['reads only the right end of an oversized header', '10.0.0.5', `${LONG_GARBAGE}, 203.0.113.50`, '203.0.113.50'],
      ['falls back to the peer when a proxy passed garbage', '10.0.0.5', '203.0.113.50, garbage', '10.0.0.5'],
      ['takes the peer when the header is missing', '10.0.0.5', undefined, '10.0.0.5'],
      ['takes the furthest proxy when every hop is one', '10.0.0.5', '10.9.9.9, 192.0.2.7', '10.9.9.9'],
      // 10.0.0.20 down to 10.0.0.5 are the 16 hops read; the client's entry further left is never reached.
      ['stops walking after 16 trusted hops', '10.200.0.1', `203.0.113.50, ${Array.from({ length: 20 }, (_, i) => `10.0.0.${i + 1}`).join(', ')}`, '10.0.0.5'],
    ])('%s', (_description, socket, header, key) => {
      expect(clientAddress(socket, header)).toBe(key);
    });

    it('accepts an IPv4-mapped range', () => {
      expect(createClientAddress({ proxies: ['::ffff:10.0.0.0/104'] })('10.1.2.3', '203.0.113.50')).toBe('203.0.113.50');
    });
  });

  it('neither throws on nor keys anything made of address characters that is not an address', () => {
    const alphabet = '0123456789abcdefABCDEF:.%/ ,x';
    const forms: TrustProxy[] = [false, { hops: 1 }, { proxies: ['0.0.0.0/0', '::/0'] }];
    for (let sample = 0; sample < 20_000; sample++) {
      const text = Array.from({ length: 1 + Math.floor(Math.random() * 24) }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join('');
      for (const trust of forms) {
        const key = createClientAddress(trust)(text, text);
        expect(key === 'unknown' || isIP(key) === 4 || /^[\da-f:]*::\/64$/.test(key), `${text} -> ${key}`).toBe(true);
      }
    }
  });

  it('never makes a key longer than an IPv6 /64', () => {
    const forms: TrustProxy[] = [false, { hops: 1 }, { hops: 3 }, { proxies: ['0.0.0.0/0', '::/0'] }];
    for (const trust of forms) {
      const clientAddress = createClientAddress(trust);
      for (const header of [LONG_GARBAGE, 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', `${'a'.repeat(60)}%eth0`]) {
        expect(clientAddress('ffff:ffff:ffff:ffff:1:2:3:4', header).length).toBeLessThanOrEqual('ffff:ffff:ffff:ffff::/64'.length);
      }
    }
  });
});
