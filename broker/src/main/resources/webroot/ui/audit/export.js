// A compliance officer's verifiable download: the whole log as JSON lines (the exact leaf bytes)
// and the checkpoint signed at exactly its size, the pair `sluice audit verify --file` checks offline.

import { api, describe, request } from './api.js';
import { $, count, el } from './dom.js';
import { startRun, state } from './state.js';

function revokeUrls() {
  state.exportUrls.forEach((url) => URL.revokeObjectURL(url));
  state.exportUrls = [];
}

/** Forgets the prepared export: its links, its status and the downloads' blob: URLs. */
export function resetExport() {
  state.runs.export++;
  revokeUrls();
  $('export-links').replaceChildren();
  $('export-status').textContent = '';
  $('export-button').disabled = false;
}

export async function prepareExport() {
  const live = startRun('export');
  $('export-button').disabled = true;
  $('export-links').replaceChildren();
  revokeUrls();
  $('export-status').textContent = 'Exporting…';
  try {
    const response = await request('/v1/audit/export?format=jsonl', 'application/x-ndjson');
    const size = Number(response.headers.get('Sluice-Tree-Size'));
    const lines = await response.blob();
    if (!Number.isSafeInteger(size) || size < 1) throw new Error('the export names no signed tree size');
    const list = await api('/v1/audit/checkpoints?after=' + (size - 1) + '&limit=1');
    const signed = (list.checkpoints || []).find((c) => c.size === size);
    if (!signed) throw new Error('the broker has no checkpoint at the export\'s size ' + size);
    if (!live()) return;
    const jsonl = URL.createObjectURL(lines);
    const checkpoint = URL.createObjectURL(new Blob([signed.note], { type: 'text/plain' }));
    state.exportUrls = [jsonl, checkpoint];
    $('export-links').replaceChildren(
      el('a', { href: jsonl, download: 'sluice-audit.jsonl', id: 'export-jsonl' }, 'sluice-audit.jsonl'),
      el('a', { href: checkpoint, download: 'sluice-audit.jsonl.checkpoint', id: 'export-checkpoint' }, 'sluice-audit.jsonl.checkpoint'));
    $('export-status').textContent = count(size) + ' records up to the checkpoint signed at that size; save both, then run '
      + 'sluice audit verify --file sluice-audit.jsonl --public-key KEY.';
  } catch (e) {
    if (!live()) return;
    $('export-status').textContent = 'Export failed: ' + describe(e);
  } finally {
    if (live()) $('export-button').disabled = false;
  }
}
