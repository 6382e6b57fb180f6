// The compliance page's entry point: wires the page's controls to the modules that do the work.
//
//   session.js       sign-in (OIDC with PKCE through oidc.js, or the development issuer), renewal, sign-out
//   records.js       filters and pages of GET /v1/audit, one row per record
//   dialogs.js       a record's or a stream's details
//   dataset-view.js  who used a dataset, for what, how much
//   summary.js       streams and bytes per organisation over time (chart.js)
//   export.js        the verifiable download
//   verification.js  the log (or each record shown) checked in this browser (verify.js)
//   api.js, state.js, dom.js: the broker's API, what the page knows, text-only DOM helpers

import { $, show, showView } from './dom.js';
import { prepareExport } from './export.js';
import { applyFilters, nextPage, previousPage, verifyPage } from './records.js';
import { devSignIn, signIn, signOut, startOidcSignIn, startSession } from './session.js';
import { ownerMode } from './state.js';
import { loadSummary } from './summary.js';
import { verifyWholeLog } from './verification.js';

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
  $('oidc-button').addEventListener('click', startOidcSignIn);
  $('sign-out').addEventListener('click', () => signOut('Signed out.'));
  $('filters').addEventListener('submit', (event) => {
    event.preventDefault();
    applyFilters();
  });
  $('clear-filters').addEventListener('click', () => {
    $('filters').reset();
    applyFilters();
  });
  $('next-page').addEventListener('click', nextPage);
  $('prev-page').addEventListener('click', previousPage);
  $('verify-again').addEventListener('click', () => (ownerMode() ? verifyPage() : verifyWholeLog()));
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

wire();
startSession();
