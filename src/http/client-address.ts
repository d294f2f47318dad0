// The client's address as the per-address limit's key. Only our own proxies are believed: the
// X-Forwarded-For header is read from the right (the end our proxies append to), never from the
// left (which the client writes), and a key is only ever made from a parsed IP address.
import ipaddr from 'ipaddr.js';
import { BlockList, isIP } from 'node:net';
import type { TrustProxy } from '../config.js';

type Family = 'ipv4' | 'ipv6';

/** A parsed address: `address` for matching against the proxies, `key` for the limit. */
export interface Client {
  address: string;
  family: Family;
  key: string;
}

/** How far a walk over trusted proxies goes; past this many, the last one reached stands. */
const MAX_TRUSTED_HOPS = 16;

/** Longer than any IP address's text (45 characters) with a zone id: not looked at. */
const MAX_ADDRESS_LENGTH = 64;

/** The key for a socket whose address is gone (the connection closed under the request). */
const UNKNOWN_CLIENT = 'unknown';

/** How Node spells an IPv4 peer on a dual-stack socket. */
const MAPPED_PREFIX = '::ffff:';

function ipv4(address: string): Client {
  return { address, family: 'ipv4', key: address };
}

/**
 * A strict IP address (dotted quad without leading zeros, or RFC 4291 text; no ports, no zone), IPv4-mapped
 * IPv6 as IPv4. Keyed as a dotted quad, or an IPv6 address by its /64: the block one customer's
 * line usually gets, so walking through the addresses of one's own /64 buys nothing.
 * IPv4 (nearly every request) takes Node's checks alone; ipaddr.js parses only IPv6.
 */
function parseAddress(text: string | undefined): Client | undefined {
  if (text === undefined || text.length > MAX_ADDRESS_LENGTH) return undefined;
  if (text.startsWith(MAPPED_PREFIX) && isIP(text.slice(MAPPED_PREFIX.length)) === 4) return ipv4(text.slice(MAPPED_PREFIX.length));
  const version = isIP(text);
  if (version === 4) return ipv4(text);
  // A zone id (fe80::1%eth0) names an interface of the sender's, meaningless here; ipaddr.js and Node also read them differently.
  if (version === 0 || text.includes('%')) return undefined;
  const parsed = ipaddr.IPv6.parse(text);
  if (parsed.isIPv4MappedAddress()) return ipv4(parsed.toIPv4Address().toString());
  const prefix = new ipaddr.IPv6([...parsed.parts.slice(0, 4), 0, 0, 0, 0]);
  return { address: new ipaddr.IPv6(parsed.parts).toRFC5952String(), family: 'ipv6', key: `${prefix.toRFC5952String()}/64` };
}

/** `10.0.0.0/8`, `fd00::/8` or a single address; undefined when the text is neither. */
export function parseProxyRange(text: string): { network: string; prefix: number; family: Family } | undefined {
  const [network = '', prefixText, extra] = text.split('/');
  const version = isIP(network);
  if (version === 0 || network.includes('%') || extra !== undefined) return undefined;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const bits = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  return prefix <= bits ? { network, prefix, family: version === 4 ? 'ipv4' : 'ipv6' } : undefined;
}

/** X-Forwarded-For entries from the right, at most `limit`, without splitting a header of any length. */
function* fromRight(header: string | string[] | undefined, limit: number): Generator<string> {
  // Node joins a repeated header into one string; the array form is only the type's.
  const text = Array.isArray(header) ? header.join(',') : (header ?? '');
  if (text === '') return;
  let end = text.length;
  for (let taken = 0; taken < limit && end >= 0; taken++) {
    const start = end === 0 ? -1 : text.lastIndexOf(',', end - 1);
    yield text.slice(start + 1, end).trim();
    end = start;
  }
}

/** The entry `n` in from the right (1 is the rightmost), or undefined when there are fewer. */
function entryFromRight(header: string | string[] | undefined, n: number): string | undefined {
  let taken = 0;
  for (const entry of fromRight(header, n)) if (++taken === n) return entry;
  return undefined;
}

export type ClientAddress = (socketAddress: string | undefined, forwardedFor: string | string[] | undefined) => string;
/** The client itself: its address as parsed (for a vendor that wants the IP) and its limit key. */
export type ClientLocator = (socketAddress: string | undefined, forwardedFor: string | string[] | undefined) => Client | undefined;

/**
 * @param trust false: the socket's peer is the client. `{hops}`: that many proxies stand in front,
 *   each appending the address it saw, so the client is the entry that many in from the right.
 *   `{proxies}`: walk from the socket's peer leftwards while the hop is one of these addresses; the
 *   first one that is not is the client.
 * A header that does not hold the entry we need as an IP address (garbage, too few entries: a
 * deployment that does not match TRUST_PROXY) counts the request against the socket's peer.
 */
export function createClientAddress(trust: TrustProxy): ClientAddress {
  const locate = createClientLocator(trust);
  return (socketAddress, forwardedFor) => locate(socketAddress, forwardedFor)?.key ?? UNKNOWN_CLIENT;
}

/** As createClientAddress, but the parsed client (undefined when even the socket's address is gone). */
export function createClientLocator(trust: TrustProxy): ClientLocator {
  const keyOf = (client: Client | undefined): Client | undefined => client;
  if (trust === false) return (socketAddress) => keyOf(parseAddress(socketAddress));

  if ('hops' in trust) {
    const { hops } = trust;
    return (socketAddress, forwardedFor) => keyOf(parseAddress(entryFromRight(forwardedFor, hops)) ?? parseAddress(socketAddress));
  }

  // Node's BlockList compares IPv4 with IPv4-mapped IPv6: ::ffff:10.0.0.0/104 is 10.0.0.0/8 (and ::/0 holds all IPv4).
  const proxies = new BlockList();
  for (const text of trust.proxies) {
    const { network, prefix, family } = parseProxyRange(text)!;
    proxies.addSubnet(network, prefix, family);
  }
  const trusted = (client: Client): boolean => proxies.check(client.address, client.family);
  return (socketAddress, forwardedFor) => {
    const peer = parseAddress(socketAddress);
    if (peer === undefined || !trusted(peer)) return keyOf(peer);
    let hop = peer;
    for (const entry of fromRight(forwardedFor, MAX_TRUSTED_HOPS)) {
      const client = parseAddress(entry);
      if (client === undefined) return keyOf(peer);
      if (!trusted(client)) return keyOf(client);
      hop = client;
    }
    // Every hop read is one of our proxies (a caller inside our own network): the furthest is the client.
    return keyOf(hop);
  };
}
