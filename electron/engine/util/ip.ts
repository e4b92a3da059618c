/**
 * IP address tests for source addresses in CloudTrail records (which may also hold service names such as
 * `eks.amazonaws.com` or `AWS Internal`), on the maintained ranges of `ipaddr.js` rather than hand-written ones.
 *
 * The rules ask one question: could this address be the caller's own address inside a VPC (then it says nothing
 * about the route to the internet), or is it an internet address? Not public, here: RFC 1918 private ranges,
 * 100.64.0.0/10 (RFC 6598 shared address space — EKS custom networking and many VPCs give it to pods), loopback,
 * link-local (169.254.0.0/16, fe80::/10: the instance metadata service), IPv6 unique-local (fc00::/7) and
 * site-local (fec0::/10), the unspecified address, and IPv4-mapped IPv6 forms of any of these
 * (`::ffff:10.0.0.1`). Everything else is public — including the documentation and "reserved" ranges
 * (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 240.0.0.0/4), which sanitised and published logs use as
 * stand-ins for internet addresses, and IPv6 global unicast (an IPv6 EKS cluster's pods have such addresses;
 * whether one is a pod's is for the pod-IP match to say, not the address class).
 */
import ipaddr from 'ipaddr.js';

export type AddressClass =
  | 'private'
  | 'carrier-grade-nat'
  | 'loopback'
  | 'link-local'
  | 'unique-local'
  | 'unspecified'
  | 'public';

const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * Parse an address as CloudTrail and the Kubernetes audit log print it: IPv4 as four decimal parts (leading zeros,
 * which some anonymised data sets write, read as decimal — never octal), or IPv6. Not the shorthand IPv4 forms
 * (`127.1`, `0x7f.0.0.1`, a bare number) that `ipaddr.js` would otherwise accept: a string like `1234` is a value,
 * not an address. Null when the string is not an address.
 */
export function parseIp(s: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  const text = s.trim();
  const quad = DOTTED_QUAD.exec(text);
  if (quad) {
    const octets = quad.slice(1, 5).map((o) => Number.parseInt(o, 10));
    return octets.every((o) => o <= 255) ? new ipaddr.IPv4(octets) : null;
  }
  if (!text.includes(':') || !ipaddr.IPv6.isValid(text)) return null;
  const v6 = ipaddr.IPv6.parse(text);
  return v6.isIPv4MappedAddress() ? v6.toIPv4Address() : v6;
}

/** What kind of address this is, for the rules (null: not an address — a service name, `AWS Internal`, …). */
export function addressClass(s: string): AddressClass | null {
  const ip = parseIp(s);
  if (!ip) return null;
  const range: string = ip.range();
  switch (range) {
    case 'private':
      return 'private';
    case 'carrierGradeNat':
      return 'carrier-grade-nat';
    case 'loopback':
      return 'loopback';
    case 'linkLocal':
      return 'link-local';
    case 'uniqueLocal':
    case 'deprecatedSiteLocal':
      return 'unique-local';
    case 'unspecified':
      return 'unspecified';
    default:
      return 'public';
  }
}

/** An address that is not an internet address (see the list above): traffic that stayed inside a VPC or host. */
export function isPrivateIp(s: string): boolean {
  const c = addressClass(s);
  return c !== null && c !== 'public';
}

/** Whether a source "address" is an IP address at all (CloudTrail puts service names there too). */
export function isIp(s: string): boolean {
  return parseIp(s) !== null;
}
