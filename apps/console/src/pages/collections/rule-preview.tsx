import { useEffect, useState } from 'react';
import {
  Button,
  Cell,
  Column,
  ComboBox,
  Input,
  Label,
  ListBox,
  ListBoxItem,
  Popover,
  Row,
  Table,
  TableBody,
  TableHeader,
  Text,
} from 'react-aria-components';
import { get, send } from '../../api';
import { Problem } from '../../ui/status';
import { type CollectionInfo, type Refusal, refusalOf } from './schema';

interface Account {
  id: string;
  email: string;
  role: string;
}

interface Preview {
  user: Account;
  refused: boolean;
  bypassed: boolean;
  items: Record<string, unknown>[];
  more: boolean;
}

interface RulePreviewProps {
  collection: CollectionInfo;
  /** The draft list rule; undefined while it cannot be sent (a condition not yet written). */
  rule: string | null | undefined;
  /** A draft the server could not compile: shown on the list rule itself. */
  onRuleProblem(problem: { message: string; position?: number } | null): void;
}

/** Tries the draft list rule as a chosen account, before it is saved: the records that account would list. */
export function RulePreview({ collection, rule, onRuleProblem }: RulePreviewProps) {
  const [search, setSearch] = useState('');
  const [accounts, setAccounts] = useState<Account[]>([]);
  const [account, setAccount] = useState<Account | null>(null);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const abort = new AbortController();
    const timer = setTimeout(() => {
      get<{ items: Account[] }>('/admin/users', { q: search.trim() || undefined, limit: 10 }, abort.signal).then(
        (page) => setAccounts(page.items),
        () => !abort.signal.aborted && setAccounts([]),
      );
    }, 200);
    return () => (clearTimeout(timer), abort.abort());
  }, [search]);

  const run = async () => {
    if (!account || rule === undefined) return;
    setBusy(true);
    setRefusal(null);
    onRuleProblem(null);
    try {
      setPreview(
        await send<Preview>('POST', `/collections/${encodeURIComponent(collection.name)}/rules/preview`, { rule, userId: account.id }),
      );
    } catch (error) {
      const found = refusalOf(error);
      setPreview(null);
      if (found.byPath.rule !== undefined) onRuleProblem({ message: found.byPath.rule, position: found.positions.rule });
      else setRefusal(found);
    } finally {
      setBusy(false);
    }
  };

  // The record's own fields first (what tells records apart for a person), then its owner.
  const visible = collection.fields.filter((field) => !field.hidden).map((field) => field.name);
  const columns = [...(visible.length > 0 ? visible.slice(0, 4) : ['id']), 'owner'].map((id) => ({ id }));
  return (
    <section aria-labelledby="preview-title" className="rule-preview">
      <h2 id="preview-title">Try the list rule as a user</h2>
      <p className="hint">Uses the list rule as drafted above, before it is saved: nothing changes.</p>
      <div className="preview-controls">
        <ComboBox
          inputValue={search}
          onInputChange={(value) => {
            setSearch(value);
            // Typing again starts a new search: the account chosen before is no longer the one shown.
            if (account && value !== account.email) setAccount(null);
          }}
          items={accounts}
          selectedKey={account?.id ?? null}
          onSelectionChange={(key) => {
            const chosen = accounts.find((candidate) => candidate.id === key) ?? null;
            setAccount(chosen);
            if (chosen) setSearch(chosen.email);
          }}
          menuTrigger="focus"
          allowsEmptyCollection
          className="react-aria-ComboBox"
        >
          <Label>User</Label>
          <div className="combo">
            <Input />
            <Button aria-label="Show users">▾</Button>
          </div>
          <Text slot="description">Search by email</Text>
          <Popover className="react-aria-Popover schema-popover">
            <ListBox<Account> renderEmptyState={() => <p className="empty">No matching users.</p>}>
              {(item) => (
                <ListBoxItem id={item.id} textValue={item.email}>
                  {item.email}
                  {item.role === 'admin' ? ' (admin)' : ''}
                </ListBoxItem>
              )}
            </ListBox>
          </Popover>
        </ComboBox>
        <Button isDisabled={!account || rule === undefined || busy} onPress={() => void run()}>
          Preview
        </Button>
      </div>
      <Problem text={refusal?.text} />
      {preview && (
        <div aria-live="polite">
          <p>
            {preview.refused ? (
              <>
                <strong>{preview.user.email}</strong> would be refused (403): the list rule is admins only.
              </>
            ) : (
              <>
                <strong>{preview.user.email}</strong> would list {preview.items.length}
                {preview.more ? ' or more' : ''} record(s)
                {preview.bypassed ? ' — an admin: rules do not restrict admins' : ''}.
              </>
            )}
          </p>
          {preview.items.length > 0 && (
            <Table aria-label={`Records ${preview.user.email} would list`}>
              <TableHeader columns={columns}>{(column) => <Column isRowHeader={column === columns[0]}>{column.id}</Column>}</TableHeader>
              <TableBody items={preview.items.map((record) => ({ id: String(record.id), record }))}>
                {({ record }) => (
                  <Row columns={columns}>
                    {(column) => (
                      <Cell>{column.id === 'owner' && record.owner === preview.user.id ? 'this user' : shown(record[column.id])}</Cell>
                    )}
                  </Row>
                )}
              </TableBody>
            </Table>
          )}
        </div>
      )}
    </section>
  );
}

/** A stored value as text (never markup). */
function shown(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}
