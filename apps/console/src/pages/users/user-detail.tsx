import { useState } from 'react';
import { Button, Cell, Column, Row, Table, TableBody, TableHeader } from 'react-aria-components';
import { describe, get, type Me, send } from '../../api';
import { ConfirmButton } from '../../ui/confirm';
import { Loading, Problem } from '../../ui/status';
import { useLoad } from '../../ui/use-load';
import { href } from '../../navigation';
import { Time } from '../pager';
import type { AdminUser } from './users-page';
import { Choice } from '../../ui/choice';

interface UserDetailData extends AdminUser {
  activeSessions: number;
  lastSignInAt: string | null;
}

interface Session {
  id: string;
  device: string;
  userAgent: string | null;
  ip: string | null;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
}

interface Identity {
  id: string;
  provider: string;
  email: string | null;
  emailVerified: boolean;
  createdAt: string;
  lastSignInAt: string | null;
}

const ROLES = ['user', 'admin'];

/** One user: facts, the actions an admin may take, linked sign-in providers and live sessions. */
export function UserDetail({ id, me, navigate }: { id: string; me: Me; navigate(to: string): void }) {
  const user = useLoad((signal) => get<UserDetailData>(`/admin/users/${encodeURIComponent(id)}`, undefined, signal), [id]);
  const sessions = useLoad((signal) => get<Session[]>(`/admin/users/${encodeURIComponent(id)}/sessions`, undefined, signal), [id]);
  const identities = useLoad((signal) => get<Identity[]>(`/admin/users/${encodeURIComponent(id)}/identities`, undefined, signal), [id]);
  const [problem, setProblem] = useState<string | null>(null);
  const [role, setRole] = useState<string | null>(null);

  const back = (
    <p>
      <a href={href('users')} onClick={(event) => (event.preventDefault(), navigate(href('users')))}>
        ← All users
      </a>
    </p>
  );
  if (!user.data) {
    return (
      <section className="ops" aria-labelledby="user-title">
        {back}
        <h1 id="user-title">User</h1>
        {user.loading ? <Loading what="the user" /> : <Problem text={user.problem} />}
      </section>
    );
  }
  const data = user.data;
  const path = `/admin/users/${encodeURIComponent(data.id)}`;
  const reload = () => (user.reload(), sessions.reload());
  /** Runs a change, then shows the user as it now is; a refusal (409 …) is shown on the page. */
  const act = (run: () => Promise<unknown>) => () => {
    setProblem(null);
    run().then(reload, (error: unknown) => setProblem(describe(error)));
  };
  const chosenRole = role ?? data.role;

  return (
    <section className="ops" aria-labelledby="user-title">
      {back}
      <h1 id="user-title">{data.email}</h1>
      <dl className="facts">
        <div>
          <dt>Name</dt>
          <dd>{data.displayName ?? '—'}</dd>
        </div>
        <div>
          <dt>Role</dt>
          <dd>{data.role}</dd>
        </div>
        <div>
          <dt>Access</dt>
          <dd>{data.disabled ? 'disabled' : 'enabled'}</dd>
        </div>
        <div>
          <dt>Email verified</dt>
          <dd>{data.emailVerified ? 'yes' : 'no'}</dd>
        </div>
        <div>
          <dt>MFA</dt>
          <dd>{data.mfaEnabled ? 'on' : 'off'}</dd>
        </div>
        <div>
          <dt>Live sessions</dt>
          <dd>{data.activeSessions}</dd>
        </div>
        <div>
          <dt>Last sign-in</dt>
          <dd>
            <Time at={data.lastSignInAt} />
          </dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>
            <Time at={data.createdAt} />
          </dd>
        </div>
        <div>
          <dt>Id</dt>
          <dd>
            <code>{data.id}</code>
          </dd>
        </div>
      </dl>

      <h2>Actions</h2>
      {data.id === me.id && <p className="muted">This is your own account: you cannot demote, disable or delete it here.</p>}
      <div className="page-actions">
        <Choice label="Role" value={chosenRole} options={ROLES} onChange={setRole} />
        <Button
          isDisabled={chosenRole === data.role}
          onPress={act(async () => {
            await send('PATCH', `${path}/role`, { role: chosenRole });
            setRole(null);
          })}
        >
          Change role
        </Button>
        {data.disabled ? (
          <Button onPress={act(() => send('POST', `${path}/enable`))}>Enable account</Button>
        ) : (
          <ConfirmButton
            label="Disable account"
            title={`Disable ${data.email}?`}
            onConfirm={() => send('POST', `${path}/disable`).then(reload)}
          >
            <p>Their sessions end at once, they cannot sign in, and their API keys stop working until the account is enabled again.</p>
          </ConfirmButton>
        )}
        <ConfirmButton
          label="Sign out everywhere"
          title={`End every session of ${data.email}?`}
          onConfirm={() => send('POST', `${path}/logout`).then(reload)}
        >
          <p>Every device they are signed in on is signed out. Their API keys keep working.</p>
        </ConfirmButton>
        <ConfirmButton label="Reset MFA" title={`Reset MFA of ${data.email}?`} onConfirm={() => send('DELETE', `${path}/mfa`).then(reload)}>
          <p>Their TOTP secret and recovery codes are removed; the next sign-in asks for no code. Sessions stay open.</p>
        </ConfirmButton>
        <ConfirmButton
          label="Delete account"
          title={`Delete ${data.email}?`}
          typeToConfirm={data.email}
          onConfirm={() => send('DELETE', path).then(() => navigate(href('users')))}
        >
          <p>The account and its data are deleted for good; its audit events stay.</p>
        </ConfirmButton>
      </div>
      <Problem text={problem} />

      <h2 id="sessions-title">Live sessions</h2>
      <Problem text={sessions.problem} />
      {sessions.data && (
        <Table aria-labelledby="sessions-title">
          <TableHeader>
            <Column isRowHeader>Device</Column>
            <Column>User agent</Column>
            <Column>Address</Column>
            <Column>Signed in</Column>
            <Column>Last used</Column>
            <Column>Expires</Column>
          </TableHeader>
          <TableBody items={sessions.data} renderEmptyState={() => <p>No live session.</p>}>
            {(session) => (
              <Row id={session.id}>
                <Cell>{session.device}</Cell>
                <Cell>
                  <span className="agent">{session.userAgent ?? '—'}</span>
                </Cell>
                <Cell>{session.ip ?? '—'}</Cell>
                <Cell>
                  <Time at={session.createdAt} />
                </Cell>
                <Cell>
                  <Time at={session.lastUsedAt} />
                </Cell>
                <Cell>
                  <Time at={session.expiresAt} />
                </Cell>
              </Row>
            )}
          </TableBody>
        </Table>
      )}

      <h2 id="identities-title">Sign-in providers</h2>
      <Problem text={identities.problem} />
      {identities.data && (
        <Table aria-labelledby="identities-title">
          <TableHeader>
            <Column isRowHeader>Provider</Column>
            <Column>Email there</Column>
            <Column>Linked</Column>
            <Column>Last sign-in</Column>
          </TableHeader>
          <TableBody items={identities.data} renderEmptyState={() => <p>No linked provider.</p>}>
            {(identity) => (
              <Row id={identity.id}>
                <Cell>{identity.provider}</Cell>
                <Cell>
                  {identity.email ?? '—'}
                  {identity.email && !identity.emailVerified && ' (unverified)'}
                </Cell>
                <Cell>
                  <Time at={identity.createdAt} />
                </Cell>
                <Cell>
                  <Time at={identity.lastSignInAt} />
                </Cell>
              </Row>
            )}
          </TableBody>
        </Table>
      )}
    </section>
  );
}
