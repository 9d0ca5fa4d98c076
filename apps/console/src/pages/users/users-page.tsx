import { useEffect, useState } from 'react';
import { Cell, Column, Input, Label, Row, SearchField, Table, TableBody, TableHeader } from 'react-aria-components';
import { get } from '../../api';
import type { PageProps } from '../../sections';
import { Loading, Problem } from '../../ui/status';
import { useLoad } from '../../ui/use-load';
import { href } from '../../navigation';
import { Pager, Time, usePages } from '../pager';
import '../operations.css';
import { UserDetail } from './user-detail';
import { Choice } from '../../ui/choice';

export interface AdminUser {
  id: string;
  email: string;
  displayName: string | null;
  role: string;
  emailVerified: boolean;
  mfaEnabled: boolean;
  disabled: boolean;
  disabledAt: string | null;
  createdAt: string;
}

interface UserPage {
  items: AdminUser[];
  nextCursor: string | null;
  total?: number;
}

/** The users section: `/_/users` searches them, `/_/users/<id>` is one user. */
export function UsersPage({ rest, navigate, me }: PageProps) {
  if (rest[0]) return <UserDetail id={rest[0]} me={me} navigate={navigate} />;
  return <UserList />;
}

function UserList() {
  const [typed, setTyped] = useState('');
  const [q, setQ] = useState('');
  const [role, setRole] = useState('any');
  const [state, setState] = useState('any');
  const pages = usePages();
  const { reset } = pages;
  // A new filter starts again from the first page.
  const search = (value: string) => (setQ(value.trim()), reset());

  // Searching as one types, without a call (an audited admin request) per keystroke.
  useEffect(() => {
    const timer = setTimeout(() => {
      if (typed.trim() !== q) search(typed);
    }, 300);
    return () => clearTimeout(timer);
  });

  const { data, problem, loading } = useLoad(
    (signal) =>
      get<UserPage>(
        '/admin/users',
        {
          q: q || undefined,
          role: role === 'any' ? undefined : role,
          disabled: state === 'any' ? undefined : String(state === 'disabled'),
          cursor: pages.cursor,
          limit: 25,
          count: true,
        },
        signal,
      ),
    [q, role, state, pages.cursor],
  );

  return (
    <section className="ops" aria-labelledby="users-title">
      <h1 id="users-title">Users</h1>
      <div className="filters">
        <SearchField value={typed} onChange={setTyped} onSubmit={search}>
          <Label>Search by email or name</Label>
          <Input />
        </SearchField>
        <Choice
          label="Role"
          value={role}
          onChange={(value) => (setRole(value), reset())}
          options={[
            { id: 'any', label: 'Any role' },
            { id: 'user', label: 'user' },
            { id: 'admin', label: 'admin' },
          ]}
        />
        <Choice
          label="Access"
          value={state}
          onChange={(value) => (setState(value), reset())}
          options={[
            { id: 'any', label: 'Enabled or disabled' },
            { id: 'enabled', label: 'Enabled' },
            { id: 'disabled', label: 'Disabled' },
          ]}
        />
      </div>
      <Problem text={problem} />
      {!data && loading && <Loading what="users" />}
      {data && (
        <>
          <Table aria-labelledby="users-title" aria-busy={loading}>
            <TableHeader>
              <Column isRowHeader>Email</Column>
              <Column>Name</Column>
              <Column>Role</Column>
              <Column>Access</Column>
              <Column>MFA</Column>
              <Column>Created</Column>
            </TableHeader>
            <TableBody items={data.items} renderEmptyState={() => <p>No user matches.</p>}>
              {(user) => (
                <Row id={user.id} href={href('users', user.id)}>
                  <Cell>{user.email}</Cell>
                  <Cell>{user.displayName ?? ''}</Cell>
                  <Cell>{user.role}</Cell>
                  <Cell>{user.disabled ? 'disabled' : 'enabled'}</Cell>
                  <Cell>{user.mfaEnabled ? 'on' : 'off'}</Cell>
                  <Cell>
                    <Time at={user.createdAt} />
                  </Cell>
                </Row>
              )}
            </TableBody>
          </Table>
          <Pager pages={pages} nextCursor={data.nextCursor} total={data.total} label="Users" />
        </>
      )}
    </section>
  );
}
