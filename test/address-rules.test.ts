/**
 * A key's IP rules in the gate (issue 19): IPv4 addresses matched as integers against IPv4-only
 * rules, and every verdict kept per compiled policy, must decide exactly what `node:net`'s
 * BlockList decided before: IPv4-mapped IPv6 addresses, IPv6 rules, single addresses, CIDR edges,
 * deny before allow. Proven against that reference on generated rules and addresses.
 */
import { BlockList, isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AddressRules, ADDRESS_VERDICTS_MAX, addressAllowed, compilePolicy, ipv4Number, isIpRule, originAllowed, requestAllowed } from '../src/domain/key-policy.ts';
import { requestOrigin } from '../src/domain/origins.ts';

/** What the gate did before: one BlockList per list, checked on every request. */
function reference(rules: readonly string[]): (address: string) => boolean {
  const list = new BlockList();
  for (const rule of rules) {
    const [address = '', prefix] = rule.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (!isIpRule(rule)) continue;
    if (prefix === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(prefix), family);
  }
  return (address) => {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return list.check(mapped[1]!, 'ipv4');
    const family = isIP(address);
    return family !== 0 && list.check(address, family === 6 ? 'ipv6' : 'ipv4');
  };
}

let policies = 0;
const policyOf = (allowedIps: string[], deniedIps: string[] = []) => compilePolicy(1_000_000 + policies++, JSON.stringify({ allowedIps, deniedIps }))!;

const octet = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0, 1, 127, 128, 254, 255));
const v4 = fc.tuple(octet, octet, octet, octet).map((o) => o.join('.'));
/** Near a few networks, so generated addresses and rules meet often. */
const nearV4 = fc.tuple(fc.constantFrom('10', '127', '192', '0', '255'), fc.constantFrom(0, 1, 168, 255), octet, octet).map((o) => o.join('.'));
const v6 = fc.oneof(
  fc.ipV6(),
  fc.constantFrom('::1', '::', 'fe80::1', '2001:db8::1', '2001:db8::ffff', '2001:db8:1::', '::ffff:a00:1', '0:0:0:0:0:ffff:10.0.0.1', '::a00:1'),
);
const mapped = fc.tuple(fc.constantFrom('::ffff:', '::FFFF:', '::Ffff:'), fc.oneof(v4, nearV4)).map(([p, a]) => p + a);
/** Not addresses, or not in the canonical form `isIP` accepts. */
const odd = fc.constantFrom('', 'localhost', '01.2.3.4', '1.2.3.04', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1.2.3.4 ', ' 1.2.3.4', '::ffff:01.2.3.4', '::ffff:1.2.3', ':ffff:1.2.3.4', '::fffff:1.2.3.4', '::ffff:1.2.3.4.5', '1..2.3', '::ffff:', 'fe80::1%eth0');
const address = fc.oneof(v4, nearV4, v6, mapped, odd);

const prefixed = (addr: fc.Arbitrary<string>, max: number) => fc.tuple(addr, fc.oneof(fc.integer({ min: 0, max }), fc.constantFrom(0, 1, 8, 16, 24, 31, 32, max))).map(([a, p]) => `${a}/${Math.min(p, max)}`);
const v4Rule = fc.oneof(v4, nearV4, prefixed(fc.oneof(v4, nearV4), 32));
const v6Rule = fc.oneof(v6, prefixed(v6, 128), fc.constantFrom('::ffff:10.0.0.0/104', '::ffff:0:0/96', '::/0', '::ffff:127.0.0.1', '2001:db8::/32'));
const rules = fc.oneof(fc.array(v4Rule, { maxLength: 12 }), fc.array(fc.oneof(v4Rule, v6Rule), { maxLength: 12 }));

describe('IP rules decide as BlockList did', () => {
  it('on generated rules and addresses (IPv4 alone, IPv6 among them)', () => {
    fc.assert(
      fc.property(rules, fc.array(address, { minLength: 1, maxLength: 20 }), (list, addresses) => {
        const expected = reference(list);
        const rules = new AddressRules(list);
        for (const a of addresses) expect(rules.has(a), `${a} in ${JSON.stringify(list)}`).toBe(expected(a));
      }),
      { numRuns: 2000 },
    );
  });

  it('with deny before allow, and the same again from the verdicts kept', () => {
    fc.assert(
      fc.property(rules, rules, fc.array(address, { minLength: 1, maxLength: 10 }), (allowed, denied, addresses) => {
        const allow = reference(allowed);
        const deny = reference(denied);
        const policy = policyOf(allowed, denied);
        for (const a of [...addresses, ...addresses]) {
          const expected = !(denied.length > 0 && deny(a)) && (allowed.length === 0 || allow(a));
          expect(addressAllowed(policy, a), a).toBe(expected);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('at the edges of a CIDR, for single addresses and for IPv4-mapped addresses', () => {
    const policy = policyOf(['10.1.0.0/16', '192.168.1.7', '172.16.5.9/12', '2001:db8::/32'], ['10.1.255.0/24', '2001:db8::dead']);
    const cases: [string, boolean][] = [
      ['10.1.0.0', true],
      ['10.1.254.255', true],
      ['10.1.255.0', false], // denied, though allowed too
      ['10.1.255.255', false],
      ['10.2.0.0', false],
      ['10.0.255.255', false],
      ['192.168.1.7', true],
      ['192.168.1.6', false],
      ['192.168.1.8', false],
      ['172.16.0.0', true], // a rule's host bits are masked off
      ['172.31.255.255', true],
      ['172.32.0.0', false],
      ['::ffff:10.1.2.3', true],
      ['::FFFF:10.1.255.1', false],
      ['::ffff:192.168.1.7', true],
      ['2001:db8::1', true],
      ['2001:db8::dead', false],
      ['2001:db9::1', false],
      ['::1', false],
      ['not an address', false],
      ['010.1.2.3', false],
    ];
    for (const [a, expected] of cases) expect(addressAllowed(policy, a), a).toBe(expected);
    // An IPv6 rule covering IPv4-mapped addresses covers IPv4 addresses, as BlockList has it.
    const mappedRule = policyOf(['::ffff:10.0.0.0/104']);
    expect(addressAllowed(mappedRule, '10.200.0.1')).toBe(true);
    expect(addressAllowed(mappedRule, '11.0.0.1')).toBe(false);
    const everything = policyOf(['0.0.0.0/0']);
    expect(addressAllowed(everything, '255.255.255.255')).toBe(true);
    expect(addressAllowed(everything, '::ffff:1.2.3.4')).toBe(true);
    expect(addressAllowed(everything, '::1')).toBe(false);
  });

  it('keeps at most ADDRESS_VERDICTS_MAX verdicts per policy, deciding the same past it', () => {
    const policy = policyOf(['10.0.0.0/8', '2001:db8::/32'], ['10.0.0.1', '2001:db8::1']);
    for (let i = 0; i < ADDRESS_VERDICTS_MAX + 500; i++) {
      const a = i % 2 ? `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` : `2001:db8::${i.toString(16)}`;
      expect(addressAllowed(policy, a)).toBe(a !== '10.0.0.1' && a !== '2001:db8::1');
    }
    expect(policy.verdicts.size).toBe(ADDRESS_VERDICTS_MAX);
    expect(addressAllowed(policy, '10.0.0.1')).toBe(false);
    expect(addressAllowed(policy, '2001:db8::1')).toBe(false);
    expect(addressAllowed(policy, '11.0.0.1')).toBe(false);
  });

  it('keeps no verdict when every rule is IPv4 and so is the address', () => {
    const policy = policyOf(['10.0.0.0/8'], ['10.0.0.1']);
    expect(policy.onlyV4).toBe(true);
    for (const a of ['10.0.0.1', '10.9.9.9', '::ffff:10.1.1.1', '11.0.0.1']) addressAllowed(policy, a);
    expect(policy.verdicts.size).toBe(0);
    expect(addressAllowed(policy, '::1')).toBe(false);
    expect(policy.verdicts.size).toBe(1);
  });

  it('reads IPv4 numbers only in the form isIP accepts', () => {
    expect(ipv4Number('0.0.0.0')).toBe(0);
    expect(ipv4Number('255.255.255.255')).toBe(2 ** 32 - 1);
    expect(ipv4Number('::ffff:1.2.3.4')).toBe(0x01020304);
    expect(ipv4Number('::FFFF:1.2.3.4')).toBe(0x01020304);
    for (const bad of ['01.2.3.4', '1.2.3', '1.2.3.4.', '256.0.0.0', '::ffff:1.2.3', '::1', '', '1.2.3.4/8', '::ffff:0a00:1']) expect(ipv4Number(bad), bad).toBe(-1);
  });
});

describe('origin rules, their verdicts kept by Origin header', () => {
  const origins = ['https://app.example.com', 'http://app.example.com', 'https://x.site.example.org', 'https://site.example.org:8443', 'null', 'file:///x', 'not a url', 'https://APP.example.com:443', 'https://evil.example', ''];
  const referers = [undefined, 'https://app.example.com/page?q=1', 'https://evil.example/', 'garbage'];
  const texts = [
    { allowedOrigins: ['https://app.example.com', 'https://*.site.example.org'] },
    { allowedOrigins: ['app.example.com'], requireOrigin: true },
    { serverOnly: true },
    { requireOrigin: true },
    { allowedOrigins: ['*'] },
  ];
  it('decide as originAllowed on the parsed header, asked twice', () => {
    for (const text of texts) {
      const policy = policyOf([]);
      const compiled = compilePolicy(2_000_000 + policies++, JSON.stringify(text))!;
      expect(policy.checksOrigin).toBe(false);
      expect(compiled.checksOrigin).toBe(true);
      for (let round = 0; round < 2; round++) {
        for (const origin of [undefined, ...origins]) {
          for (const referer of referers) {
            const expected = originAllowed(compiled, origin, requestOrigin(origin, referer));
            expect(requestAllowed(compiled, origin, referer), `${JSON.stringify(text)} ${origin} ${referer}`).toBe(expected);
          }
        }
      }
      expect(compiled.originVerdicts.size).toBe(origins.length - 1);
    }
  });
});
