import { useEffect, useState } from 'react';
import { Button, Cell, Column, Row, Table, TableBody, TableHeader } from 'react-aria-components';
import { describe, get, send } from '../../api';
import { ConfirmButton } from '../../ui/confirm';
import { Loading, Problem } from '../../ui/status';
import { useLoad } from '../../ui/use-load';
import { OnceSecret, type Webhook, WebhookForm, WEBHOOKS_PATH } from './webhook-form';

interface Delivery {
  id: string;
  eventId: string;
  event: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  responseCode: number | null;
  latencyMs: number | null;
  responseBody: string | null;
  error: string | null;
  createdAt: string;
  nextAttemptAt: string | null;
}

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');

/** One webhook: its settings, enable/disable, a new secret, a ping, and its delivery log. */
export function WebhookDetail({ id, navigate }: { id: string; navigate(to: string): void }) {
  const path = `/admin/webhooks/${encodeURIComponent(id)}`;
  const hook = useLoad((signal) => get<Webhook>(path, undefined, signal), [path]);
  const [secret, setSecret] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [deliveriesRound, setDeliveriesRound] = useState(0);

  async function act(what: () => Promise<unknown>, done: string) {
    setProblem(null);
    setNote(null);
    try {
      await what();
      setNote(done);
      hook.reload();
      setDeliveriesRound((n) => n + 1);
    } catch (error) {
      setProblem(describe(error));
    }
  }

  const back = (
    <p>
      <a href={WEBHOOKS_PATH} onClick={(event) => (event.preventDefault(), navigate(WEBHOOKS_PATH))}>
        ← All webhooks
      </a>
    </p>
  );
  if (!hook.data)
    return (
      <section className="admin-page">
        {back}
        <h1>Webhook</h1>
        {hook.loading ? <Loading what="the webhook" /> : <Problem text={hook.problem} />}
      </section>
    );
  const webhook = hook.data;
  return (
    <section aria-labelledby="webhook-title" className="admin-page">
      {back}
      <h1 id="webhook-title">Webhook to {webhook.url}</h1>
      <dl className="facts">
        <div>
          <dt>State</dt>
          <dd>
            {webhook.enabled ? 'enabled' : `disabled${webhook.disabledReason ? `: ${webhook.disabledReason}` : ''}`}
            {webhook.consecutiveFailures > 0 ? ` (${webhook.consecutiveFailures} failed attempts in a row)` : ''}
          </dd>
        </div>
        <div>
          <dt>Events</dt>
          <dd>
            <code>{webhook.events.join(' ')}</code>
          </dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>{when(webhook.createdAt)}</dd>
        </div>
      </dl>
      <div className="row-actions" role="group" aria-label="Webhook actions">
        <Button onPress={() => void act(() => send('POST', `${path}/ping`), 'Queued a ping: it shows in the delivery log below.')}>
          Send a ping
        </Button>
        <Button
          className="react-aria-Button quiet"
          onPress={() =>
            void act(
              () => send('PATCH', path, { enabled: !webhook.enabled }),
              webhook.enabled ? 'Disabled the webhook.' : 'Enabled the webhook.',
            )
          }
        >
          {webhook.enabled ? 'Disable' : 'Enable'}
        </Button>
        <ConfirmButton
          label="Rotate the secret"
          title="Replace the signing secret?"
          action="Rotate"
          onConfirm={async () => {
            const rotated = await send<Webhook>('POST', `${path}/rotate-secret`);
            setSecret(rotated.secret ?? null);
          }}
        >
          <p>Deliveries are signed with the new secret at once: the receiver must switch to it.</p>
        </ConfirmButton>
        <ConfirmButton
          label="Delete"
          title="Delete this webhook?"
          onConfirm={() => send('DELETE', path).then(() => navigate(WEBHOOKS_PATH))}
        >
          <p>The webhook and its delivery log are deleted; queued deliveries are dropped.</p>
        </ConfirmButton>
      </div>
      <div aria-live="polite">{note && <p>{note}</p>}</div>
      <Problem text={problem} />
      {secret && <OnceSecret secret={secret} label="The new signing secret:" />}
      <Deliveries path={path} round={deliveriesRound} />
      <h2>Settings</h2>
      <WebhookForm
        key={webhook.updatedAt}
        initial={webhook}
        submitLabel="Save"
        onSubmit={async (input) => {
          await send('PATCH', path, input);
          setNote('Saved.');
          hook.reload();
        }}
      />
    </section>
  );
}

/** The delivery log, newest first; checked again every second while a delivery is pending. */
function Deliveries({ path, round }: { path: string; round: number }) {
  const deliveries = useLoad((signal) => get<{ items: Delivery[] }>(`${path}/deliveries`, { limit: 50 }, signal), [path, round]);
  const [problem, setProblem] = useState<string | null>(null);
  const { data, reload } = deliveries;
  const pending = data?.items.some((delivery) => delivery.status === 'pending');
  useEffect(() => {
    if (!pending) return;
    const timer = setTimeout(reload, 1000);
    return () => clearTimeout(timer);
  }, [data, pending, reload]);

  return (
    <>
      <h2 id="deliveries-title">Deliveries</h2>
      <Problem text={deliveries.problem ?? problem} />
      {!data ? (
        deliveries.loading && <Loading what="deliveries" />
      ) : data.items.length === 0 ? (
        <p>No deliveries yet.</p>
      ) : (
        <Table aria-labelledby="deliveries-title">
          <TableHeader>
            <Column isRowHeader>Event</Column>
            <Column>Status</Column>
            <Column>Answer</Column>
            <Column>Duration</Column>
            <Column>When</Column>
            <Column>Response</Column>
            <Column>Actions</Column>
          </TableHeader>
          <TableBody items={data.items}>
            {(delivery) => (
              <Row id={delivery.id}>
                <Cell>{delivery.event}</Cell>
                <Cell>
                  <span className={`status-${delivery.status}`}>{delivery.status}</span>
                  {delivery.attempts > 1 ? ` (${delivery.attempts} attempts)` : ''}
                  {delivery.status === 'pending' && delivery.nextAttemptAt ? `, next ${when(delivery.nextAttemptAt)}` : ''}
                </Cell>
                <Cell>{delivery.responseCode ?? '—'}</Cell>
                <Cell>{delivery.latencyMs === null ? '—' : `${delivery.latencyMs} ms`}</Cell>
                <Cell>{when(delivery.createdAt)}</Cell>
                <Cell>
                  {delivery.error && <p className="problem">{delivery.error}</p>}
                  {delivery.responseBody && <pre className="response-body">{delivery.responseBody}</pre>}
                </Cell>
                <Cell>
                  <Button
                    className="react-aria-Button quiet"
                    aria-label={`Redeliver ${delivery.event} of ${when(delivery.createdAt)}`}
                    onPress={() => {
                      setProblem(null);
                      send('POST', `${path}/deliveries/${encodeURIComponent(delivery.id)}/redeliver`).then(reload, (error: unknown) =>
                        setProblem(describe(error)),
                      );
                    }}
                  >
                    Redeliver
                  </Button>
                </Cell>
              </Row>
            )}
          </TableBody>
        </Table>
      )}
    </>
  );
}
