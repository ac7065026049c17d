/**
 * Who sent a request, through proxies the operator trusts (TRUSTED_PROXIES: addresses and CIDRs).
 * `X-Forwarded-For` is believed only from a trusted peer; from anyone else it is the peer itself.
 */
import { BlockList, isIP } from 'node:net';

export class TrustedProxies {
  private readonly networks = new BlockList();
  private readonly empty: boolean;

  /** Throws with a message naming the bad entry. */
  constructor(entries: readonly string[]) {
    this.empty = entries.length === 0;
    for (const entry of entries) {
      const [network = '', prefix] = entry.split('/');
      const family = isIP(network);
      const max = family === 6 ? 128 : 32;
      const bits = prefix === undefined ? max : Number(prefix);
      if (family === 0 || !Number.isInteger(bits) || bits < 0 || bits > max) throw new Error(`"${entry}" is not an IP address or CIDR`);
      this.networks.addSubnet(network, bits, family === 6 ? 'ipv6' : 'ipv4');
    }
  }

  trusts(address: string | undefined): boolean {
    if (this.empty || !address) return false;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    return mapped ? this.networks.check(mapped[1]!, 'ipv4') : this.networks.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
  }

  /**
   * The client's address: the peer's, or, from a trusted proxy, the right-most address of
   * `X-Forwarded-For` that is not itself a trusted proxy (the left-most ones a client may forge).
   */
  clientAddress(peer: string, forwardedFor: string | undefined): string {
    if (!forwardedFor || !this.trusts(peer)) return peer;
    const hops = forwardedFor.split(',').map((hop) => hop.trim()).filter(Boolean);
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i]!;
      if (!this.trusts(hop) || i === 0) return isIP(hop) ? hop : peer;
    }
    return peer;
  }

  /**
   * The `X-Forwarded-For` to send on: the incoming one extended with the peer when the peer is a
   * trusted proxy, otherwise the peer alone (a client cannot plant addresses).
   */
  forwardedFor(peer: string, incoming: string | undefined): string {
    return incoming && this.trusts(peer) ? `${incoming}, ${peer}` : peer;
  }
}
