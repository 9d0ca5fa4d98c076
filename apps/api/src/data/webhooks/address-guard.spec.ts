import { AddressGuard, ForbiddenTarget, internalReason } from './address-guard';

describe('AddressGuard', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.1', 'private'],
    ['fd12::1', 'private'],
    ['::ffff:10.0.0.1', 'private'],
    ['169.254.169.254', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['169.254.1.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    ['64:ff9b:1::8.8.8.8', 'reserved'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:c0a8:101::1', 'private'],
    ['2002:a9fe:a9fe:1:2:3:4:5', 'metadata'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'reserved'],
  ])('%s is %s', (address, reason) => {
    expect(internalReason(address)).toBe(reason);
  });

  it.each([
    '93.184.215.14',
    '8.8.8.8',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700::1111',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2002:808:808::1',
    '2001:db9::1',
  ])('%s is public', (address) => {
    expect(internalReason(address)).toBeUndefined();
  });

  const resolving = (addresses: string[]) => async () =>
    addresses.map((address) => ({ address, family: address.includes(':') ? (6 as const) : (4 as const) }));

  it('refuses a name when any of its addresses is internal, and pins the first one otherwise', async () => {
    const mixed = new AddressGuard([], resolving(['93.184.215.14', '10.0.0.1']));
    await expect(mixed.check(new URL('https://hooks.example.com/'))).rejects.toThrow(ForbiddenTarget);
    const fine = new AddressGuard([], resolving(['93.184.215.14', '2606:4700::1111']));
    await expect(fine.check(new URL('https://hooks.example.com/'))).resolves.toEqual({
      host: 'hooks.example.com',
      address: { address: '93.184.215.14', family: 4 },
    });
  });

  it('allows listed names (any address), listed addresses and CIDRs, and nothing else', async () => {
    const guard = new AddressGuard(['internal.example', '127.0.0.1', '10.20.0.0/16', 'fd00::/8'], resolving(['10.9.9.9']));
    await expect(guard.check(new URL('http://internal.example/'))).resolves.toMatchObject({ address: { address: '10.9.9.9' } });
    await expect(guard.check(new URL('http://other.example/'))).rejects.toThrow(
      /other\.example resolves to 10\.9\.9\.9, which is a private address/,
    );
    await expect(guard.check(new URL('http://127.0.0.1:8080/'))).resolves.toBeDefined();
    await expect(guard.check(new URL('http://127.0.0.2/'))).rejects.toThrow(/loopback/);
    await expect(guard.check(new URL('http://10.20.3.4/'))).resolves.toBeDefined();
    await expect(guard.check(new URL('http://[fd00::5]/'))).resolves.toMatchObject({ address: { address: 'fd00::5', family: 6 } });
  });

  it('gives up resolving when the signal aborts (the delivery deadline covers resolution)', async () => {
    const hanging = new AddressGuard([], () => new Promise(() => undefined));
    const deadline = new AbortController();
    const checked = hanging.check(new URL('https://slow.example/'), deadline.signal);
    deadline.abort(new Error('timed out'));
    await expect(checked).rejects.toThrow('timed out');
    await expect(hanging.check(new URL('https://slow.example/'), deadline.signal)).rejects.toThrow('timed out');
  });

  it('at creation, accepts a name that does not resolve (in time) and reports a forbidden one', async () => {
    const failing = new AddressGuard([], () => Promise.reject(Object.assign(new Error('nope'), { code: 'ENOTFOUND' })));
    await expect(failing.checkNow(new URL('http://nowhere.invalid/'), 100)).resolves.toBeUndefined();
    const hanging = new AddressGuard([], () => new Promise(() => undefined));
    await expect(hanging.checkNow(new URL('http://slow.example/'), 10)).resolves.toBeUndefined();
    const internal = new AddressGuard([], resolving(['192.168.1.1']));
    await expect(internal.checkNow(new URL('http://router.example/'), 100)).resolves.toBeInstanceOf(ForbiddenTarget);
  });
});
