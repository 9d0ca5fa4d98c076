import { BlockList, isIP } from 'node:net';
import { resolveHost, type ResolvedAddress } from './host-resolver';

/** Why an address is internal; `undefined` for a public address. */
type Reason = 'loopback' | 'private' | 'link-local' | 'metadata' | 'carrier-grade NAT' | 'unspecified' | 'multicast' | 'reserved';

/** Ranges a webhook may not reach unless allow-listed: everything that is not the public internet. */
const INTERNAL: readonly [cidr: string, reason: Reason][] = [
  ['169.254.169.254/32', 'metadata'],
  ['127.0.0.0/8', 'loopback'],
  ['10.0.0.0/8', 'private'],
  ['172.16.0.0/12', 'private'],
  ['192.168.0.0/16', 'private'],
  ['169.254.0.0/16', 'link-local'],
  ['100.64.0.0/10', 'carrier-grade NAT'],
  ['0.0.0.0/8', 'unspecified'],
  ['192.0.0.0/24', 'reserved'],
  ['198.18.0.0/15', 'reserved'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
  ['::1/128', 'loopback'],
  ['::/128', 'unspecified'],
  // IPv4-compatible addresses (deprecated): would smuggle an IPv4 target through IPv6.
  ['::/96', 'reserved'],
  // Local-use NAT64 (RFC 8215): where the IPv4 address sits depends on the operator's prefix length.
  ['64:ff9b:1::/48', 'reserved'],
  // Teredo tunnels: both embedded IPv4 addresses (server, obfuscated client) are the sender's choice.
  ['2001::/32', 'reserved'],
  ['fd00:ec2::254/128', 'metadata'],
  ['fc00::/7', 'private'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'private'],
  ['ff00::/8', 'multicast'],
];

const RULES = INTERNAL.map(([cidr, reason]) => {
  const [address, bits] = cidr.split('/');
  const list = new BlockList();
  const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  list.addSubnet(address, Number(bits), family);
  return { list, reason };
});

function familyOf(address: string): 'ipv4' | 'ipv6' {
  return isIP(address) === 6 ? 'ipv6' : 'ipv4';
}

/** IPv6 ranges that carry an IPv4 address the packets end up at: NAT64 (RFC 6052) and 6to4 (RFC 3056). */
const EMBEDDING: readonly { list: BlockList; hextet: number }[] = [
  { cidr: '64:ff9b::', bits: 96, hextet: 6 },
  { cidr: '2002::', bits: 16, hextet: 1 },
].map(({ cidr, bits, hextet }) => {
  const list = new BlockList();
  list.addSubnet(cidr, bits, 'ipv6');
  return { list, hextet };
});

/**
 * Why `address` (an IP literal) is internal, or undefined when it is public. IPv4-mapped IPv6
 * counts as its IPv4 address, and so do NAT64 and 6to4 addresses (`64:ff9b::10.0.0.1` is private).
 */
export function internalReason(address: string): Reason | undefined {
  const family = familyOf(address);
  const reason = RULES.find((rule) => rule.list.check(address, family))?.reason;
  if (reason || family === 'ipv4') return reason;
  const embedding = EMBEDDING.find((range) => range.list.check(address, 'ipv6'));
  return embedding && internalReason(ipv4At(hextetsOf(address), embedding.hextet));
}

/** The eight 16-bit groups of an IPv6 address. */
function hextetsOf(address: string): number[] {
  // The URL parser writes the address in canonical form: lower case, `::` at most once, no dotted quad.
  const canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const [head, tail] = canonical.split('::').map((part) => (part ? part.split(':').map((group) => parseInt(group, 16)) : []));
  return tail === undefined ? head : [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

function ipv4At(hextets: readonly number[], index: number): string {
  const [high, low] = [hextets[index], hextets[index + 1]];
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/** The URL host as a bare name or address (`[::1]` → `::1`, trailing dot dropped, lower case). */
export function bareHost(url: URL): string {
  return url.hostname
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '')
    .toLowerCase();
}

/** A delivery target that passed the check: connect to `address`, not to a fresh lookup of the name. */
export interface CheckedTarget {
  host: string;
  address: ResolvedAddress;
}

/** A URL whose host is (or resolves to) an address webhooks may not reach. */
export class ForbiddenTarget extends Error {
  constructor(
    readonly host: string,
    readonly address: string,
    readonly reason: Reason,
  ) {
    super(
      `${host === address ? address : `${host} resolves to ${address}, which`} is a ${reason} address; add it to WEBHOOK_ALLOWED_HOSTS to allow it`,
    );
    this.name = 'ForbiddenTarget';
  }
}

/**
 * The SSRF defence: a webhook may reach public addresses only, unless its host name or the
 * address it resolves to is on the allow-list (`WEBHOOK_ALLOWED_HOSTS`: names, IPs, CIDRs).
 * Every address a name resolves to must pass, and the caller connects to the checked one,
 * so a second lookup (DNS rebinding) cannot swap in an internal address. One instance serves
 * the whole app (a provider of the data module).
 */
export class AddressGuard {
  private readonly names = new Set<string>();
  private readonly allowed = new BlockList();

  constructor(
    allowedHosts: readonly string[],
    private readonly resolve: (host: string) => Promise<ResolvedAddress[]> = resolveHost,
  ) {
    for (const entry of allowedHosts) {
      const [address, bits] = entry.split('/');
      if (isIP(address) === 0) this.names.add(entry);
      else if (bits === undefined) this.allowed.addAddress(address, familyOf(address));
      else this.allowed.addSubnet(address, Number(bits), familyOf(address));
    }
  }

  /**
   * Resolves the URL's host and returns the address to connect to; throws ForbiddenTarget, the
   * lookup's error, or `signal`'s reason when it aborts first (the delivery's deadline).
   */
  async check(url: URL, signal?: AbortSignal): Promise<CheckedTarget> {
    const host = bareHost(url);
    const family = isIP(host);
    const addresses = family !== 0 ? [{ address: host, family: family as 4 | 6 }] : await untilAborted(this.resolve(host), signal);
    if (addresses.length === 0) throw Object.assign(new Error(`${host} has no addresses`), { code: 'ENOTFOUND' });
    if (!this.names.has(host)) {
      for (const { address } of addresses) {
        const reason = this.allowed.check(address, familyOf(address)) ? undefined : internalReason(address);
        if (reason) throw new ForbiddenTarget(host, address, reason);
      }
    }
    return { host, address: addresses[0] };
  }

  /**
   * The check at creation: refuses a host that is (or resolves now to) an internal address.
   * A name that does not resolve in time is accepted; the delivery checks it again.
   */
  async checkNow(url: URL, timeoutMs: number): Promise<ForbiddenTarget | undefined> {
    try {
      await this.check(url, AbortSignal.timeout(timeoutMs));
      return undefined;
    } catch (error) {
      return error instanceof ForbiddenTarget ? error : undefined;
    }
  }
}

/** `work`, or a rejection with the signal's reason as soon as it aborts (`work` itself cannot be cancelled). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason);
    if (signal.aborted) return abort();
    signal.addEventListener('abort', abort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}
