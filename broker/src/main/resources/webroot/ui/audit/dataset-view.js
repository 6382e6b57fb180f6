// One dataset's view: who used it, for which purpose, under which policy version, with how many
// streams, rows and bytes, from the log's records of that dataset (the newest 10,000 at most).

import { api, describe, scanNewest } from './api.js';
import { $, byteSize, count, el, fact, show, showView, text, time } from './dom.js';
import { datasetText, label, startRun, state } from './state.js';

const STREAM_ENDS = new Set(['stream.closed', 'stream.aborted', 'stream.interrupted']);

/** Empties the view and hides its tab. */
export function resetDatasetView() {
  state.runs.dataset++;
  $('dataset-view').dataset.dataset = '';
  $('dataset-title').textContent = 'Dataset';
  $('dataset-facts').replaceChildren();
  $('dataset-uses-body').replaceChildren();
  $('dataset-status').textContent = '';
  $('dataset-denials').textContent = '';
  show($('dataset-error'), '');
  $('tab-dataset').hidden = true;
}

/** Per grant: holder, purpose, policy version, streams, rows, bytes and last use; and how many requests were denied. */
function usesOf(records) {
  const uses = new Map();
  let denials = 0;
  for (const r of records) {
    if (r.action === 'grant.denied') denials++;
    if (typeof r.grant !== 'string') continue;
    const use = uses.get(r.grant) || { grant: r.grant, streams: 0, rows: 0, bytes: 0 };
    if (r.action === 'grant.issued') {
      use.subject = r.actor && r.actor.subject;
      use.organisation = r.actor && r.actor.organisation;
      use.purpose = r.purpose;
      use.policyVersion = r.policyVersion;
    }
    if (STREAM_ENDS.has(r.action)) {
      use.streams++;
      use.rows += typeof r.rows === 'number' ? r.rows : 0;
      use.bytes += typeof r.bytes === 'number' ? r.bytes : 0;
      if (typeof r.time === 'string' && !(use.last > r.time)) use.last = r.time;
      use.subject = use.subject || (r.actor && r.actor.subject);
      use.organisation = use.organisation || (r.actor && r.actor.organisation);
      use.purpose = use.purpose || r.purpose;
    }
    uses.set(r.grant, use);
  }
  const rows = [...uses.values()].sort((a, b) => String(b.last || '').localeCompare(String(a.last || '')));
  return { rows, denials };
}

function useRow(u) {
  return el('tr', { dataset: { grant: u.grant } },
    el('td', { className: 'text' }, text(u.subject)),
    el('td', { className: 'text' }, text(u.organisation)),
    el('td', { className: 'text' }, text(u.purpose)),
    el('td', { className: 'num' }, text(u.policyVersion)),
    el('td', { className: 'id', title: u.grant }, u.grant),
    el('td', { className: 'num' }, count(u.streams)),
    el('td', { className: 'num nowrap' }, count(u.rows)),
    el('td', { className: 'num nowrap', title: byteSize(u.bytes) }, count(u.bytes)),
    el('td', { className: 'nowrap' }, u.last ? time(u.last) : 'never streamed'));
}

/** Who used a dataset, for what purpose, under which policy version, and how many rows and bytes. */
export async function openDataset(id) {
  const live = startRun('dataset');
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
      scanNewest({ dataset: id }),
    ]);
    if (!live()) return;
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
    const { rows, denials } = usesOf(scanned.records);
    $('dataset-uses-body').replaceChildren(...rows.map(useRow));
    if (rows.length === 0) {
      $('dataset-uses-body').append(el('tr', {}, el('td', { colspan: 9, className: 'empty' }, 'No grant on this dataset yet.')));
    }
    $('dataset-denials').textContent = denials ? count(denials) + ' request' + (denials === 1 ? ' was' : 's were') + ' denied.' : '';
    const oldest = scanned.records[scanned.records.length - 1];
    $('dataset-status').textContent = count(scanned.records.length) + ' records read'
      + (scanned.truncated ? ': PARTIAL, the newest ' + count(scanned.records.length) + ' only, since ' + oldest.time
        + '; uses before that are not counted here (filter the records by this dataset and a time for them).' : '.');
  } catch (e) {
    if (!live()) return;
    $('dataset-status').textContent = '';
    show($('dataset-error'), 'Could not read the dataset\'s records: ' + describe(e));
  }
}
