// A compliance officer's verifiable download: the whole log as JSON lines (the exact leaf bytes)
// and the checkpoint signed at exactly its size, the pair `sluice audit verify --file` checks offline.
// The checkpoint and the key that signed it come with the export's own response (headers), never
// from the store's list: brokers sharing a store each sign with their own key, and the list holds
// whichever broker's note was stored first.

import { describe, request } from './api.js';
import { $, count, el } from './dom.js';
import { startRun, state } from './state.js';
import { base64ToBytes, parseCheckpoint, parseVerifierKey, verifySignature } from './verify.js';

/**
 * The export's checkpoint note and verifier key from its response headers, checked: the note is
 * signed by that key (where this browser can check Ed25519) at exactly {@code size}.
 */
async function signedCheckpoint(response, size) {
  const encoded = response.headers.get('Sluice-Audit-Checkpoint');
  const keyText = response.headers.get('Sluice-Audit-Key');
  if (!encoded || !keyText) throw new Error('the broker sent no checkpoint with the export (it is older than this page)');
  let note;
  let checkpoint;
  try {
    note = new TextDecoder('utf-8', { fatal: true }).decode(base64ToBytes(encoded));
    checkpoint = parseCheckpoint(note);
  } catch (e) {
    throw new Error('the export\'s header Sluice-Audit-Checkpoint is not the base64 of a signed checkpoint note ('
      + describe(e) + ')');
  }
  let key;
  try {
    key = await parseVerifierKey(keyText);
  } catch (e) {
    throw new Error('the export\'s header Sluice-Audit-Key is not a verifier key (' + describe(e) + ')');
  }
  if (checkpoint.size !== size) {
    throw new Error('the export\'s checkpoint is signed at size ' + checkpoint.size + ', but the export ends at ' + size);
  }
  const signature = await verifySignature(checkpoint, key);
  return { note, key: keyText.trim(), checked: signature.checked, reason: signature.reason };
}

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
    const signed = await signedCheckpoint(response, size);
    if (!live()) return;
    const jsonl = URL.createObjectURL(lines);
    const checkpoint = URL.createObjectURL(new Blob([signed.note], { type: 'text/plain' }));
    const key = URL.createObjectURL(new Blob([signed.key + '\n'], { type: 'text/plain' }));
    state.exportUrls = [jsonl, checkpoint, key];
    $('export-links').replaceChildren(
      el('a', { href: jsonl, download: 'sluice-audit.jsonl', id: 'export-jsonl' }, 'sluice-audit.jsonl'),
      el('a', { href: checkpoint, download: 'sluice-audit.jsonl.checkpoint', id: 'export-checkpoint' }, 'sluice-audit.jsonl.checkpoint'),
      el('a', { href: key, download: 'sluice-audit.jsonl.pub', id: 'export-key' }, 'sluice-audit.jsonl.pub'));
    $('export-status').textContent = count(size) + ' records up to the checkpoint signed at that size; save the three files, '
      + 'then run sluice audit verify --file sluice-audit.jsonl --public-key KEY (sluice-audit.jsonl.pub is the key of the '
      + 'broker that signed: compare it with the key you trust).'
      + (signed.checked ? '' : ' The checkpoint\'s signature was NOT checked here: ' + signed.reason + '.');
  } catch (e) {
    if (!live()) return;
    $('export-status').textContent = 'Export failed: ' + describe(e);
  } finally {
    if (live()) $('export-button').disabled = false;
  }
}
