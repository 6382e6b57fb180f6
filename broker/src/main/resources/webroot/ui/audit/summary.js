// The summary: streams and bytes per organisation over time, from the log's stream-end records
// (the newest 10,000 of each kind at most), as two charts on a linear time axis and a table.

import { describe, SCAN_PAGES, scanNewest } from './api.js';
import { timeAxis, stackedBars, swatch } from './chart.js';
import { $, NUMBER, byteSize, count, el, show, text } from './dom.js';
import { startRun, state } from './state.js';

const STREAM_ENDS = ['stream.closed', 'stream.aborted', 'stream.interrupted'];

/** Empties the charts, the legend and the table. */
export function resetSummary() {
  state.runs.summary++;
  for (const id of ['summary-body', 'summary-legend', 'chart-streams', 'chart-bytes']) $(id).replaceChildren();
  $('summary-status').textContent = '';
  show($('summary-error'), '');
}

/**
 * The stream ends to count. Each kind is read newest first; when one kind has more than the scan
 * reads, every kind is cut at the oldest time that one reached, so that the period shown is
 * complete for all of them. Resolves to {ends, since (ISO time, or null when nothing was cut)}.
 */
async function streamEnds() {
  const scans = await Promise.all(STREAM_ENDS.map((action) => scanNewest({ action })));
  let since = null;
  for (const scan of scans) {
    const oldest = scan.records[scan.records.length - 1];
    if (scan.truncated && oldest && typeof oldest.time === 'string' && !(since > oldest.time)) since = oldest.time;
  }
  const ends = scans.flatMap((s) => s.records)
    .filter((r) => typeof r.time === 'string' && !Number.isNaN(Date.parse(r.time)) && (since === null || r.time >= since));
  return { ends, since };
}

export async function loadSummary() {
  const live = startRun('summary');
  show($('summary-error'), '');
  $('summary-status').textContent = 'Reading the stream records…';
  try {
    const { ends, since } = await streamEnds();
    if (!live()) return;
    const organisationOf = (r) => text(r.actor && r.actor.organisation) || '?';
    const organisations = [...new Set(ends.map(organisationOf))].sort();
    const axis = timeAxis(ends.map((r) => Date.parse(r.time)));
    const buckets = new Map(axis.keys.map((key) => [key, { label: key, streams: new Map(), bytes: new Map() }]));
    const totals = new Map(organisations.map((o) => [o, { streams: 0, rows: 0, bytes: 0 }]));
    for (const r of ends) {
      const organisation = organisationOf(r);
      const bytes = typeof r.bytes === 'number' ? r.bytes : 0;
      const bucket = buckets.get(axis.keyOf(Date.parse(r.time)));
      bucket.streams.set(organisation, (bucket.streams.get(organisation) || 0) + 1);
      bucket.bytes.set(organisation, (bucket.bytes.get(organisation) || 0) + bytes);
      const total = totals.get(organisation);
      total.streams++;
      total.rows += typeof r.rows === 'number' ? r.rows : 0;
      total.bytes += bytes;
    }
    const ordered = [...buckets.values()];
    $('summary-legend').replaceChildren(...organisations.map((o, i) => el('li', { dataset: { organisation: o } }, swatch(i), o)));
    $('chart-streams').replaceChildren(stackedBars({ title: 'Streams per organisation, per ' + axis.unit,
      buckets: ordered.map((b) => ({ label: b.label, values: b.streams })), series: organisations,
      format: (n) => NUMBER.format(Math.round(n)) }));
    $('chart-bytes').replaceChildren(stackedBars({ title: 'Bytes served per organisation, per ' + axis.unit,
      buckets: ordered.map((b) => ({ label: b.label, values: b.bytes })), series: organisations, format: byteSize }));
    $('summary-body').replaceChildren(...organisations.map((o) => {
      const t = totals.get(o);
      return el('tr', { dataset: { organisation: o } }, el('td', {}, o), el('td', { className: 'num' }, count(t.streams)),
        el('td', { className: 'num' }, count(t.rows)), el('td', { className: 'num', title: byteSize(t.bytes) }, count(t.bytes)));
    }));
    if (organisations.length === 0) {
      $('summary-body').append(el('tr', {}, el('td', { colspan: 4, className: 'empty' }, 'No stream has ended yet.')));
    }
    $('summary-status').textContent = count(ends.length) + ' streams, per ' + axis.unit + ' (UTC)'
      + (since ? ': PARTIAL, since ' + since + ' only (the newest ' + count(SCAN_PAGES * 1000) + ' records of a kind were read; '
        + 'filter the records by time for earlier ones)' : '') + '.';
  } catch (e) {
    if (!live()) return;
    $('summary-status').textContent = '';
    show($('summary-error'), 'Could not read the stream records: ' + describe(e));
  }
}
