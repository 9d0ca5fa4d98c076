import { resolveHost } from './host-resolver';

describe('resolveHost', () => {
  it('resolves a name DNS does not know but the hosts file does (localhost), IPv4 first', async () => {
    const addresses = await resolveHost('localhost');
    expect(addresses[0]).toEqual({ address: '127.0.0.1', family: 4 });
  });

  it('reports a name nobody knows as not found', async () => {
    await expect(resolveHost('nowhere.backlot-test.invalid')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });
});
