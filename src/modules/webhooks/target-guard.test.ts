import { describe, expect, it } from 'vitest';
import {
  checkTargetUrl,
  guardedLookup,
  isForbiddenAddress,
  resolveTarget,
  TargetRefused,
} from './target-guard.js';

const refusedUrls: Array<[string, string]> = [
  ['http://127.0.0.1/hook', 'loopback'],
  ['http://127.1/hook', 'short loopback'],
  ['http://2130706433/hook', 'decimal loopback'],
  ['http://0x7f.1/hook', 'hex loopback'],
  ['http://0x7f000001/hook', 'hex integer loopback'],
  ['http://017700000001/hook', 'octal loopback'],
  ['http://0177.0.0.1/hook', 'octal dotted loopback'],
  ['http://[::1]/hook', 'IPv6 loopback'],
  ['http://[::ffff:127.0.0.1]/hook', 'IPv4-mapped loopback'],
  ['http://[::ffff:7f00:1]/hook', 'IPv4-mapped loopback, hex'],
  ['http://[::127.0.0.1]/hook', 'IPv4-compatible loopback'],
  ['http://[0:0:0:0:0:ffff:a00:1]/hook', 'IPv4-mapped private, long form'],
  ['http://0.0.0.0/hook', 'unspecified'],
  ['http://[::]/hook', 'IPv6 unspecified'],
  ['http://10.1.2.3/hook', 'private 10/8'],
  ['http://172.16.0.1/hook', 'private 172.16/12'],
  ['http://172.31.255.255/hook', 'private 172.16/12, top'],
  ['http://192.168.1.1/hook', 'private 192.168/16'],
  ['http://100.64.0.1/hook', 'CGNAT'],
  ['http://169.254.169.254/latest/meta-data', 'cloud metadata'],
  ['http://169.254.1.1/hook', 'link-local'],
  ['http://[fe80::1]/hook', 'IPv6 link-local'],
  ['http://[fd00:ec2::254]/hook', 'EC2 IPv6 metadata'],
  ['http://[fc00::1]/hook', 'unique-local'],
  ['http://224.0.0.1/hook', 'multicast'],
  ['http://[ff02::1]/hook', 'IPv6 multicast'],
  ['http://255.255.255.255/hook', 'broadcast'],
  ['http://[64:ff9b::7f00:1]/hook', 'NAT64 of loopback'],
  ['ftp://example.com/hook', 'not http'],
  ['file:///etc/passwd', 'file scheme'],
  ['gopher://example.com/', 'gopher scheme'],
  ['https://user:pass@example.com/hook', 'credentials'],
  ['https://user@example.com/hook', 'user name'],
  ['not a url', 'garbage'],
];

describe('checkTargetUrl', () => {
  it.each(refusedUrls)('refuses %s (%s)', (url) => {
    expect(() => checkTargetUrl(url, false)).toThrow(TargetRefused);
  });

  it.each([
    'https://example.com/hook',
    'http://93.184.215.14/hook',
    'https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/hook',
    'https://172.32.0.1/hook',
    'https://hooks.example.com:8443/a?b=c',
  ])('accepts %s', (url) => {
    expect(checkTargetUrl(url, false).href).toBeTruthy();
  });

  it('allows private literals only with the switch on, never other schemes or credentials', () => {
    expect(checkTargetUrl('http://127.0.0.1:3000/x', true).port).toBe('3000');
    expect(() => checkTargetUrl('ftp://127.0.0.1/', true)).toThrow(TargetRefused);
    expect(() => checkTargetUrl('http://a:b@127.0.0.1/', true)).toThrow(TargetRefused);
  });
});

describe('isForbiddenAddress', () => {
  it.each([
    ['8.8.8.8', false],
    ['2001:4860:4860::8888', false],
    ['::ffff:8.8.8.8', false],
    ['127.0.0.1', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:a9fe:a9fe', true],
    ['fd00:ec2::254', true],
    ['fe80::1%eth0', true],
    ['not-an-ip', true],
  ])('%s → %s', (address, forbidden) => {
    expect(isForbiddenAddress(address)).toBe(forbidden);
  });
});

describe('connect-time resolution', () => {
  const resolvesTo = (address: string) => async () => [{ address, family: 4 }];

  it('refuses a name whose answer is private, even if it was public when saved', async () => {
    await expect(resolveTarget('hooks.example', false, resolvesTo('127.0.0.1'))).rejects.toThrow(
      TargetRefused,
    );
    await expect(resolveTarget('hooks.example', false, resolvesTo('10.0.0.7'))).rejects.toThrow(
      /private/,
    );
  });

  it('refuses a name when any one of its answers is private', async () => {
    const mixed = async () => [
      { address: '93.184.215.14', family: 4 },
      { address: '::1', family: 6 },
    ];
    await expect(resolveTarget('hooks.example', false, mixed)).rejects.toThrow(TargetRefused);
  });

  it('hands the socket exactly the address it checked', async () => {
    const lookup = guardedLookup(false, resolvesTo('93.184.215.14'));
    const single = await new Promise((resolve) =>
      lookup('hooks.example', {}, (err, address, family) => resolve([err, address, family])),
    );
    expect(single).toEqual([null, '93.184.215.14', 4]);
    const refused = await new Promise<Error | null>((resolve) =>
      guardedLookup(false, resolvesTo('169.254.169.254'))('hooks.example', { all: true }, (err) =>
        resolve(err),
      ),
    );
    expect(refused).toBeInstanceOf(TargetRefused);
  });

  it('resolves the real localhost to loopback and refuses it', async () => {
    await expect(resolveTarget('localhost', false)).rejects.toThrow(TargetRefused);
    await expect(resolveTarget('localhost', true)).resolves.not.toHaveLength(0);
  });
});
