import { createHash } from 'node:crypto';

/** The address of the script every page loads (served next to them, same origin). */
export const LINK_PAGE_SCRIPT_PATH = '/link-pages/link-page.js';

export interface LinkPage {
  path: string;
  title: string;
  explanation: string;
  /** The API route the form posts to, as JSON. */
  endpoint: string;
  /** Whether the mailed link's token goes into the body (every page but "forgot password"). */
  needsToken: boolean;
  /** Form inputs besides the token. */
  fields: string;
  action: string;
  done: string;
}

/** One page per link the mails contain (apps/api/src/auth/registration-jobs.ts, email-code/, users/account.service.ts). */
export const LINK_PAGES: LinkPage[] = [
  {
    path: '/verify-email',
    title: 'Confirm your email address',
    explanation: 'Confirming proves this address is yours; then you can sign in.',
    endpoint: '/api/v1/auth/verify-email',
    needsToken: true,
    fields: '',
    action: 'Confirm my address',
    done: 'Your address is confirmed. You can sign in now.',
  },
  {
    path: '/reset-password',
    title: 'Choose a new password',
    explanation: 'Setting a new password signs you out everywhere.',
    endpoint: '/api/v1/auth/password/reset',
    needsToken: true,
    fields: '<label>New password <input name="password" type="password" autocomplete="new-password" required></label>',
    action: 'Set the new password',
    done: 'Your password is changed, and every session was signed out. Sign in with the new password.',
  },
  {
    path: '/confirm-email-change',
    title: 'Confirm your new email address',
    explanation: 'Confirming makes this address the one you sign in with.',
    endpoint: '/api/v1/users/email-change/confirm',
    needsToken: true,
    fields: '',
    action: 'Confirm the new address',
    done: 'Your new address is confirmed. Sign in with it from now on.',
  },
  {
    path: '/email-sign-in',
    title: 'Sign in with your email',
    explanation: 'The link from the mail signs you in once. In your app (APP_URL) this page would keep the session.',
    endpoint: '/api/v1/auth/otp/verify',
    needsToken: true,
    fields: '',
    action: 'Sign me in',
    done: 'The link worked: the API answered with a session (or an MFA challenge), which this development page does not keep.',
  },
  {
    path: '/forgot-password',
    title: 'Reset your password',
    explanation: 'Enter the address of your account; a link to choose a new password is mailed to it.',
    endpoint: '/api/v1/auth/password/forgot',
    needsToken: false,
    fields: '<label>Email <input name="email" type="email" autocomplete="email" required></label>',
    action: 'Mail me a link',
    done: 'If the address has an account, a message is on its way.',
  },
];

const STYLE =
  'body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}' +
  'label,input,button{display:block;width:100%;margin:.5rem 0}.note{color:#555;font-size:.875rem}' +
  '.error{color:#b00020}.ok{color:#1b5e20}';

/**
 * Nothing inline may run, and nothing leaves the origin: the script is this origin's, the one
 * style block is allowed by its hash, and the form cannot submit anywhere without the script.
 */
export const LINK_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "connect-src 'self'",
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Every value is a constant above: the token never enters the HTML (the script reads it from the address). */
export function renderLinkPage(page: LinkPage): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${page.title} · Backlot</title>
<style>${STYLE}</style>
<script src="${LINK_PAGE_SCRIPT_PATH}" defer></script>
</head>
<body>
<p class="note">Development page served by the Backlot API because APP_URL is not set. In production, APP_URL names your app, which handles this link.</p>
<h1>${page.title}</h1>
<p>${page.explanation}</p>
<form method="post" data-endpoint="${page.endpoint}" data-needs-token="${page.needsToken}" data-done="${page.done}">
${page.fields}
<button type="submit">${page.action}</button>
</form>
<p id="result" role="status"></p>
</body>
</html>
`;
}
