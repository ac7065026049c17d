/**
 * Which hosts a project's upstream may name (UPSTREAM_HOSTS). An upstream is a URL clientkeys
 * posts to on a tenant's behalf, so by default only public addresses qualify: loopback, private,
 * link-local and other non-routable addresses are refused, for a literal address when the upstream
 * is set, and for a name at delivery, against every address it resolves to (and at set time too,
 * when it resolves). An operator's list (names, `*.suffix` names, CIDRs, or `*` for any) replaces
 * that default: then only what it lists qualifies, private addresses included.
 */
import { BlockList, isIP } from 'node:net';

/** Addresses no tenant may make clientkeys connect to by default (RFC 6890 special-purpose ranges). */
const NON_PUBLIC: [string, number, 'ipv4' | 'ipv6'][] = [
  ['0.0.0.0', 8, 'ipv4'],
  ['10.0.0.0', 8, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['127.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.0.0.0', 24, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['198.18.0.0', 15, 'ipv4'],
  ['224.0.0.0', 3, 'ipv4'],
  ['::', 128, 'ipv6'],
  ['::1', 128, 'ipv6'],
  ['fc00::', 7, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
  ['ff00::', 8, 'ipv6'],
];

const nonPublic = new BlockList();
for (const [network, prefix, family] of NON_PUBLIC) nonPublic.addSubnet(network, prefix, family);

export interface UpstreamHostPolicy {
  /** The UPSTREAM_HOSTS text, for messages. */
  readonly description: string;
  /** Whether a connection to this address, for this host name, is allowed. */
  allowsAddress(hostname: string, address: string): boolean;
  /** Whether the name alone settles it (an operator listed it): no resolution needed. */
  listsName(hostname: string): boolean;
}

/** `::ffff:10.0.0.1` is 10.0.0.1. */
function normalise(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return { address: mapped[1]!, family: 'ipv4' };
  return { address, family: isIP(address) === 6 ? 'ipv6' : 'ipv4' };
}

export function isPublicAddress(address: string): boolean {
  const { address: plain, family } = normalise(address);
  return !nonPublic.check(plain, family);
}

const bare = (hostname: string) => hostname.replace(/^\[|\]$/g, '').toLowerCase();

/** Parses UPSTREAM_HOSTS; throws with a message naming the bad entry. */
export function upstreamHostPolicy(text: string | undefined): UpstreamHostPolicy {
  const entries = (text ?? '')
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter(Boolean);
  if (entries.length === 0) {
    return {
      description: 'public addresses only (UPSTREAM_HOSTS is not set)',
      allowsAddress: (_hostname, address) => isPublicAddress(address),
      listsName: () => false,
    };
  }
  if (entries.includes('*')) return { description: '*', allowsAddress: () => true, listsName: () => true };
  const networks = new BlockList();
  const names: string[] = [];
  for (const entry of entries) {
    const [network, prefix] = entry.split('/');
    if (isIP(network!)) {
      const family = isIP(network!) === 6 ? 'ipv6' : 'ipv4';
      const bits = prefix === undefined ? (family === 'ipv6' ? 128 : 32) : Number(prefix);
      if (!Number.isInteger(bits) || bits < 0 || bits > (family === 'ipv6' ? 128 : 32)) throw new Error(`"${entry}" is not a CIDR`);
      networks.addSubnet(network!, bits, family);
    } else if (/^(\*\.)?[a-z0-9.-]+$/.test(entry) && prefix === undefined) {
      names.push(entry);
    } else {
      throw new Error(`"${entry}" is neither a host name, a "*.domain" name nor a CIDR`);
    }
  }
  const listsName = (hostname: string) => {
    const host = bare(hostname);
    return names.some((name) => (name.startsWith('*.') ? host.endsWith(name.slice(1)) : host === name));
  };
  return {
    description: entries.join(','),
    listsName,
    allowsAddress: (hostname, address) => {
      if (listsName(hostname)) return true;
      const { address: plain, family } = normalise(address);
      return networks.check(plain, family);
    },
  };
}
