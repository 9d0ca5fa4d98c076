import type { UserSession } from './auth';

export interface SeedRow {
  id: string;
  version: number;
  [field: string]: unknown;
}

export interface SeededLibrary {
  authors: SeedRow[];
  books: SeedRow[];
  /** A book deleted (in the trash): soft deletes survive a restore too. */
  trashed: SeedRow;
}

const RULES = { list: '', view: '', create: '@me != null', update: 'owner = @me', delete: 'owner = @me' };

/**
 * Two collections that exercise what a backup must carry: a relation, searchable text, a
 * unique and an indexed field (runtime indexes), an encrypted field, history and the trash.
 */
export async function seedLibrary(admin: UserSession, owner: UserSession, books = 6): Promise<SeededLibrary> {
  await define(admin, 'authors', [{ name: 'name', type: 'text', required: true, searchable: true }]);
  await define(admin, 'books', [
    { name: 'title', type: 'text', required: true, searchable: true },
    { name: 'isbn', type: 'text', unique: true },
    { name: 'pages', type: 'integer', indexed: true },
    { name: 'secret', type: 'text', encrypted: true },
    { name: 'author', type: 'relation', collection: 'authors' },
  ]);
  const authors = [await add(owner, 'authors', { name: 'Ursula Le Guin' }), await add(owner, 'authors', { name: 'Italo Calvino' })];
  const rows: SeedRow[] = [];
  for (let i = 0; i < books; i++) {
    rows.push(
      await add(owner, 'books', {
        title: i % 2 ? `Invisible cities ${i}` : `The dispossessed ${i}`,
        isbn: `978-${i}`,
        pages: 100 + i * 50,
        secret: `note ${i}`,
        author: authors[i % 2].id,
      }),
    );
  }
  for (const book of rows.slice(0, 2)) {
    const response = await owner.json('PATCH', `/collections/books/records/${book.id}`, { pages: (book.pages as number) + 1 });
    if (response.status !== 200) throw new Error(`update failed: ${response.status} ${await response.text()}`);
    rows[rows.indexOf(book)] = (await response.json()) as SeedRow;
  }
  const trashed = rows.pop()!;
  const removed = await owner.json('DELETE', `/collections/books/records/${trashed.id}`);
  if (removed.status !== 204) throw new Error(`delete failed: ${removed.status} ${await removed.text()}`);
  return { authors, books: rows, trashed };
}

async function define(admin: UserSession, name: string, fields: Record<string, unknown>[]): Promise<void> {
  const response = await admin.json('POST', '/collections', { name, fields, rules: RULES });
  if (response.status !== 201) throw new Error(`collection ${name}: ${response.status} ${await response.text()}`);
}

async function add(owner: UserSession, collection: string, data: Record<string, unknown>): Promise<SeedRow> {
  const response = await owner.json('POST', `/collections/${collection}/records`, data);
  if (response.status !== 201) throw new Error(`record in ${collection}: ${response.status} ${await response.text()}`);
  return (await response.json()) as SeedRow;
}
