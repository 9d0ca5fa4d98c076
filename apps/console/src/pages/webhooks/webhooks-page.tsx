import { useState } from 'react';
import { Cell, Column, Row, Table, TableBody, TableHeader } from 'react-aria-components';
import { get, send } from '../../api';
import type { PageProps } from '../../sections';
import { Loading, Problem } from '../../ui/status';
import { useLoad } from '../../ui/use-load';
import { WebhookDetail } from './webhook-detail';
import { OnceSecret, type Webhook, WebhookForm, webhookPath } from './webhook-form';
import '../admin.css';

/** `/_/webhooks` lists the webhooks and adds one; `/_/webhooks/<id>` opens one. */
export function WebhooksPage({ rest, navigate }: PageProps) {
  if (rest[0]) return <WebhookDetail id={rest[0]} navigate={navigate} />;
  return <WebhookList navigate={navigate} />;
}

function WebhookList({ navigate }: { navigate(to: string): void }) {
  const webhooks = useLoad((signal) => get<{ items: Webhook[] }>('/admin/webhooks', { limit: 200 }, signal), []);
  const [created, setCreated] = useState<Webhook | null>(null);

  return (
    <section aria-labelledby="webhooks-title" className="admin-page">
      <h1 id="webhooks-title">Webhooks</h1>
      <p className="hint">Signed HTTP POSTs to your endpoints when records change or accounts come and go.</p>
      <h2 id="webhook-list-title">Subscriptions</h2>
      <Problem text={webhooks.problem} />
      {!webhooks.data ? (
        webhooks.loading && <Loading what="webhooks" />
      ) : webhooks.data.items.length === 0 ? (
        <p>No webhooks yet.</p>
      ) : (
        <Table aria-labelledby="webhook-list-title" onRowAction={(key) => navigate(webhookPath(String(key)))}>
          <TableHeader>
            <Column isRowHeader>URL</Column>
            <Column>Events</Column>
            <Column>State</Column>
            <Column>Description</Column>
          </TableHeader>
          <TableBody items={webhooks.data.items}>
            {(hook) => (
              <Row id={hook.id} href={webhookPath(hook.id)}>
                <Cell>{hook.url}</Cell>
                <Cell>{hook.events.join(' ')}</Cell>
                <Cell>
                  {hook.enabled ? 'enabled' : 'disabled'}
                  {hook.consecutiveFailures > 0 ? `, ${hook.consecutiveFailures} failures in a row` : ''}
                </Cell>
                <Cell>{hook.description}</Cell>
              </Row>
            )}
          </TableBody>
        </Table>
      )}
      <h2>Add a webhook</h2>
      {created?.secret && (
        <>
          <OnceSecret secret={created.secret} label={`Added the webhook to ${created.url}. Its signing secret:`} />
          <p>
            <a href={webhookPath(created.id)}>Open the new webhook</a>
          </p>
        </>
      )}
      <WebhookForm
        submitLabel="Add the webhook"
        onSubmit={async (input) => {
          setCreated(await send<Webhook>('POST', '/admin/webhooks', input));
          webhooks.reload();
        }}
      />
    </section>
  );
}
