import { loadConfig } from '@backlot/config';
import type { FastifyRequest } from 'fastify';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLocalPeer, LOCAL_SECRET_HEADER, LocalCliAccess, localServerFile, readLocalServer } from './local-cli-access';

describe('isLocalPeer', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['127.0.0.2', '127.0.0.1'],
    ['::1', '::1'],
    ['::ffff:127.0.0.1', '::ffff:127.0.0.1'],
    // The machine calling itself on the address it listens on (HOST set to that address).
    ['10.0.0.5', '10.0.0.5'],
    ['::ffff:10.0.0.5', '10.0.0.5'],
  ])('takes %s (arrived at %s) for this machine', (remote, local) => {
    expect(isLocalPeer(remote, local)).toBe(true);
  });

  it.each([
    ['10.0.0.7', '10.0.0.5'],
    ['::ffff:10.0.0.7', '::ffff:10.0.0.5'],
    ['192.168.1.20', '127.0.0.1'],
    ['fe80::1', '::1'],
    ['::ffff:128.0.0.1', '127.0.0.1'],
    [undefined, '127.0.0.1'],
  ])('takes %s (arrived at %s) for another machine', (remote, local) => {
    expect(isLocalPeer(remote, local)).toBe(false);
  });
});

describe('LocalCliAccess', () => {
  let dataDir: string;
  let access: LocalCliAccess;

  const request = (remoteAddress: string, headers: Record<string, string>, localAddress = '127.0.0.1') =>
    ({ raw: { socket: { remoteAddress, localAddress } }, headers }) as unknown as FastifyRequest;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'backlot-local-cli-'));
    access = new LocalCliAccess(loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, PGLITE_DATA_DIR: join(dataDir, 'pglite') }));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('publishes the address and a fresh secret, owner-only, and removes them when the app stops', () => {
    access.publish('http://127.0.0.1:4321');
    const server = readLocalServer(dataDir)!;
    expect(server).toEqual({ pid: process.pid, url: 'http://127.0.0.1:4321', secret: expect.stringMatching(/^[\w-]{43}$/) });
    expect(statSync(localServerFile(dataDir)).mode & 0o777).toBe(0o600);
    access.onApplicationShutdown();
    expect(readLocalServer(dataDir)).toBeUndefined();
  });

  it('lets through only this machine, with the secret, not through a proxy', () => {
    access.publish('http://127.0.0.1:4321');
    const { secret } = readLocalServer(dataDir)!;
    const withSecret = { [LOCAL_SECRET_HEADER]: secret };
    expect(access.refusal(request('127.0.0.1', withSecret))).toBeUndefined();
    expect(access.refusal(request('10.0.0.7', withSecret, '10.0.0.5'))).toMatch(/other machines/);
    for (const header of ['x-forwarded-for', 'forwarded', 'x-real-ip', 'x-forwarded-host'])
      expect(access.refusal(request('127.0.0.1', { ...withSecret, [header]: '203.0.113.9' }))).toMatch(/relayed by a proxy/);
    expect(access.refusal(request('127.0.0.1', {}))).toMatch(/not the secret/);
    expect(access.refusal(request('127.0.0.1', { [LOCAL_SECRET_HEADER]: `${secret}x` }))).toMatch(/not the secret/);
  });

  it('takes no calls when nothing was published: PostgreSQL and in-memory databases need no server in between', () => {
    const inMemory = new LocalCliAccess(loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, PGLITE_DATA_DIR: 'memory://' }));
    inMemory.publish('http://127.0.0.1:4321');
    expect(readLocalServer(dataDir)).toBeUndefined();
    expect(inMemory.refusal(request('127.0.0.1', { [LOCAL_SECRET_HEADER]: 'anything' }))).toMatch(/takes no CLI calls/);
    expect(access.refusal(request('127.0.0.1', { [LOCAL_SECRET_HEADER]: 'anything' }))).toMatch(/takes no CLI calls/);
  });
});
