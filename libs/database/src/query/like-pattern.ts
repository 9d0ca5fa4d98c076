/**
 * Escapes LIKE/ILIKE wildcards so a client's `%` or `_` matches itself. Prisma's `contains`,
 * `startsWith` and `equals` with `mode: 'insensitive'` become LIKE/ILIKE without escaping
 * (prisma/prisma#19506); PostgreSQL's default escape character is the backslash.
 */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, '\\$&');
}
