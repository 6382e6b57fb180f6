// The details dialog: one audit record as the broker stored it, or one stream as the broker
// reports it beside what the log says of it.

import { api, describe } from './api.js';
import { $, byteSize, count, fact, show, text } from './dom.js';
import { datasetText, startRun, state } from './state.js';

/** Empties the dialog and closes it: nothing of the last record or stream stays in the page. */
export function resetDialog() {
  state.runs.dialog++;
  if ($('details').open) $('details').close();
  $('details-title').textContent = '';
  $('details-facts').replaceChildren();
  show($('details-error'), '');
  $('details-note').textContent = '';
  $('details-raw').textContent = '';
  $('details-raw-wrap').open = false;
}

/** Opens the dialog for {@code record}; returns the check that the dialog still shows it (see startRun). */
function openDialog(title, record) {
  const live = startRun('dialog');
  $('details-title').textContent = title;
  $('details-facts').replaceChildren();
  show($('details-error'), '');
  $('details-note').textContent = '';
  $('details-raw').textContent = JSON.stringify(record, null, 2);
  $('details-raw-wrap').open = false;
  if (!$('details').open) $('details').showModal();
  return live;
}

export function openRecord(record) {
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

/** The stream's end record (rows, bytes, SHA-256) from the log, found by the stream's id; null when none. */
async function streamEndRecord(record) {
  if (typeof record.bytes === 'number') return record;
  try {
    const page = await api('/v1/audit?limit=10&order=newest&q=' + encodeURIComponent(record.stream)
      + (typeof record.dataset === 'string' ? '&dataset=' + encodeURIComponent(record.dataset) : ''));
    return (page.records || []).find((r) => r.stream === record.stream && typeof r.bytes === 'number') || null;
  } catch {
    return null; // the broker's stream answer, if any, still says enough
  }
}

/**
 * The stream as the broker reports it, beside what the audit log says. The stream route answers
 * its holder and compliance officers only; anyone else (a data owner) sees rows and bytes from the
 * log's own records of that stream.
 */
export async function openStream(record) {
  const live = openDialog('Stream ' + record.stream, record);
  $('details-note').textContent = 'Loading the stream from the broker…';
  let stream = null;
  let refusal = null;
  try {
    stream = await api('/v1/streams/' + encodeURIComponent(record.stream));
  } catch (e) {
    refusal = e;
  }
  if (!live()) return;
  const ended = await streamEndRecord(record);
  if (!live()) return;
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
