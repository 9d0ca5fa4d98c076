/** The domain of an address (`Name <a@b>` or `a@b`), lower-cased: what logs and audit events may name. */
export function recipientDomain(to: string): string {
  const domain = /@([^@>\s]+)[>\s]*$/.exec(to.trim())?.[1];
  return domain?.toLowerCase() ?? 'unknown';
}

const GMAIL = new Set(['gmail.com', 'googlemail.com']);

/**
 * The inbox an address delivers to, as far as the address shows it: lower-cased, without a
 * `+tag` (RFC 5233 subaddresses reach the same mailbox at most providers), and for Gmail
 * without dots. Only for counting mails per inbox: `a+1@x`, `a+2@x` … must not each get
 * their own allowance, since sign-up mails go to any address an attacker types.
 */
export function recipientInbox(to: string): string {
  const address = (/<([^<>]*)>\s*$/.exec(to)?.[1] ?? to).trim().toLowerCase();
  const at = address.lastIndexOf('@');
  if (at < 0) return address;
  const domain = address.slice(at + 1);
  const local = address.slice(0, at).split('+')[0];
  return GMAIL.has(domain) ? `${local.replace(/\./g, '')}@gmail.com` : `${local}@${domain}`;
}
