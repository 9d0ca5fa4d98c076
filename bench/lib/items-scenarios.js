'use strict';
/**
 * The issue-19 workload as bench scenarios (described in bench/scenarios.js): each operation
 * against the hand-written server, Backlot as admin and Backlot as the rule-bound user.
 * Also the soak's mixed request list.
 */
const { COLLECTION } = require('./items-dataset');

const RECORDS = `/api/v1/collections/${COLLECTION}/records`;
const BACKLOT_LIST = `${RECORDS}?${new URLSearchParams({ filter: "status = 'open'", sort: '-created', limit: '20' })}`;
const HANDWRITTEN_LIST = '/items?status=open&limit=20';
// `pending`, so the rows the creates add never enter the `open` lists measured next.
const NEW_ITEM = JSON.stringify({ title: 'Bench item', status: 'pending', amount: 42.5, data: { n: 0, tags: ['bench'] } });
const TARGETS = ['handwritten', 'backlot-admin', 'backlot-user'];

const bearer = (token, headers = {}) => ({ ...headers, authorization: `Bearer ${token}` });
const json = { 'content-type': 'application/json' };

/** A random id of `ids` per request (autocannon rebuilds each request through setupRequest). */
function randomGet(prefix, ids) {
  return { method: 'GET', setupRequest: (request) => ({ ...request, path: `${prefix}/${ids[Math.floor(Math.random() * ids.length)]}` }) };
}

/** Per-target overrides: `build(token, ids, side)` where side is 'handwritten' or 'backlot'. */
function perTarget(build) {
  return ({ workload }) => ({
    handwritten: build(workload.tokens.handwritten, workload.ids.all, 'handwritten'),
    'backlot-admin': build(workload.tokens.admin, workload.ids.all, 'backlot'),
    'backlot-user': build(workload.tokens.user, workload.ids.visibleTo, 'backlot'),
  });
}

const workloadScenarios = [
  {
    name: 'w0-health',
    workload: true,
    targets: ['handwritten', 'backlot'],
    reference: 'handwritten',
    goal: 0.7,
    method: 'GET',
    setup: () => ({ handwritten: { path: '/health' }, backlot: { path: '/api/v1/health/live' } }),
  },
  {
    name: 'w1-get',
    workload: true,
    targets: TARGETS,
    reference: 'handwritten',
    goal: 0.75,
    method: 'GET',
    path: '/', // replaced per request by each target's request list
    // One request list per target: autocannon writes the merged headers back into it.
    setup: perTarget((token, ids, side) => ({
      headers: bearer(token),
      requests: [randomGet(side === 'handwritten' ? '/items' : RECORDS, ids)],
    })),
  },
  {
    name: 'w2-list',
    workload: true,
    targets: TARGETS,
    reference: 'handwritten',
    goal: 0.75,
    method: 'GET',
    setup: perTarget((token, ids, side) => ({ path: side === 'handwritten' ? HANDWRITTEN_LIST : BACKLOT_LIST, headers: bearer(token) })),
  },
  {
    // Last: it adds rows (tens of thousands per run).
    name: 'w3-create',
    workload: true,
    targets: TARGETS,
    reference: 'handwritten',
    goal: 0.6,
    method: 'POST',
    body: NEW_ITEM,
    setup: perTarget((token, ids, side) => ({ path: side === 'handwritten' ? '/items' : RECORDS, headers: bearer(token, json) })),
  },
];

/**
 * The soak's mix, per connection in this order: get, list, get, create (half reads by id, a
 * quarter lists, a quarter creates), as the rule-bound user.
 */
function soakRequests(workload) {
  const headers = bearer(workload.tokens.user);
  return [
    { ...randomGet(RECORDS, workload.ids.visibleTo), headers },
    { method: 'GET', path: BACKLOT_LIST, headers },
    { ...randomGet(RECORDS, workload.ids.visibleTo), headers },
    { method: 'POST', path: RECORDS, headers: { ...headers, ...json }, body: NEW_ITEM },
  ];
}

/**
 * The plans Backlot's database makes for the w2 list, as the admin and as the user (EXPLAIN
 * ANALYZE through the admins' explain view, docs/indexes.md), so a report shows which index
 * served the list. → { admin: string[], user: string[] }
 */
async function listPlans(baseUrl, workload) {
  const query = new URL(BACKLOT_LIST, baseUrl).searchParams;
  const plan = async (as) => {
    const params = new URLSearchParams({
      filter: query.get('filter'),
      sort: query.get('sort'),
      limit: query.get('limit'),
      analyze: 'true',
    });
    if (as) params.set('as', as);
    const response = await fetch(`${baseUrl}/api/v1/collections/${COLLECTION}/explain?${params}`, {
      headers: { authorization: `Bearer ${workload.tokens.admin}` },
    });
    if (!response.ok) throw new Error(`explain failed: ${response.status} ${await response.text()}`);
    return (await response.json()).plan;
  };
  return { admin: await plan(), user: await plan(workload.userId) };
}

module.exports = { workloadScenarios, soakRequests, listPlans };
