import type { AppConfig } from '@backlot/config';
import { type JobContext, type JobDefinition, type JobQueue, RetryAt } from '@backlot/jobs';
import type { AuditService, FieldEncryption } from '@backlot/security';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AddressGuard } from './address-guard';
import type { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookDeliveryJob } from './webhook-delivery.job';
import type { AttemptOutcome, DeliveryRow, WebhookRow, WebhooksRepository } from './webhooks.repository';

/** The job against a real receiver on 127.0.0.1, with the database replaced by a recording fake. */
describe('WebhookDeliveryJob', () => {
  let server: Server;
  let status = 200;
  let url: string;

  beforeAll(async () => {
    server = createServer((request, response) => {
      request.resume();
      request.on('end', () => response.writeHead(status).end('answer'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  function setUp(recordAttempt: (id: string, outcome: AttemptOutcome) => Promise<void>) {
    const webhook = { id: 'w1', url, enabled: true, secret: 'sealed' } as WebhookRow;
    const delivery = { id: 'd1', webhookId: 'w1', eventId: 'e1', event: 'ping', payload: '{}', status: 'pending' } as DeliveryRow;
    const repository = {
      findDeliveryById: async () => delivery,
      find: async () => webhook,
      recordAttempt: jest.fn(recordAttempt),
      recordSuccess: jest.fn(async () => undefined),
      recordFailure: jest.fn(async () => 1),
    };
    const definitions: JobDefinition<{ deliveryId: string }>[] = [];
    const queue = {
      define: (definition: JobDefinition<{ deliveryId: string }>) => definitions.push(definition),
      schedule: () => undefined,
    };
    const config = {
      version: 'test',
      webhooks: { timeoutMs: 5_000, maxAttempts: 3, backoffSeconds: 30, disableAfterFailures: 10, deliveryRetentionDays: 30 },
      jobs: { cleanupSchedule: null },
    } as unknown as AppConfig;
    const job = new WebhookDeliveryJob(
      repository as unknown as WebhooksRepository,
      queue as unknown as JobQueue,
      { decrypt: () => 'whsec_test' } as unknown as FieldEncryption,
      {} as AuditService,
      {} as WebhookDispatcher,
      new AddressGuard(['127.0.0.1']),
      config,
    );
    job.onModuleInit();
    const context: JobContext = {
      id: 'j1',
      name: 'webhooks.deliver',
      attempt: 1,
      maxAttempts: 3,
      signal: new AbortController().signal,
      retryDelayMs: 45_000,
    };
    return { repository, run: () => definitions[0].handler({ deliveryId: 'd1' }, context) };
  }

  it('a success the database refuses to store in full is stored without the response text, not thrown (which would resend it)', async () => {
    status = 200;
    const refusedOnce = jest.fn<Promise<void>, [string, AttemptOutcome]>().mockRejectedValueOnce(new Error('invalid byte sequence'));
    const { repository, run } = setUp(refusedOnce.mockResolvedValue(undefined));
    await expect(run()).resolves.toBeUndefined();
    expect(repository.recordAttempt).toHaveBeenCalledTimes(2);
    expect(repository.recordAttempt).toHaveBeenLastCalledWith(
      'd1',
      expect.objectContaining({ status: 'succeeded', responseCode: 200, responseBody: null, error: null }),
    );
    expect(repository.recordSuccess).toHaveBeenCalledWith('w1');
  });

  it('a retryable failure asks the queue to retry at the very time the delivery log shows', async () => {
    status = 503;
    const { repository, run } = setUp(async () => undefined);
    const failure: unknown = await run().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(RetryAt);
    const [, outcome] = repository.recordAttempt.mock.calls[0];
    expect(outcome).toMatchObject({ status: 'pending', error: 'receiver answered 503' });
    expect(outcome.nextAttemptAt).toEqual((failure as RetryAt).at);
  });
});
