import { lookup as dnsLookup } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/**
 * The SSRF guard for webhook targets. A URL is checked when a subscription is saved, and again
 * at every connection: the connection resolves the name itself and connects to the very address
 * it checked (`guardedLookup`), so a DNS answer that changes after the check cannot slip a
 * private address in. Redirects are never followed (see webhook-sender.ts).
 */
export class TargetRefused extends Error {}

// Two lists: Node's BlockList matches IPv4 addresses against IPv4-mapped IPv6 rules too.
const blockedV4 = new BlockList();
const blockedV6 = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network", unspecified
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // CGNAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata (169.254.169.254)
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  blockedV4.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['64:ff9b::', 96], // NAT64: reaches IPv4 addresses
  ['100::', 64], // discard
  ['2001::', 32], // Teredo
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4: embeds an IPv4 address
  ['fc00::', 7], // unique-local (includes fd00:ec2::254, the EC2 metadata service)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local
  ['ff00::', 8], // multicast
] as const) {
  blockedV6.addSubnet(net, prefix, 'ipv6');
}

/** The 8 groups of an IPv6 address (with `::` and a trailing dotted IPv4 expanded). */
function groupsOf(address: string): number[] {
  let text = address.toLowerCase();
  const dotted = text.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -dotted[1]!.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array(8 - left.length - right.length).fill('0');
  return [...left, ...fill, ...right].map((g) => Number.parseInt(g, 16));
}

/**
 * `::/96` (unspecified, loopback, the deprecated IPv4-compatible form) and `::ffff:0:0/96`
 * (IPv4-mapped): 'compatible' for the first, else the mapped IPv4 address, else null.
 */
function embeddedIpv4(address: string): string | 'compatible' | null {
  const g = groupsOf(address);
  if (g.slice(0, 5).some((x) => x !== 0)) return null;
  if (g[5] === 0) return 'compatible';
  if (g[5] !== 0xffff) return null;
  return [g[6]! >> 8, g[6]! & 255, g[7]! >> 8, g[7]! & 255].join('.');
}

/** True for addresses no webhook may reach: private, loopback, link-local, metadata, … */
export function isForbiddenAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 4) return blockedV4.check(bare, 'ipv4');
  if (family !== 6) return true;
  const v4 = embeddedIpv4(bare);
  if (v4 === 'compatible') return true;
  if (v4 !== null) return blockedV4.check(v4, 'ipv4');
  return blockedV6.check(bare, 'ipv6');
}

/**
 * Checks a target URL's form: http(s) only, no credentials, and no forbidden literal address.
 * The WHATWG parser already turns `2130706433`, `0x7f.1` and `017700000001` into `127.0.0.1`.
 * Returns the parsed URL; throws TargetRefused with a reason a caller may show.
 */
export function checkTargetUrl(raw: string, allowPrivate: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TargetRefused('is not a valid URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new TargetRefused('must use http or https');
  if (url.username !== '' || url.password !== '')
    throw new TargetRefused('must not carry credentials');
  if (url.hostname === '') throw new TargetRefused('has no host');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivate && isIP(host) !== 0 && isForbiddenAddress(host))
    throw new TargetRefused('points at a private or reserved address');
  return url;
}

export type Resolver = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

/** The system resolver, every answer. */
export const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) =>
      err ? reject(err) : resolve(addresses),
    ),
  );

/** Resolves a name and refuses it when any answer is forbidden; returns the checked answers. */
export async function resolveTarget(
  hostname: string,
  allowPrivate: boolean,
  resolver: Resolver = systemResolver,
): Promise<Array<{ address: string; family: number }>> {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) !== 0) {
    if (!allowPrivate && isForbiddenAddress(host))
      throw new TargetRefused('points at a private or reserved address');
    return [{ address: host, family: isIP(host) }];
  }
  let answers: Array<{ address: string; family: number }>;
  try {
    answers = await resolver(host);
  } catch {
    throw new TargetRefused('does not resolve');
  }
  if (answers.length === 0) throw new TargetRefused('does not resolve');
  if (!allowPrivate && answers.some((a) => isForbiddenAddress(a.address)))
    throw new TargetRefused('resolves to a private or reserved address');
  return answers;
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | Array<{ address: string; family: number }>,
  family?: number,
) => void;

/**
 * A `lookup` for http.request / net.connect: the socket connects only to addresses this very
 * resolution checked (no second DNS query between check and connect).
 */
export function guardedLookup(allowPrivate: boolean, resolver: Resolver = systemResolver) {
  return (hostname: string, options: { all?: boolean }, callback: LookupCallback): void => {
    resolveTarget(hostname, allowPrivate, resolver).then(
      (answers) =>
        options.all
          ? callback(null, answers)
          : callback(null, answers[0]!.address, answers[0]!.family),
      (err: Error) => callback(Object.assign(err, { code: 'ETARGETREFUSED' }), '', 0),
    );
  };
}
