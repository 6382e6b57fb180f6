// The records list: filters (the dataset filter takes a name), pages newest or oldest first, one
// row per record with the dataset's name beside its id, and, for a data owner, each row's proof.

import { api, describe } from './api.js';
import { openDataset } from './dataset-view.js';
import { openRecord, openStream } from './dialogs.js';
import { $, byteSize, count, el, show, text, time } from './dom.js';
import { currentRun, label, ownerMode, rememberLabels, startRun, state } from './state.js';
import { verifyRecordsShown } from './verification.js';

/** Empties the list and the filters: nothing of the last user's search stays. */
export function resetRecords() {
  state.runs.records++;
  state.query = {};
  state.cursors = [];
  state.next = null;
  state.records = [];
  state.proofs = new Map();
  $('filters').reset();
  $('records-body').replaceChildren();
  $('records-status').textContent = '';
  $('page-label').textContent = '';
  show($('records-error'), '');
}

/** The first page of the filters as they stand; resolves to whether it loaded. */
export function firstPage() {
  state.query = readFilters();
  state.cursors = [-1];
  return loadPage();
}

export function nextPage() {
  if (state.next === null) return;
  state.cursors.push(state.next);
  loadPage();
}

export function previousPage() {
  if (state.cursors.length <= 1) return;
  state.cursors.pop();
  loadPage();
}

/** A data owner's "Verify again": the records shown, each by its proof. */
export function verifyPage() {
  return verifyRecordsShown(state.records.slice(), redrawIfCurrent());
}

/** Redraws the page with new proofs, unless another page (or user) replaced it meanwhile. */
function redrawIfCurrent() {
  const live = currentRun('records');
  return () => {
    if (live()) renderRecords();
  };
}

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

export async function applyFilters() {
  const session = state.session;
  let query;
  try {
    query = readFilters();
    if (query.dataset) query.dataset = await resolveDataset(query.dataset);
  } catch (e) {
    if (session === state.session) show($('records-error'), describe(e));
    return;
  }
  if (session !== state.session) return;
  state.query = query;
  state.cursors = [-1];
  loadPage();
}

/** Loads the page whose cursor is on top of the stack; resolves to whether it loaded. */
async function loadPage() {
  const live = startRun('records');
  const after = state.cursors[state.cursors.length - 1];
  const params = new URLSearchParams(state.query);
  if (after >= 0) params.set('after', String(after));
  show($('records-error'), '');
  $('records-status').textContent = 'Loading…';
  $('prev-page').disabled = true;
  $('next-page').disabled = true;
  try {
    const page = await api('/v1/audit?' + params);
    if (!live()) return false;
    rememberLabels(page);
    state.records = page.records || [];
    state.next = typeof page.next === 'number' ? page.next : null;
    state.proofs = new Map();
    renderRecords();
    if (ownerMode()) verifyPage();
    return true;
  } catch (e) {
    if (!live()) return false;
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

function badgeClass(outcome) {
  if (/^(denied|rejected|failed|aborted|refused|not verified)/.test(outcome)) return 'bad';
  if (/^(issued|registered|closed|opened|ok|completed|verified)/.test(outcome)) return 'good';
  return '';
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
