/**
 * The one script of the link pages, served from the API's own origin so their CSP can allow
 * `script-src 'self'` and nothing inline. It posts the form, with the token from the page's
 * address, as JSON to the endpoint the form names, and shows the answer or the problem's reasons.
 * Plain browser JavaScript kept as text: the build compiles TypeScript only, and these pages
 * are served by the API itself rather than shipped as assets.
 */
export const LINK_PAGE_SCRIPT = `'use strict';
(() => {
  const form = document.querySelector('form[data-endpoint]');
  const button = form.querySelector('button');
  const result = document.getElementById('result');
  const token = new URLSearchParams(location.search).get('token');
  const show = (text, outcome) => {
    result.textContent = text;
    result.className = outcome;
  };

  if (form.dataset.needsToken === 'true' && !token) {
    show('This link has no token: open the whole link from the mail.', 'error');
    button.disabled = true;
    return;
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = Object.fromEntries(new FormData(form));
    if (form.dataset.needsToken === 'true') body.token = token;
    button.disabled = true;
    show('Sending…', 'pending');
    try {
      const response = await fetch(form.dataset.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        credentials: 'omit',
      });
      if (response.ok) {
        show(form.dataset.done, 'ok');
        // A mailed token works once: after success there is nothing left to send.
        if (form.dataset.needsToken === 'true') return;
      } else {
        const problem = await response.json().catch(() => ({}));
        const reasons = (problem.errors || []).map((error) => error.message);
        show([problem.detail || response.status + ' ' + response.statusText, ...reasons].join(' '), 'error');
      }
    } catch (error) {
      show('The API could not be reached: ' + error.message, 'error');
    }
    button.disabled = false;
  });
})();
`;
