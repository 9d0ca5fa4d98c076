// The todo example: a page on @backlot/client, loaded as ES modules with no build step.
// Record values are typed by users, so they reach the page only as text (textContent,
// attribute values): never as HTML. The server's CSP would stop an injected script anyway;
// this keeps the markup from being injected at all.
import { createClient, filter, LocalStorageStore, ProblemError } from '/client/index.js';
import { API_URL } from '/config.js';

// LocalStorageStore: a reload keeps the session, and this origin's tabs share it (the client
// makes them refresh it one at a time, so two tabs never spend the same refresh token).
const client = createClient({ url: API_URL, store: new LocalStorageStore() });
const todos = client.collection('todos');

const $ = (id) => document.getElementById(id);
let signedIn = false;
let subscription = null;
/** What the list shows, by id; realtime events and write answers are merged into it. */
let shown = new Map();
/** A sign-in waiting for a code: `{ mfa: challengeToken }` or `{ email }`. */
let pendingCode = null;
/** Counts list loads, so an older answer arriving late cannot replace a newer one. */
let loads = 0;
/** Ids deleted while the page is open: a late "created" or "updated" event must not bring one back. */
const removed = new Set();

function el(tag, properties = {}, ...children) {
  const node = Object.assign(document.createElement(tag), properties);
  node.append(...children);
  return node;
}

// ---- Messages -------------------------------------------------------------------------------

function showError(error) {
  const box = $('error');
  if (error instanceof ProblemError) {
    // detail says what went wrong; errors[] says which field, in words meant for the user.
    const fields = error.errors.map((problem) => el('li', { textContent: problem.message }));
    box.replaceChildren(el('strong', { textContent: error.detail }), ...(fields.length ? [el('ul', {}, ...fields)] : []));
  } else if (error instanceof TypeError) {
    box.replaceChildren(`Backlot could not be reached at ${API_URL} (is it running, and does CORS_ORIGINS list this page?).`);
  } else {
    box.replaceChildren(error.message);
  }
  box.hidden = false;
}

function showNotice(text) {
  $('notice').textContent = text;
  $('notice').hidden = false;
}

function clearMessages() {
  $('error').hidden = true;
  $('notice').hidden = true;
}

/** Runs what a click or a form asked for, showing its failure instead of losing it in the console. */
async function act(work) {
  clearMessages();
  try {
    await work();
  } catch (error) {
    showError(error);
    render(); // a checkbox the failed write left ticked shows the record as it is again
    // 412: someone changed the record since this page read it (If-Match). Show what is there now.
    if (error instanceof ProblemError && error.status === 412) await load().catch(() => undefined);
  }
}

// ---- Signing in and out ---------------------------------------------------------------------

$('sign-in').addEventListener('submit', (event) => {
  event.preventDefault();
  const { email, password } = Object.fromEntries(new FormData(event.target));
  const action = event.submitter?.value ?? 'login';
  void act(async () => {
    if (action === 'register') {
      await client.auth.register(email, password);
      showNotice('Check your inbox: confirm your address with the link we sent, then sign in.');
    } else if (action === 'email-code') {
      await client.auth.requestEmailCode(email);
      askForCode({ email }, 'The 6-digit code we emailed you');
    } else {
      askIfNeeded(await client.auth.login(email, password));
    }
  });
});

/** A sign-in answers "signed in" (onChange shows the list) or asks for an MFA code. */
function askIfNeeded(outcome) {
  if (!outcome.signedIn) askForCode({ mfa: outcome.challengeToken }, 'The code from your authenticator app');
}

function askForCode(pending, label) {
  pendingCode = pending;
  $('code-label').textContent = label;
  $('code').reset();
  $('sign-in').hidden = true;
  $('code').hidden = false;
  $('code').elements.code.focus();
}

$('code').addEventListener('submit', (event) => {
  event.preventDefault();
  const code = event.target.elements.code.value.trim();
  void act(async () => {
    if (pendingCode.mfa) await client.auth.verifyMfa(pendingCode.mfa, code);
    else askIfNeeded(await client.auth.signInWithEmailCode(pendingCode.email, code));
  });
});

$('code-back').addEventListener('click', showSignedOut);

$('sign-out').addEventListener('click', () =>
  act(() => {
    // Closed first: the server ends this session's streams when it ends the session.
    subscription?.close();
    return client.auth.logout();
  }),
);

function showSignedOut() {
  pendingCode = null;
  $('sign-in').hidden = false;
  $('code').hidden = true;
  $('signed-out').hidden = false;
  $('signed-in').hidden = true;
  $('account').hidden = true;
}

/** Signed in (here or in another tab): show the account and the list, and follow changes. */
async function enter() {
  signedIn = true;
  clearMessages();
  $('sign-in').reset(); // the password has done its work: it does not stay in the page
  $('signed-out').hidden = true;
  $('signed-in').hidden = false;
  // Subscribed before the first load, so a change made in between is not missed (merging is idempotent).
  subscription = client.realtime.subscribe('todos', (event) => merge(event.record, event.action === 'deleted'), {
    onResync: () => void act(load),
    onError: (error) => {
      $('live').hidden = true;
      showError(error);
    },
  });
  subscription.ready.then(() => ($('live').hidden = false)).catch(() => undefined);
  await act(async () => {
    const [me] = await Promise.all([client.me(), load()]);
    $('who').textContent = me.email;
    $('account').hidden = false;
  });
}

/** Signed out, or the session ended (revoked, expired, signed out in another tab). */
function leave() {
  signedIn = false;
  subscription?.close();
  subscription = null;
  $('live').hidden = true;
  shown = new Map();
  render();
  clearMessages();
  showSignedOut();
}

/** Switches the view when the session starts or ends (a refresh, which also changes it, does not). */
function follow(state) {
  if (Boolean(state) !== signedIn) void (state ? enter() : leave());
}
client.auth.onChange(follow);
// The store is shared by the tabs, but only the tab that changed it hears of it through onChange.
window.addEventListener('storage', (event) => {
  if (event.key === 'backlot.auth') void client.auth.session().then(follow);
});

// ---- The list -------------------------------------------------------------------------------

async function load() {
  const ticket = ++loads;
  // filter`…` binds the value as a literal of the filter language; here it is a constant,
  // but the same tag makes a user's search text safe to put in a filter.
  const openOnly = $('open-only').checked ? filter`done = ${false}` : undefined;
  const items = [];
  for await (const todo of todos.iterate({ filter: openOnly, sort: '-created', limit: 100 })) items.push(todo);
  if (ticket !== loads) return;
  shown = new Map(items.map((todo) => [todo.id, todo]));
  render();
}

/** A record from an event or a write's answer; an older version than the one shown is ignored. */
function merge(record, deleted = false) {
  const known = shown.get(record.id);
  if ((known && known.version > record.version) || removed.has(record.id)) return;
  if (deleted) removed.add(record.id);
  // With "open only" on, a todo that is done leaves the list as it would on a reload.
  if (deleted || ($('open-only').checked && record.done)) shown.delete(record.id);
  else shown.set(record.id, record);
  render();
}

function render() {
  const items = [...shown.values()].sort((a, b) => b.created.localeCompare(a.created) || b.id.localeCompare(a.id));
  $('todos').replaceChildren(...items.map(row));
  $('empty').hidden = items.length > 0;
  const open = items.filter((todo) => !todo.done).length;
  $('count').textContent = $('open-only').checked ? `${open} open` : `${open} open · ${items.length - open} done`;
}

function row(todo) {
  const box = el('input', { type: 'checkbox', checked: Boolean(todo.done) });
  // update(record, …) sends If-Match with the record's version: a stale page gets a 412, not a silent overwrite.
  box.addEventListener('change', () => act(async () => merge(await todos.update(todo, { done: box.checked }))));
  const remove = el('button', { type: 'button', className: 'remove', textContent: '×', title: 'Delete' });
  remove.setAttribute('aria-label', `Delete “${todo.title}”`);
  remove.addEventListener('click', () =>
    act(async () => {
      await todos.delete(todo);
      merge(todo, true);
    }),
  );
  const label = el('label', {}, box, el('span', { className: 'title', textContent: todo.title }));
  return el('li', { className: todo.done ? 'todo done' : 'todo' }, label, remove);
}

$('add').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = event.target.elements.title;
  void act(async () => {
    merge(await todos.create({ title: input.value.trim(), done: false }));
    input.value = '';
  });
});

$('open-only').addEventListener('change', () => act(load));

// A session kept from an earlier visit (it is refreshed on the first call if it is due).
if (await client.auth.session()) await enter();
else showSignedOut();
