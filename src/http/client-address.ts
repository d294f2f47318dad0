// The client's address as the per-address limit's key. Only our own proxies are believed: the
// X-Forwarded-For header is read from the right (the end our proxies append to), never from the
// left (which the client writes), and a key is only ever made from a parsed IP address.
import ipaddr from 'ipaddr.js';
import { isIP } from 'node:net';
import type { TrustProxy } from '../config.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Range = [Address, number];

/** How far a walk over trusted proxies goes; past this many, the last one reached stands. */
const MAX_TRUSTED_HOPS = 16;

/** The key for a socket whose address is gone (the connection closed under the request). */
const UNKNOWN_CLIENT = 'unknown';

/** Longer than any IP address's text (45 characters) with a zone id: not looked at. */
const MAX_ADDRESS_LENGTH = 64;

/** A strict IP address (dotted quad or RFC 4291 text; no ports, no octal), IPv4-mapped IPv6 as IPv4. */
function parseAddress(text: string | undefined): Address | undefined {
  if (text === undefined || text.length > MAX_ADDRESS_LENGTH || isIP(text) === 0) return undefined;
  return ipaddr.process(text);
}

/** `10.0.0.0/8`, `fd00::/8` or a single address; undefined when the text is neither. */
export function parseProxyRange(text: string): Range | undefined {
  const [addressText = '', prefixText, extra] = text.split('/');
  const address = parseAddress(addressText);
  if (address === undefined || extra !== undefined) return undefined;
  const writtenBits = isIP(addressText) === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? writtenBits : Number(prefixText);
  if (prefix > writtenBits) return undefined;
  // An IPv4-mapped range (::ffff:10.0.0.0/104) is the IPv4 range it maps: addresses are compared as IPv4.
  if (writtenBits === 128 && address.kind() === 'ipv4') return prefix >= 96 ? [address, prefix - 96] : undefined;
  return [address, prefix];
}

/**
 * The limit key of an address: IPv4 as a dotted quad; IPv6 by its /64, the block one customer's
 * line is usually given, so walking through the addresses of one's own /64 buys nothing.
 */
export function addressKey(address: Address): string {
  if (address.kind() === 'ipv4') return address.toString();
  const prefix = (address as ipaddr.IPv6).parts.slice(0, 4);
  return `${new ipaddr.IPv6([...prefix, 0, 0, 0, 0]).toRFC5952String()}/64`;
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

/**
 * @param trust false: the socket's peer is the client. `{hops}`: that many proxies stand in front,
 *   each appending the address it saw, so the client is the entry that many in from the right.
 *   `{proxies}`: walk from the socket's peer leftwards while the hop is one of these addresses; the
 *   first one that is not is the client.
 * A header that does not hold the entry we need as an IP address (garbage, too few entries: a
 * deployment that does not match TRUST_PROXY) counts the request against the socket's peer.
 */
export function createClientAddress(trust: TrustProxy): ClientAddress {
  const keyOf = (address: Address | undefined): string => (address === undefined ? UNKNOWN_CLIENT : addressKey(address));
  if (trust === false) return (socketAddress) => keyOf(parseAddress(socketAddress));

  if ('hops' in trust) {
    const { hops } = trust;
    return (socketAddress, forwardedFor) => keyOf(parseAddress(entryFromRight(forwardedFor, hops)) ?? parseAddress(socketAddress));
  }

  const ranges = trust.proxies.map((text) => parseProxyRange(text)!);
  const trusted = (address: Address): boolean =>
    ranges.some(([network, prefix]) => network.kind() === address.kind() && address.match(network, prefix));
  return (socketAddress, forwardedFor) => {
    const peer = parseAddress(socketAddress);
    if (peer === undefined || !trusted(peer)) return keyOf(peer);
    let hop = peer;
    for (const entry of fromRight(forwardedFor, MAX_TRUSTED_HOPS)) {
      const address = parseAddress(entry);
      if (address === undefined) return keyOf(peer);
      if (!trusted(address)) return keyOf(address);
      hop = address;
    }
    // Every hop read is one of our proxies (a caller inside our own network): the furthest is the client.
    return keyOf(hop);
  };
}
