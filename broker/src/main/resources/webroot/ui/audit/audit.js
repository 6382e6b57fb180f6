// The compliance page: signs in through the broker's OIDC issuer (oidc.js; with the development
// issuer, a pasted or minted token), pages through GET /v1/audit with dataset names beside ids,
// opens streams, a per-dataset view and a summary (chart.js), downloads a verifiable export, and
// verifies the log (verify.js): the whole log for a compliance officer, each record's inclusion in
// the signed checkpoint for a data owner. Every value from the broker goes into the DOM as text
// (textContent, createElement), never as HTML: records carry user-controlled strings.
//
// The token lives in `state` only, never in web storage: a reload signs in again.

import { verifyLog, verifyRecords, hex, VerificationError } from './verify.js';
import { OidcClient, SignInError, jwtClaims } from './oidc.js';
import { stackedBars, swatch } from './chart.js';

const PAGE_PATH = '/ui/audit/';
/** How many records the per-dataset view and the summary read at most (10 pages of 1000). */
const SCAN_PAGES = 10;
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
  config: null,       // GET /ui/audit/config.json: {signIn: oidc|development|token, issuer?, clientId?}
  oidc: null,         // the OidcClient when the broker trusts an issuer
  token: null,        // the access token, in memory only
  who: null,          // what the token says about its holder, for display and the page's mode
  query: {},          // the applied filters
  cursors: [],        // the "after" of each page shown so far; the last is the current page's
  next: null,         // the cursor of the page after this one, or null
  records: [],        // the current page
  labels: new Map(),  // dataset id -> {name, organisation}, from the pages read so far
  proofs: new Map(),  // record index -> {ok, reason} (data owners)
  exportUrls: [],     // blob: URLs of the prepared export, revoked on sign-out
  verifyRun: 0,       // bumps to stop a running verification
  viewRun: 0,         // bumps to drop answers for a view the user left (or a user who signed out)
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
      signOut('The broker refused the token: ' + error.describe() + '. Sign in again.', { endSession: false });
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

/** What a token says about its holder, for display only: the broker decides what it may see. */
function claims(token, idClaims) {
  const json = jwtClaims(token);
  if (!json) return null;
  const roles = (json.realm_access && json.realm_access.roles) || json.roles || [];
  const name = (idClaims && idClaims.preferred_username) || json.preferred_username || json.sub;
  return { subject: json.sub, name, organisation: json.organisation, roles, expires: json.exp };
}

/** A data owner who is not also a compliance officer checks records one by one, not the whole log. */
function ownerMode() {
  return Boolean(state.who && !state.who.roles.includes('compliance-officer'));
}

function showIdentity() {
  const who = state.who;
  $('identity-text').textContent = who
    ? 'Signed in as ' + (who.name || '?') + ' · ' + (who.organisation || '?') + ' · ' + (who.roles.filter((r) =>
      ['compliance-officer', 'data-owner', 'data-consumer', 'admin'].includes(r)).join(', ') || 'no roles')
      + (who.expires ? ' · token expires ' + new Date(who.expires * 1000).toISOString().slice(11, 16) + ' UTC' : '')
    : 'Signed in';
}

/** Starts a session with an access token (from the issuer, the form or the development issuer). */
function signIn(token) {
  state.token = token.trim();
  state.who = claims(state.token, state.oidc && state.oidc.idClaims);
  showIdentity();
  $('identity').hidden = false;
  $('sign-in').hidden = true;
  $('workspace').hidden = false;
  show($('sign-in-error'), '');
  $('token').value = '';
  const owner = ownerMode();
  $('records-table').classList.toggle('owner-mode', owner);
  $('export').hidden = owner;
  $('verification-title').textContent = owner ? 'Your records against the signed checkpoint' : 'Log verification';
  $('verify-hint').textContent = owner
    ? 'Checked in this browser for each record shown: its content hashes to its leaf, and the broker\'s RFC 9162 inclusion '
      + 'proof leads from that leaf to the root of the checkpoint signed with the broker\'s Ed25519 key.'
    : 'Checked in this browser: the checkpoint\'s Ed25519 signature against the broker\'s public key, and the RFC 9162 '
      + 'Merkle root recomputed from every record\'s exact bytes. For an independent check keep the public key and run '
      + 'sluice audit verify.';
  state.query = readFilters();
  state.cursors = [-1];
  setStatus('pending', 'Not checked yet.');
  showView('records');
  // Verify once the first page shows the token works: a refused token costs one request, not three.
  loadPage().then((loaded) => {
    if (loaded && !ownerMode()) verify();
  });
}

/** Renewed tokens replace the old one without disturbing the page. */
function tokensRenewed(tokens) {
  if (state.token === null) {
    signIn(tokens.accessToken);
    return;
  }
  state.token = tokens.accessToken;
  state.who = claims(state.token, state.oidc && state.oidc.idClaims);
  showIdentity();
}

/**
 * Ends the session: forgets the token and everything this user saw or chose (records, names,
 * filters, the open dataset, the summary, the export), so that nothing carries over to whoever
 * signs in next; with an issuer, also ends the issuer's session (its end-session endpoint), so that
 * the next sign-in asks for credentials again.
 */
async function signOut(message, { endSession = true } = {}) {
  state.token = null;
  state.who = null;
  state.verifyRun++;
  state.viewRun++;
  state.query = {};
  state.cursors = [];
  state.next = null;
  state.records = [];
  state.labels = new Map();
  state.proofs = new Map();
  state.exportUrls.forEach((url) => URL.revokeObjectURL(url));
  state.exportUrls = [];
  $('filters').reset();
  for (const id of ['records-body', 'verify-details', 'verify-problems', 'dataset-facts', 'dataset-uses-body',
    'summary-body', 'summary-legend', 'chart-streams', 'chart-bytes', 'export-links']) {
    $(id).replaceChildren();
  }
  for (const id of ['records-status', 'page-label', 'dataset-status', 'dataset-denials', 'summary-status', 'export-status']) {
    $(id).textContent = '';
  }
  for (const id of ['records-error', 'dataset-error', 'summary-error']) show($(id), '');
  $('dataset-view').dataset.dataset = '';
  $('tab-dataset').hidden = true;
  showView('records');
  if ($('details').open) $('details').close();
  $('identity').hidden = true;
  $('identity-text').textContent = '';
  $('workspace').hidden = true;
  $('sign-in').hidden = false;
  show($('sign-in-error'), message || '');
  if (state.oidc) {
    const endSessionUrl = await state.oidc.signOut(new URL(PAGE_PATH, window.location.origin).toString());
    if (endSession && endSessionUrl) {
      window.location.assign(endSessionUrl);
      return;
    }
    $('oidc-button').focus();
  } else {
    $('token').focus();
  }
}

/** How this broker lets people sign in: its issuer and client, or the development issuer's forms. */
async function loadConfig() {
  try {
    const response = await fetch(PAGE_PATH + 'config.json', { cache: 'no-store', credentials: 'omit' });
    if (!response.ok) throw new Error('HTTP ' + response.status);
    return await response.json();
  } catch (e) {
    show($('config-error'), 'Could not ask the broker how to sign in (' + e.message + ').');
    return { signIn: 'token' };
  }
}

async function devSignIn(subject, organisation, role) {
  try {
    const response = await fetch('/v1/dev/token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      credentials: 'omit',
      body: JSON.stringify({ subject, organisation, roles: [role] }),
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

// ---- views ----

function showView(name) {
  $('records').hidden = name !== 'records';
  $('verification').hidden = name !== 'records';
  $('dataset-view').hidden = name !== 'dataset';
  $('summary').hidden = name !== 'summary';
  for (const [tab, view] of [['tab-records', 'records'], ['tab-summary', 'summary'], ['tab-dataset', 'dataset']]) {
    $(tab).setAttribute('aria-pressed', String(name === view));
  }
}

function label(id) {
  return typeof id === 'string' ? state.labels.get(id) : undefined;
}

function rememberLabels(page) {
  const names = page && page.datasets && typeof page.datasets === 'object' ? page.datasets : {};
  for (const [id, value] of Object.entries(names)) {
    if (value && typeof value.name === 'string') state.labels.set(id, { name: value.name, organisation: text(value.organisation) });
  }
}

function datasetText(id) {
  const known = label(id);
  return known ? known.name + ' (' + known.organisation + ')' : text(id);
}

// ---- records ----

/**
 * The dataset filter takes a name (or organisation/name) as well as an id: the API filters by id,
 * so a name is looked up in the catalog first, and a name nobody has is said, not searched for.
 */
async function resolveDataset(value) {
  if (/^ds-/.test(value) || state.labels.has(value)) return value;
  for (const [id, known] of state.labels) {
    if (known.name === value || known.organisation + '/' + known.name === value) return id;
  }
  const slash = value.indexOf('/');
  const [organisation, name] = slash > 0 ? [value.slice(0, slash), value.slice(slash + 1)] : [null, value];
  const page = await api('/v1/catalog?limit=1000&q=' + encodeURIComponent(name));
  const matches = (page.datasets || []).filter((d) => d.name === name && (!organisation || d.organisation === organisation));
  if (matches.length === 1) {
    state.labels.set(matches[0].id, { name: matches[0].name, organisation: matches[0].organisation });
    return matches[0].id;
  }
  if (matches.length > 1) {
    throw new Error('several datasets are named "' + name + '" (' + matches.map((d) => d.organisation).join(', ')
      + '): write organisation/' + name);
  }
  throw new Error('no dataset in the catalog is named "' + value + '" (a withdrawn dataset is not in the catalog: '
    + 'search for its name instead, or give its id)');
}

function readFilters() {
  const form = $('filters');
  const query = {};
  for (const name of ['q', 'dataset', 'organisation', 'subject', 'action', 'purpose']) {
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
  query.order = form.elements.order.value;
  query.limit = form.elements.limit.value;
  return query;
}

async function applyFilters() {
  let query;
  try {
    query = readFilters();
    if (query.dataset) query.dataset = await resolveDataset(query.dataset);
  } catch (e) {
    show($('records-error'), describe(e));
    return;
  }
  state.query = query;
  state.cursors = [-1];
  loadPage();
}

/** Loads the page whose cursor is on top of the stack; resolves to whether it loaded. */
async function loadPage() {
  const run = state.viewRun;
  const after = state.cursors[state.cursors.length - 1];
  const params = new URLSearchParams(state.query);
  if (after >= 0) params.set('after', String(after));
  show($('records-error'), '');
  $('records-status').textContent = 'Loading…';
  $('prev-page').disabled = true;
  $('next-page').disabled = true;
  try {
    const page = await api('/v1/audit?' + params);
    if (run !== state.viewRun) return false;
    rememberLabels(page);
    state.records = page.records || [];
    state.next = typeof page.next === 'number' ? page.next : null;
    state.proofs = new Map();
    renderRecords();
    if (ownerMode()) verifyShownRecords();
    return true;
  } catch (e) {
    if (run !== state.viewRun) return false;
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
    body.append(el('tr', {}, el('td', { colspan: 12, className: 'empty' },
      pageNumber === 1 ? 'No records match these filters.' : 'No more records.')));
  }
  const first = state.records[0];
  const last = state.records[state.records.length - 1];
  const newest = state.query.order !== 'oldest';
  $('records-caption').textContent = 'Audit records, ' + (newest ? 'newest' : 'oldest') + ' first';
  $('records-status').textContent = state.records.length === 0 ? ''
    : 'Showing ' + state.records.length + ' record' + (state.records.length === 1 ? '' : 's')
      + ' (#' + first.index + ' to #' + last.index + ', ' + (newest ? 'newest' : 'oldest') + ' first)';
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
  if (/^(denied|rejected|failed|aborted|refused|not verified)/.test(outcome)) return 'bad';
  if (/^(issued|registered|closed|opened|ok|completed|verified)/.test(outcome)) return 'good';
  return '';
}

function datasetCell(record) {
  if (typeof record.dataset !== 'string') return el('td', { className: 'dataset' }, text(record.dataset));
  const known = label(record.dataset);
  const open = el('button', { type: 'button', className: 'link dataset-link', title: 'Who used ' + record.dataset
    + ', for what, how much', dataset: { dataset: record.dataset } }, known ? known.name : record.dataset);
  open.addEventListener('click', () => openDataset(record.dataset));
  return el('td', { className: 'dataset', title: record.dataset },
    open,
    known ? el('span', { className: 'sub-id' }, known.organisation + ' · ' + record.dataset) : null);
}

function proofCell(record) {
  const result = state.proofs.get(record.index);
  if (!result) return el('td', { className: 'proof', dataset: { proof: 'pending' } }, el('span', { className: 'muted' }, 'checking…'));
  return el('td', { className: 'proof', dataset: { proof: result.ok ? 'verified' : 'failed' }, title: result.reason },
    el('span', { className: 'badge ' + (result.ok ? 'good' : 'bad') }, result.ok ? 'verified' : 'not verified'),
    result.ok ? null : el('span', { className: 'reason' }, result.reason));
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
  return el('tr', { dataset: { index: String(record.index), action: text(record.action), dataset: text(record.dataset) } },
    el('td', { className: 'num' }, indexButton),
    el('td', { className: 'nowrap' }, time(record.time)),
    el('td', { className: 'nowrap' }, text(record.action)),
    el('td', { className: 'text' }, text(actor.subject)),
    el('td', { className: 'text' }, text(actor.organisation)),
    datasetCell(record),
    el('td', { className: 'text' }, text(record.purpose)),
    outcomeCell(record),
    el('td', { className: 'num nowrap' }, count(record.rows)),
    el('td', { className: 'num nowrap', title: typeof record.bytes === 'number' ? byteSize(record.bytes) : undefined },
      count(record.bytes)),
    streamCell,
    proofCell(record));
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
  fact(facts, 'Dataset', record.dataset && datasetText(record.dataset) + ' · ' + text(record.dataset)
    + (record.datasetVersion ? ' (version ' + record.datasetVersion + ')' : ''));
  fact(facts, 'Policy version', text(record.policyVersion));
  fact(facts, 'Purpose', record.purpose);
  fact(facts, 'Grant', record.grant);
  fact(facts, 'Stream', record.stream);
  fact(facts, 'Outcome', record.outcome);
  fact(facts, 'Rows', count(record.rows), 'rows');
  fact(facts, 'Bytes', typeof record.bytes === 'number' ? count(record.bytes) + ' (' + byteSize(record.bytes) + ')' : undefined, 'bytes');
  if (Array.isArray(record.reasons)) {
    fact(facts, 'Reasons', record.reasons.map((r) => (r && r.code ? r.code + ': ' + r.message : text(r))).join('; '));
  }
  fact(facts, 'Message', record.message);
  fact(facts, 'Node', record.node && text(record.node));
  fact(facts, 'Remote', record.remote);
  fact(facts, 'Request id', record.requestId);
  fact(facts, 'Leaf hash', record.leafHash);
  fact(facts, 'Previous leaf', record.prev);
  const proof = state.proofs.get(record.index);
  if (proof) fact(facts, 'Inclusion proof', (proof.ok ? 'verified: ' : 'NOT verified: ') + proof.reason, 'proof');
}

/**
 * The stream as the broker reports it, beside what the audit log says. The stream route answers
 * its holder and compliance officers only; anyone else (a data owner) sees rows and bytes from the
 * log's own records of that stream.
 */
async function openStream(record) {
  openDialog('Stream ' + record.stream, record);
  $('details-note').textContent = 'Loading the stream from the broker…';
  let stream = null;
  let refusal = null;
  try {
    stream = await api('/v1/streams/' + encodeURIComponent(record.stream));
  } catch (e) {
    refusal = e;
  }
  let ended = typeof record.bytes === 'number' ? record : null;
  if (!ended) {
    try {
      const page = await api('/v1/audit?limit=10&order=newest&q=' + encodeURIComponent(record.stream)
        + (typeof record.dataset === 'string' ? '&dataset=' + encodeURIComponent(record.dataset) : ''));
      ended = (page.records || []).find((r) => r.stream === record.stream && typeof r.bytes === 'number') || null;
    } catch {
      // the broker's stream answer, if any, still says enough
    }
  }
  if (!stream && !ended) {
    $('details-note').textContent = '';
    show($('details-error'), 'Could not load stream ' + record.stream + ': ' + describe(refusal));
    return;
  }
  const source = stream || {
    status: ended.outcome, rows: ended.rows, batches: ended.batches, bytes: ended.bytes, sha256: ended.sha256,
  };
  $('details-note').textContent = stream
    ? 'As the broker reports it now; purpose, dataset and node from audit record #' + record.index + '.'
    : 'From the audit log\'s record #' + ended.index + ' of this stream\'s end (the broker shows the live stream to its holder '
      + 'and compliance officers only).';
  const facts = $('details-facts');
  fact(facts, 'Status', source.status, 'status');
  fact(facts, 'Rows', count(source.rows), 'rows');
  fact(facts, 'Batches', count(source.batches), 'batches');
  fact(facts, 'Bytes', typeof source.bytes === 'number' ? count(source.bytes) + ' (' + byteSize(source.bytes) + ')' : undefined, 'bytes');
  fact(facts, 'SHA-256 of the bytes served', source.sha256 || 'not yet (the stream has not finished)', 'sha256');
  fact(facts, 'Purpose', record.purpose, 'purpose');
  fact(facts, 'Dataset', record.dataset && datasetText(record.dataset) + (record.datasetVersion ? ', version ' + record.datasetVersion : ''), 'dataset');
  fact(facts, 'Grant', (stream && stream.grant) || record.grant, 'grant');
  if (stream) {
    fact(facts, 'Shard', typeof stream.shard === 'number' ? (stream.shard + 1) + ' of ' + stream.shards + ' (shard ' + stream.shard + '), epoch ' + stream.epoch : undefined, 'shard');
  }
  fact(facts, 'Node', record.node ? text(record.node) : 'not recorded', 'node');
  fact(facts, 'Reader', [record.actor && record.actor.subject, record.actor && record.actor.organisation].filter(Boolean).join(' · '), 'reader');
  if (stream) {
    fact(facts, 'Opened', stream.openedAt, 'opened');
    fact(facts, 'Closed', stream.closedAt, 'closed');
  }
  // A stream.closed record states what was served: it must agree with the broker's stream row.
  if (stream && ended && typeof ended.sha256 === 'string') {
    const agrees = ended.sha256 === stream.sha256 && ended.rows === stream.rows && ended.bytes === stream.bytes;
    fact(facts, 'Audit record #' + ended.index, agrees
      ? 'agrees: same rows, bytes and SHA-256'
      : 'DISAGREES with the stream: the record says ' + count(ended.rows) + ' rows, ' + count(ended.bytes) + ' bytes, SHA-256 '
        + ended.sha256, 'agreement');
  }
}

// ---- verification ----

function setStatus(kind, message) {
  $('verify-status').className = 'status ' + kind;
  $('verify-status').textContent = message;
}

/** A compliance officer's check: every record, the recomputed root, the signature. */
async function verify() {
  if (ownerMode()) {
    verifyShownRecords();
    return;
  }
  const run = ++state.verifyRun;
  const details = $('verify-details');
  const problems = $('verify-problems');
  setStatus('pending', 'Verifying…');
  details.replaceChildren();
  problems.replaceChildren();
  $('verify-again').disabled = true;
  try {
    const report = await verifyLog({
      api,
      text: apiText,
      cancelled: () => run !== state.verifyRun,
      progress: (done, total) => {
        if (run === state.verifyRun) $('verify-status').textContent = 'Verifying… ' + count(done) + ' of ' + count(total) + ' records hashed';
      },
    });
    if (run !== state.verifyRun) return;
    const root = hex(report.checkpoint.root);
    const signer = report.key.name + ' (key ' + hex(report.key.keyId) + ')';
    if (report.ok) {
      setStatus('ok', 'Verified: ' + count(report.size) + ' records, root ' + root + ', signed by ' + signer + '.');
    } else if (report.problems.length === 0) {
      setStatus('partial', 'Root matches for ' + count(report.size) + ' records (root ' + root + '), but the signature was NOT checked: '
        + report.signature.reason + '.');
    } else {
      setStatus('failed', 'Verification FAILED: ' + report.problems[0]);
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
    if (e instanceof ApiError && e.status === 403) {
      setStatus('failed', 'Cannot verify: reading every record needs the compliance-officer role (' + e.describe() + ').');
    } else {
      setStatus('failed', 'Verification FAILED: ' + (e instanceof VerificationError ? e.message : 'could not fetch the log: ' + describe(e)));
    }
  } finally {
    if (run === state.verifyRun) $('verify-again').disabled = false;
  }
}

/** A data owner's check: each record shown, by its inclusion proof against the signed checkpoint. */
async function verifyShownRecords() {
  const run = ++state.verifyRun;
  const records = state.records.slice();
  $('verify-details').replaceChildren();
  $('verify-problems').replaceChildren();
  if (records.length === 0) {
    setStatus('pending', 'No records on this page to check.');
    return;
  }
  setStatus('pending', 'Checking ' + records.length + ' records against the signed checkpoint…');
  $('verify-again').disabled = true;
  try {
    const report = await verifyRecords({ api, text: apiText, records });
    if (run !== state.verifyRun) return;
    state.proofs = report.results;
    renderRecords();
    const failed = records.filter((r) => !(report.results.get(r.index) || {}).ok);
    const signer = report.key.name + ' (key ' + hex(report.key.keyId) + ')';
    if (failed.length === 0) {
      setStatus('ok', 'Verified: each of the ' + records.length + ' records shown is included in the checkpoint of '
        + count(report.checkpoint.size) + ' records signed by ' + signer + '.');
    } else {
      setStatus('failed', count(failed.length) + ' of ' + records.length + ' records NOT verified: record ' + failed[0].index + ': '
        + report.results.get(failed[0].index).reason);
    }
    fact($('verify-details'), 'Signed tree size', count(report.checkpoint.size));
    fact($('verify-details'), 'Signed root', hex(report.checkpoint.root));
    fact($('verify-details'), 'Public key', report.key.text);
  } catch (e) {
    if (run !== state.verifyRun) return;
    setStatus('failed', 'Verification FAILED: ' + (e instanceof VerificationError ? e.message : 'could not fetch the proofs: ' + describe(e)));
  } finally {
    if (run === state.verifyRun) $('verify-again').disabled = false;
  }
}

// ---- per-dataset view ----

/** Every record matching {@code query}, oldest first, at most SCAN_PAGES pages; {truncated} when more exist. */
async function scan(query) {
  const records = [];
  let after = -1;
  for (let page = 0; page < SCAN_PAGES; page++) {
    const params = new URLSearchParams({ ...query, order: 'oldest', limit: '1000' });
    if (after >= 0) params.set('after', String(after));
    const answer = await api('/v1/audit?' + params);
    rememberLabels(answer);
    records.push(...(answer.records || []));
    if (typeof answer.next !== 'number') return { records, truncated: false };
    after = answer.next;
  }
  return { records, truncated: true };
}

/** Who used a dataset, for what purpose, under which policy version, and how many rows and bytes. */
async function openDataset(id) {
  const run = ++state.viewRun;
  $('tab-dataset').hidden = false;
  $('dataset-view').dataset.dataset = id;
  showView('dataset');
  $('dataset-title').textContent = 'Dataset ' + datasetText(id);
  $('dataset-facts').replaceChildren();
  $('dataset-uses-body').replaceChildren();
  $('dataset-denials').textContent = '';
  show($('dataset-error'), '');
  $('dataset-status').textContent = 'Reading the dataset\'s records…';
  try {
    const [dataset, scanned] = await Promise.all([
      api('/v1/datasets/' + encodeURIComponent(id)).catch(() => null),
      scan({ dataset: id }),
    ]);
    if (run !== state.viewRun) return;
    const facts = $('dataset-facts');
    const known = label(id) || (dataset ? { name: dataset.name, organisation: dataset.organisation } : null);
    $('dataset-title').textContent = 'Dataset ' + (known ? known.name + ' (' + known.organisation + ')' : id);
    fact(facts, 'Id', id, 'id');
    fact(facts, 'Name', known && known.name, 'name');
    fact(facts, 'Owner', known && known.organisation, 'owner');
    if (dataset) {
      fact(facts, 'Status', dataset.status, 'status');
      fact(facts, 'Policy version in force', text(dataset.policyVersion), 'policy-version');
      fact(facts, 'Source version', dataset.version, 'version');
    }
    const uses = new Map(); // grant -> use
    let denials = 0;
    for (const r of scanned.records) {
      if (r.action === 'grant.denied') denials++;
      if (typeof r.grant !== 'string') continue;
      const use = uses.get(r.grant) || { grant: r.grant, streams: 0, rows: 0, bytes: 0 };
      if (r.action === 'grant.issued') {
        use.subject = r.actor && r.actor.subject;
        use.organisation = r.actor && r.actor.organisation;
        use.purpose = r.purpose;
        use.policyVersion = r.policyVersion;
      }
      if ((r.action === 'stream.closed' || r.action === 'stream.aborted' || r.action === 'stream.interrupted')) {
        use.streams++;
        use.rows += typeof r.rows === 'number' ? r.rows : 0;
        use.bytes += typeof r.bytes === 'number' ? r.bytes : 0;
        use.last = r.time;
        use.subject = use.subject || (r.actor && r.actor.subject);
        use.organisation = use.organisation || (r.actor && r.actor.organisation);
        use.purpose = use.purpose || r.purpose;
      }
      uses.set(r.grant, use);
    }
    const rows = [...uses.values()].sort((a, b) => String(b.last || '').localeCompare(String(a.last || '')));
    $('dataset-uses-body').replaceChildren(...rows.map((u) => el('tr', { dataset: { grant: u.grant } },
      el('td', { className: 'text' }, text(u.subject)),
      el('td', { className: 'text' }, text(u.organisation)),
      el('td', { className: 'text' }, text(u.purpose)),
      el('td', { className: 'num' }, text(u.policyVersion)),
      el('td', { className: 'id', title: u.grant }, u.grant),
      el('td', { className: 'num' }, count(u.streams)),
      el('td', { className: 'num nowrap' }, count(u.rows)),
      el('td', { className: 'num nowrap', title: byteSize(u.bytes) }, count(u.bytes)),
      el('td', { className: 'nowrap' }, u.last ? time(u.last) : 'never streamed'))));
    if (rows.length === 0) {
      $('dataset-uses-body').append(el('tr', {}, el('td', { colspan: 9, className: 'empty' }, 'No grant on this dataset yet.')));
    }
    $('dataset-denials').textContent = denials ? count(denials) + ' request' + (denials === 1 ? ' was' : 's were') + ' denied.' : '';
    $('dataset-status').textContent = count(scanned.records.length) + ' records read'
      + (scanned.truncated ? ' (the first ' + count(scanned.records.length) + ' only: filter the records for the rest)' : '') + '.';
  } catch (e) {
    if (run !== state.viewRun) return;
    $('dataset-status').textContent = '';
    show($('dataset-error'), 'Could not read the dataset\'s records: ' + describe(e));
  }
}

// ---- summary ----

/** Streams and bytes per organisation over time, from the log's stream-end records. */
async function loadSummary() {
  const run = ++state.viewRun;
  show($('summary-error'), '');
  $('summary-status').textContent = 'Reading the stream records…';
  try {
    const scans = await Promise.all(['stream.closed', 'stream.aborted', 'stream.interrupted'].map((action) => scan({ action })));
    if (run !== state.viewRun) return;
    const ends = scans.flatMap((s) => s.records).filter((r) => typeof r.time === 'string');
    const organisations = [...new Set(ends.map((r) => text(r.actor && r.actor.organisation) || '?'))].sort();
    const times = ends.map((r) => Date.parse(r.time)).filter((t) => !Number.isNaN(t));
    const span = times.length ? Math.max(...times) - Math.min(...times) : 0;
    const byDay = span > 2 * 86400000;
    const bucketOf = (iso) => (byDay ? iso.slice(0, 10) : iso.slice(0, 13).replace('T', ' ') + 'h');
    const buckets = new Map();
    const totals = new Map(organisations.map((o) => [o, { streams: 0, rows: 0, bytes: 0 }]));
    for (const r of ends) {
      const organisation = text(r.actor && r.actor.organisation) || '?';
      const key = bucketOf(r.time);
      const bucket = buckets.get(key) || { label: key, streams: new Map(), bytes: new Map() };
      bucket.streams.set(organisation, (bucket.streams.get(organisation) || 0) + 1);
      bucket.bytes.set(organisation, (bucket.bytes.get(organisation) || 0) + (typeof r.bytes === 'number' ? r.bytes : 0));
      buckets.set(key, bucket);
      const total = totals.get(organisation);
      total.streams++;
      total.rows += typeof r.rows === 'number' ? r.rows : 0;
      total.bytes += typeof r.bytes === 'number' ? r.bytes : 0;
    }
    const ordered = [...buckets.values()].sort((a, b) => a.label.localeCompare(b.label));
    $('summary-legend').replaceChildren(...organisations.map((o, i) => el('li', { dataset: { organisation: o } },
      swatch(i), o)));
    $('chart-streams').replaceChildren(stackedBars({ title: 'Streams per organisation, per ' + (byDay ? 'day' : 'hour'),
      buckets: ordered.map((b) => ({ label: b.label, values: b.streams })), series: organisations,
      format: (n) => NUMBER.format(Math.round(n)) }));
    $('chart-bytes').replaceChildren(stackedBars({ title: 'Bytes served per organisation, per ' + (byDay ? 'day' : 'hour'),
      buckets: ordered.map((b) => ({ label: b.label, values: b.bytes })), series: organisations, format: byteSize }));
    $('summary-body').replaceChildren(...organisations.map((o) => {
      const t = totals.get(o);
      return el('tr', { dataset: { organisation: o } }, el('td', {}, o), el('td', { className: 'num' }, count(t.streams)),
        el('td', { className: 'num' }, count(t.rows)), el('td', { className: 'num', title: byteSize(t.bytes) }, count(t.bytes)));
    }));
    if (organisations.length === 0) {
      $('summary-body').append(el('tr', {}, el('td', { colspan: 4, className: 'empty' }, 'No stream has ended yet.')));
    }
    const truncated = scans.some((s) => s.truncated);
    $('summary-status').textContent = count(ends.length) + ' streams, per ' + (byDay ? 'day' : 'hour') + ' (UTC)'
      + (truncated ? '; only the first ' + count(SCAN_PAGES * 1000) + ' records of each kind were read' : '') + '.';
  } catch (e) {
    if (run !== state.viewRun) return;
    $('summary-status').textContent = '';
    show($('summary-error'), 'Could not read the stream records: ' + describe(e));
  }
}

// ---- export ----

/**
 * The whole log as JSON lines (the exact leaf bytes) and the checkpoint signed at exactly its
 * size: the pair `sluice audit verify --file` checks offline.
 */
async function prepareExport() {
  const run = state.viewRun;
  $('export-button').disabled = true;
  $('export-links').replaceChildren();
  state.exportUrls.forEach((url) => URL.revokeObjectURL(url));
  state.exportUrls = [];
  $('export-status').textContent = 'Exporting…';
  try {
    const response = await request('/v1/audit/export?format=jsonl', 'application/x-ndjson');
    const size = Number(response.headers.get('Sluice-Tree-Size'));
    const lines = await response.blob();
    if (!Number.isSafeInteger(size) || size < 1) throw new Error('the export names no signed tree size');
    const list = await api('/v1/audit/checkpoints?after=' + (size - 1) + '&limit=1');
    const signed = (list.checkpoints || []).find((c) => c.size === size);
    if (!signed) throw new Error('the broker has no checkpoint at the export\'s size ' + size);
    if (run !== state.viewRun) return;
    const jsonl = URL.createObjectURL(lines);
    const checkpoint = URL.createObjectURL(new Blob([signed.note], { type: 'text/plain' }));
    state.exportUrls = [jsonl, checkpoint];
    $('export-links').replaceChildren(
      el('a', { href: jsonl, download: 'sluice-audit.jsonl', id: 'export-jsonl' }, 'sluice-audit.jsonl'),
      el('a', { href: checkpoint, download: 'sluice-audit.jsonl.checkpoint', id: 'export-checkpoint' }, 'sluice-audit.jsonl.checkpoint'));
    $('export-status').textContent = count(size) + ' records up to the checkpoint signed at that size; save both, then run '
      + 'sluice audit verify --file sluice-audit.jsonl --public-key KEY.';
  } catch (e) {
    if (run !== state.viewRun) return;
    $('export-status').textContent = 'Export failed: ' + describe(e);
  } finally {
    $('export-button').disabled = false;
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
    devSignIn($('dev-subject').value.trim(), $('dev-organisation').value.trim(), $('dev-role').value);
  });
  $('oidc-button').addEventListener('click', () => {
    $('oidc-button').disabled = true;
    state.oidc.signIn().catch((e) => {
      $('oidc-button').disabled = false;
      show($('sign-in-error'), 'Sign-in failed: ' + describe(e));
    });
  });
  $('sign-out').addEventListener('click', () => signOut('Signed out.'));
  $('filters').addEventListener('submit', (event) => {
    event.preventDefault();
    applyFilters();
  });
  $('clear-filters').addEventListener('click', () => {
    $('filters').reset();
    applyFilters();
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
  $('tab-records').addEventListener('click', () => showView('records'));
  $('tab-summary').addEventListener('click', () => {
    showView('summary');
    loadSummary();
  });
  $('tab-dataset').addEventListener('click', () => showView('dataset'));
  $('summary-refresh').addEventListener('click', loadSummary);
  $('dataset-close').addEventListener('click', () => showView('records'));
  $('export-button').addEventListener('click', prepareExport);
  $('details-close').addEventListener('click', () => $('details').close());
  $('details').addEventListener('click', (event) => {
    if (event.target === $('details')) $('details').close(); // a click on the backdrop
  });
}

async function start() {
  wire();
  state.config = await loadConfig();
  if (state.config.signIn === 'oidc') {
    $('oidc-issuer').textContent = state.config.issuer;
    $('oidc-sign-in').hidden = false;
    state.oidc = new OidcClient({
      issuer: state.config.issuer,
      clientId: state.config.clientId,
      redirectUri: new URL(PAGE_PATH, window.location.origin).toString(),
      onTokens: tokensRenewed,
      onExpired: (message) => signOut(message, { endSession: false }),
    });
    $('sign-in').hidden = false;
    try {
      await state.oidc.completeSignIn(window.location); // signs in through onTokens
    } catch (e) {
      show($('sign-in-error'), 'Sign-in failed: ' + (e instanceof SignInError ? e.message : describe(e)));
    }
    return;
  }
  // The token form only where the development issuer runs: with a real issuer, people sign in there.
  $('token-sign-in').hidden = false;
  $('dev-sign-in').hidden = state.config.signIn !== 'development';
  $('sign-in').hidden = false;
  $('token').focus();
}

start();
