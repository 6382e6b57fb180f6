// The compliance page: signs in with a bearer token, pages through GET /v1/audit, opens streams,
// and verifies the log (verify.js). Every value from the broker goes into the DOM as text
// (textContent, createElement), never as HTML: records carry user-controlled strings.

import { verifyLog, hex, VerificationError } from './verify.js';

const TOKEN_KEY = 'sluice.audit.token';
const NUMBER = new Intl.NumberFormat('en-US');

const $ = (id) => document.getElementById(id);

/** An error answer from the broker: {code, error, message, requestId}. */
class ApiError extends Error {
  constructor(status, body, path) {
    const message = body && typeof body.message === 'string' ? body.message : 'HTTP ' + status + ' from ' + path;
    super(message);
    this.status = status;
    this.code = body && body.error;
    this.requestId = body && body.requestId;
  }

  /** The sentence shown to the user: the broker's message, its error name and the request id to quote. */
  describe() {
    const extra = [this.code, this.requestId ? 'request ' + this.requestId : null].filter(Boolean).join(', ');
    return this.message + (extra ? ' (' + extra + ')' : '');
  }
}

// ---- state ----

const state = {
  token: null,
  query: {},          // the applied filters
  cursors: [],        // the "after" of each page shown so far; the last is the current page's
  next: null,         // the cursor of the page after this one, or null
  records: [],        // the current page
  verifyRun: 0,       // bumps to stop a running verification
};

// ---- HTTP ----

async function request(path, accept) {
  const headers = { Accept: accept };
  if (state.token) headers.Authorization = 'Bearer ' + state.token;
  let response;
  try {
    response = await fetch(path, { headers, cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer' });
  } catch (e) {
    throw new Error('cannot reach the broker (' + e.message + ')');
  }
  if (!response.ok) {
    let body = null;
    try {
      body = await response.json();
    } catch {
      // not JSON: the status line says enough
    }
    const error = new ApiError(response.status, body, path);
    if (response.status === 401 && state.token) {
      signOut('The broker refused the token: ' + error.describe() + '. Sign in again.');
    }
    throw error;
  }
  return response;
}

const api = async (path) => (await request(path, 'application/json')).json();
const apiText = async (path) => (await request(path, 'text/plain')).text();

function describe(e) {
  return e instanceof ApiError ? e.describe() : e.message || String(e);
}

// ---- DOM helpers: text only ----

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'className') node.className = value;
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function show(node, message) {
  node.textContent = message || '';
  node.hidden = !message;
}

function fact(list, label, value, field) {
  if (value === undefined || value === null || value === '') return;
  list.append(el('dt', {}, label), el('dd', { dataset: field ? { field } : undefined }, value));
}

function count(n) {
  return typeof n === 'number' ? NUMBER.format(n) : '';
}

function byteSize(n) {
  if (typeof n !== 'number') return '';
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = -1;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit < 0 ? NUMBER.format(n) + ' B' : value.toFixed(1) + ' ' + units[unit];
}

/** An RFC 3339 UTC time shown to the second; the full value is the element's datetime and tooltip. */
function time(iso) {
  if (typeof iso !== 'string') return '';
  const shown = iso.replace('T', ' ').replace('Z', '').replace(/\.\d+$/, '');
  return el('time', { datetime: iso, title: iso }, shown);
}

function text(value) {
  if (value === undefined || value === null) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

// ---- identity ----

/** What the token says about its holder, for display only: the broker decides what it may see. */
function claims(token) {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const json = JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(payload), (c) => c.charCodeAt(0))));
    const roles = (json.realm_access && json.realm_access.roles) || json.roles || [];
    return { subject: json.sub, organisation: json.organisation, roles, expires: json.exp };
  } catch {
    return null;
  }
}

function signIn(token) {
  state.token = token.trim();
  sessionStorage.setItem(TOKEN_KEY, state.token);
  const who = claims(state.token);
  $('identity-text').textContent = who
    ? 'Signed in as ' + (who.subject || '?') + ' · ' + (who.organisation || '?') + ' · ' + (who.roles.join(', ') || 'no roles')
      + (who.expires ? ' · token expires ' + new Date(who.expires * 1000).toISOString().slice(11, 16) + ' UTC' : '')
    : 'Signed in';
  $('identity').hidden = false;
  $('sign-in').hidden = true;
  $('workspace').hidden = false;
  show($('sign-in-error'), '');
  $('token').value = '';
  state.cursors = [-1];
  $('verify-status').className = 'status pending';
  $('verify-status').textContent = 'Not checked yet.';
  // Verify once the first page shows the token works: a refused token costs one request, not three.
  loadPage().then((loaded) => {
    if (loaded) verify();
  });
}

function signOut(message) {
  state.token = null;
  state.verifyRun++;
  sessionStorage.removeItem(TOKEN_KEY);
  $('identity').hidden = true;
  $('workspace').hidden = true;
  $('sign-in').hidden = false;
  $('records-body').replaceChildren();
  $('verify-details').replaceChildren();
  $('verify-problems').replaceChildren();
  if ($('details').open) $('details').close();
  show($('sign-in-error'), message || '');
  $('token').focus();
}

/** Offers the dev sign-in only where the broker runs the development issuer. */
async function probeDevIssuer() {
  try {
    const response = await fetch('/v1/dev/jwks', { cache: 'no-store', credentials: 'omit' });
    $('dev-sign-in').hidden = !response.ok;
  } catch {
    $('dev-sign-in').hidden = true;
  }
}

async function devSignIn(subject, organisation) {
  try {
    const response = await fetch('/v1/dev/token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      credentials: 'omit',
      body: JSON.stringify({ subject, organisation, roles: ['compliance-officer'] }),
    });
    const body = await response.json().catch(() => null);
    if (!response.ok || !body || typeof body.token !== 'string') {
      throw new ApiError(response.status, body, '/v1/dev/token');
    }
    signIn(body.token);
  } catch (e) {
    show($('sign-in-error'), 'Development sign-in failed: ' + describe(e));
  }
}

// ---- records ----

function readFilters() {
  const form = $('filters');
  const query = {};
  for (const name of ['dataset', 'organisation', 'subject', 'action', 'purpose']) {
    const value = form.elements[name].value.trim();
    if (value) query[name] = value;
  }
  for (const name of ['from', 'to']) {
    const value = form.elements[name].value;
    if (value) {
      const instant = new Date(value);
      if (Number.isNaN(instant.getTime())) throw new Error('"' + name + '" is not a valid time');
      query[name] = instant.toISOString();
    }
  }
  query.limit = form.elements.limit.value;
  return query;
}

/** Loads the page whose cursor is on top of the stack; resolves to whether it loaded. */
async function loadPage() {
  const after = state.cursors[state.cursors.length - 1];
  const params = new URLSearchParams(state.query);
  if (after >= 0) params.set('after', String(after));
  show($('records-error'), '');
  $('records-status').textContent = 'Loading…';
  $('prev-page').disabled = true;
  $('next-page').disabled = true;
  try {
    const page = await api('/v1/audit?' + params);
    state.records = page.records || [];
    state.next = typeof page.next === 'number' ? page.next : null;
    renderRecords();
    return true;
  } catch (e) {
    $('records-status').textContent = '';
    show($('records-error'), 'Could not load records: ' + describe(e));
    $('prev-page').disabled = state.cursors.length <= 1;
    return false;
  }
}

function renderRecords() {
  const body = $('records-body');
  body.replaceChildren(...state.records.map(recordRow));
  const pageNumber = state.cursors.length;
  if (state.records.length === 0) {
    body.append(el('tr', {}, el('td', { colspan: 11, className: 'empty' },
      pageNumber === 1 ? 'No records match these filters.' : 'No more records.')));
  }
  const first = state.records[0];
  const last = state.records[state.records.length - 1];
  $('records-status').textContent = state.records.length === 0 ? ''
    : 'Showing ' + state.records.length + ' record' + (state.records.length === 1 ? '' : 's')
      + ' (#' + first.index + ' to #' + last.index + ')';
  $('page-label').textContent = 'Page ' + pageNumber;
  $('prev-page').disabled = pageNumber <= 1;
  $('next-page').disabled = state.next === null;
}

function outcomeCell(record) {
  const cell = el('td', { className: 'outcome' });
  if (record.outcome) cell.append(el('span', { className: 'badge ' + badgeClass(record.outcome) }, record.outcome));
  const reasons = Array.isArray(record.reasons) ? record.reasons : [];
  for (const reason of reasons) {
    const code = typeof reason === 'object' && reason ? reason.code : reason;
    const message = typeof reason === 'object' && reason ? reason.message : undefined;
    cell.append(el('span', { className: 'reason', title: message }, text(code)));
  }
  if (record.message && !reasons.length) cell.append(el('span', { className: 'reason' }, text(record.message)));
  return cell;
}

function badgeClass(outcome) {
  if (/^(denied|rejected|failed|aborted|refused)/.test(outcome)) return 'bad';
  if (/^(issued|registered|closed|opened|ok|completed)/.test(outcome)) return 'good';
  return '';
}

function recordRow(record) {
  const actor = record.actor || {};
  const indexButton = el('button', { type: 'button', className: 'link', 'aria-label': 'Record ' + record.index + ' details' },
    text(record.index));
  indexButton.addEventListener('click', () => openRecord(record));
  let streamCell = el('td', {});
  if (typeof record.stream === 'string') {
    const button = el('button', { type: 'button', className: 'link stream-link', title: 'Stream ' + record.stream,
      dataset: { stream: record.stream } }, record.stream);
    button.addEventListener('click', () => openStream(record));
    streamCell = el('td', { className: 'id' }, button);
  }
  return el('tr', { dataset: { index: String(record.index), action: text(record.action) } },
    el('td', { className: 'num' }, indexButton),
    el('td', { className: 'nowrap' }, time(record.time)),
    el('td', { className: 'nowrap' }, text(record.action)),
    el('td', { className: 'text' }, text(actor.subject)),
    el('td', { className: 'text' }, text(actor.organisation)),
    el('td', { className: 'id', title: record.dataset ? text(record.dataset) : undefined }, text(record.dataset)),
    el('td', { className: 'text' }, text(record.purpose)),
    outcomeCell(record),
    el('td', { className: 'num nowrap' }, count(record.rows)),
    el('td', { className: 'num nowrap', title: typeof record.bytes === 'number' ? byteSize(record.bytes) : undefined },
      count(record.bytes)),
    streamCell);
}

// ---- details dialog ----

function openDialog(title, record) {
  $('details-title').textContent = title;
  $('details-facts').replaceChildren();
  show($('details-error'), '');
  $('details-note').textContent = '';
  $('details-raw').textContent = JSON.stringify(record, null, 2);
  $('details-raw-wrap').open = false;
  if (!$('details').open) $('details').showModal();
}

function openRecord(record) {
  openDialog('Record ' + record.index, record);
  const facts = $('details-facts');
  const actor = record.actor || {};
  fact(facts, 'Time', record.time);
  fact(facts, 'Action', record.action);
  fact(facts, 'Actor', [actor.subject, actor.organisation].filter(Boolean).join(' · '));
  fact(facts, 'Roles', Array.isArray(actor.roles) ? actor.roles.join(', ') : undefined);
  fact(facts, 'Dataset', record.dataset && text(record.dataset) + (record.datasetVersion ? ' (version ' + record.datasetVersion + ')' : ''));
  fact(facts, 'Policy version', text(record.policyVersion));
  fact(facts, 'Purpose', record.purpose);
  fact(facts, 'Grant', record.grant);
  fact(facts, 'Stream', record.stream);
  fact(facts, 'Outcome', record.outcome);
  if (Array.isArray(record.reasons)) {
    fact(facts, 'Reasons', record.reasons.map((r) => (r && r.code ? r.code + ': ' + r.message : text(r))).join('; '));
  }
  fact(facts, 'Message', record.message);
  fact(facts, 'Node', record.node && text(record.node));
  fact(facts, 'Remote', record.remote);
  fact(facts, 'Request id', record.requestId);
  fact(facts, 'Leaf hash', record.leafHash);
  fact(facts, 'Previous leaf', record.prev);
}

async function openStream(record) {
  openDialog('Stream ' + record.stream, record);
  $('details-note').textContent = 'Loading the stream from the broker…';
  let stream;
  try {
    stream = await api('/v1/streams/' + encodeURIComponent(record.stream));
  } catch (e) {
    $('details-note').textContent = '';
    show($('details-error'), 'Could not load stream ' + record.stream + ': ' + describe(e));
    return;
  }
  $('details-note').textContent = 'As the broker reports it now; purpose, dataset and node from audit record #'
    + record.index + '.';
  const facts = $('details-facts');
  fact(facts, 'Status', stream.status, 'status');
  fact(facts, 'Rows', count(stream.rows), 'rows');
  fact(facts, 'Batches', count(stream.batches), 'batches');
  fact(facts, 'Bytes', typeof stream.bytes === 'number' ? count(stream.bytes) + ' (' + byteSize(stream.bytes) + ')' : undefined, 'bytes');
  fact(facts, 'SHA-256 of the bytes served', stream.sha256 || 'not yet (the stream has not finished)', 'sha256');
  fact(facts, 'Purpose', record.purpose, 'purpose');
  fact(facts, 'Dataset', record.dataset && text(record.dataset) + (record.datasetVersion ? ' (version ' + record.datasetVersion + ')' : ''), 'dataset');
  fact(facts, 'Grant', stream.grant || record.grant, 'grant');
  fact(facts, 'Shard', typeof stream.shard === 'number' ? (stream.shard + 1) + ' of ' + stream.shards + ' (shard ' + stream.shard + '), epoch ' + stream.epoch : undefined, 'shard');
  fact(facts, 'Node', record.node ? text(record.node) : 'not recorded', 'node');
  fact(facts, 'Reader', [record.actor && record.actor.subject, record.actor && record.actor.organisation].filter(Boolean).join(' · '), 'reader');
  fact(facts, 'Opened', stream.openedAt, 'opened');
  fact(facts, 'Closed', stream.closedAt, 'closed');
  // A stream.closed record states what was served: it must agree with the broker's stream row.
  if (typeof record.sha256 === 'string') {
    const agrees = record.sha256 === stream.sha256 && record.rows === stream.rows && record.bytes === stream.bytes;
    fact(facts, 'Audit record #' + record.index, agrees
      ? 'agrees: same rows, bytes and SHA-256'
      : 'DISAGREES with the stream: the record says ' + count(record.rows) + ' rows, ' + count(record.bytes) + ' bytes, SHA-256 '
        + record.sha256, 'agreement');
  }
}

// ---- verification ----

async function verify() {
  const run = ++state.verifyRun;
  const status = $('verify-status');
  const details = $('verify-details');
  const problems = $('verify-problems');
  status.className = 'status pending';
  status.textContent = 'Verifying…';
  details.replaceChildren();
  problems.replaceChildren();
  $('verify-again').disabled = true;
  try {
    const report = await verifyLog({
      api,
      text: apiText,
      cancelled: () => run !== state.verifyRun,
      progress: (done, total) => {
        if (run === state.verifyRun) status.textContent = 'Verifying… ' + count(done) + ' of ' + count(total) + ' records hashed';
      },
    });
    if (run !== state.verifyRun) return;
    const root = hex(report.checkpoint.root);
    const signer = report.key.name + ' (key ' + hex(report.key.keyId) + ')';
    if (report.ok) {
      status.className = 'status ok';
      status.textContent = 'Verified: ' + count(report.size) + ' records, root ' + root + ', signed by ' + signer + '.';
    } else if (report.problems.length === 0) {
      status.className = 'status partial';
      status.textContent = 'Root matches for ' + count(report.size) + ' records (root ' + root + '), but the signature was NOT checked: '
        + report.signature.reason + '.';
    } else {
      status.className = 'status failed';
      status.textContent = 'Verification FAILED: ' + report.problems[0];
    }
    fact(details, 'Origin', report.checkpoint.origin);
    fact(details, 'Signed tree size', count(report.size));
    fact(details, 'Signed root', root);
    fact(details, 'Recomputed root', report.computedRoot ? hex(report.computedRoot) : 'not computed (the chain broke first)');
    fact(details, 'Signature', report.signature.checked ? 'valid Ed25519 signature by ' + signer
      : report.signature.failed ? 'invalid' : 'not checked: ' + report.signature.reason);
    fact(details, 'Public key', report.key.text);
    for (const problem of report.problems.slice(1)) problems.append(el('li', {}, problem));
    $('verify-more').open = !report.ok;
  } catch (e) {
    if (run !== state.verifyRun) return;
    status.className = 'status failed';
    if (e instanceof ApiError && e.status === 403) {
      status.textContent = 'Cannot verify: reading every record needs the compliance-officer role (' + e.describe() + ').';
    } else {
      status.textContent = 'Verification FAILED: ' + (e instanceof VerificationError ? e.message : 'could not fetch the log: ' + describe(e));
    }
  } finally {
    if (run === state.verifyRun) $('verify-again').disabled = false;
  }
}

// ---- wiring ----

function wire() {
  $('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const token = $('token').value.trim().replace(/^Bearer\s+/i, '');
    if (!token) {
      show($('sign-in-error'), 'Paste a token first.');
      return;
    }
    signIn(token);
  });
  $('dev-form').addEventListener('submit', (event) => {
    event.preventDefault();
    devSignIn($('dev-subject').value.trim(), $('dev-organisation').value.trim());
  });
  $('sign-out').addEventListener('click', () => signOut('Signed out.'));
  $('filters').addEventListener('submit', (event) => {
    event.preventDefault();
    try {
      state.query = readFilters();
    } catch (e) {
      show($('records-error'), e.message);
      return;
    }
    state.cursors = [-1];
    loadPage();
  });
  $('clear-filters').addEventListener('click', () => {
    $('filters').reset();
    state.query = readFilters();
    state.cursors = [-1];
    loadPage();
  });
  $('next-page').addEventListener('click', () => {
    if (state.next === null) return;
    state.cursors.push(state.next);
    loadPage();
  });
  $('prev-page').addEventListener('click', () => {
    if (state.cursors.length <= 1) return;
    state.cursors.pop();
    loadPage();
  });
  $('verify-again').addEventListener('click', verify);
  $('details-close').addEventListener('click', () => $('details').close());
  $('details').addEventListener('click', (event) => {
    if (event.target === $('details')) $('details').close(); // a click on the backdrop
  });
}

wire();
state.query = readFilters();
probeDevIssuer();
const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) signIn(saved);
else signOut();
