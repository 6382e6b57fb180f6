// The verification card: a compliance officer's check of the whole log (every record, the
// recomputed root, the checkpoint's signature), or a data owner's check of the records shown, each
// by its inclusion proof against the signed checkpoint. The checks themselves are in verify.js.

import { ApiError, api, apiText, describe } from './api.js';
import { $, count, el, fact } from './dom.js';
import { startRun, state } from './state.js';
import { VerificationError, hex, verifyLog, verifyRecords } from './verify.js';

export function setStatus(kind, message) {
  $('verify-status').className = 'status ' + kind;
  $('verify-status').textContent = message;
}

/** Forgets the last check: its status, details and problems. */
export function resetVerification() {
  state.runs.verify++;
  setStatus('pending', 'Not checked yet.');
  $('verify-details').replaceChildren();
  $('verify-problems').replaceChildren();
  $('verify-more').open = false;
  $('verify-again').disabled = false;
}

/** A compliance officer's check: every record, the recomputed root, the signature. */
export async function verifyWholeLog() {
  const live = startRun('verify');
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
      cancelled: () => !live(),
      progress: (done, total) => {
        if (live()) $('verify-status').textContent = 'Verifying… ' + count(done) + ' of ' + count(total) + ' records hashed';
      },
    });
    if (!live()) return;
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
    if (!live()) return;
    if (e instanceof ApiError && e.status === 403) {
      setStatus('failed', 'Cannot verify: reading every record needs the compliance-officer role (' + e.describe() + ').');
    } else {
      setStatus('failed', 'Verification FAILED: ' + (e instanceof VerificationError ? e.message : 'could not fetch the log: ' + describe(e)));
    }
  } finally {
    if (live()) $('verify-again').disabled = false;
  }
}

/**
 * A data owner's check: each of {@code records}, by its inclusion proof against the signed
 * checkpoint. Keeps the results in {@code state.proofs} and calls {@code shown()} to redraw the
 * records with them.
 */
export async function verifyRecordsShown(records, shown) {
  const live = startRun('verify');
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
    if (!live()) return;
    state.proofs = report.results;
    shown();
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
    if (!live()) return;
    setStatus('failed', 'Verification FAILED: ' + (e instanceof VerificationError ? e.message : 'could not fetch the proofs: ' + describe(e)));
  } finally {
    if (live()) $('verify-again').disabled = false;
  }
}
