// Who is signed in: sign-in through the broker's OIDC issuer (oidc.js), or, with the development
// issuer, a pasted or minted token; renewal when the broker refuses a token or the tab comes back
// from sleep; sign-out that leaves nothing of the last user on the page.
//
// The token lives in `state` only, never in web storage: a reload needs a new sign-in.

import { ApiError, describe, whenRefused } from './api.js';
import { resetDatasetView } from './dataset-view.js';
import { resetDialog } from './dialogs.js';
import { $, show, showView } from './dom.js';
import { resetExport } from './export.js';
import { OidcClient, SignInError, jwtClaims } from './oidc.js';
import { firstPage, resetRecords } from './records.js';
import { ownerMode, state } from './state.js';
import { resetSummary } from './summary.js';
import { resetVerification, verifyWholeLog } from './verification.js';

export const PAGE_PATH = '/ui/audit/';

/** What a token says about its holder, for display only: the broker decides what it may see. */
function claims(token, idClaims) {
  const json = jwtClaims(token);
  if (!json) return null;
  const roles = (json.realm_access && json.realm_access.roles) || json.roles || [];
  const name = (idClaims && idClaims.preferred_username) || json.preferred_username || json.sub;
  return { subject: json.sub, name, organisation: json.organisation, roles, expires: json.exp };
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
export function signIn(token) {
  state.session++;
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
  resetVerification();
  showView('records');
  // Verify once the first page shows the token works: a refused token costs one request, not three.
  firstPage().then((loaded) => {
    if (loaded && !ownerMode()) verifyWholeLog();
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
 * filters, the open dialog, the dataset view, the summary, the export, the verification), and
 * drops every answer still on its way (state.session), so that nothing carries over to whoever
 * signs in next; with an issuer, also ends the issuer's session (its end-session endpoint), so that
 * the next sign-in asks for credentials again.
 */
export async function signOut(message, { endSession = true } = {}) {
  state.session++;
  state.token = null;
  state.who = null;
  state.labels = new Map();
  resetDialog();
  resetRecords();
  resetVerification();
  resetDatasetView();
  resetSummary();
  resetExport();
  showView('records');
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

/**
 * The broker refused the token: with an issuer, renew it once (the refresh token) and let the
 * request be sent again; otherwise, or when it is refused again, the session is over.
 */
whenRefused(async (error, mayRetry) => {
  if (mayRetry && state.oidc && await state.oidc.renew()) return true;
  // A failed renewal has already signed out (onExpired); a refusal without one ends the session here.
  if (state.token !== null) {
    signOut('The broker refused the token: ' + error.describe() + '. Sign in again.', { endSession: false });
  }
  return false;
});

/** How this broker lets people sign in; null (and the reason shown) when the broker cannot say. */
async function loadConfig() {
  try {
    const response = await fetch(PAGE_PATH + 'config.json', { cache: 'no-store', credentials: 'omit' });
    if (!response.ok) throw new Error('HTTP ' + response.status);
    const config = await response.json();
    if (!config || !['oidc', 'development', 'token'].includes(config.signIn)) throw new Error('an unknown sign-in mode');
    return config;
  } catch (e) {
    return { error: e.message || String(e) };
  }
}

export async function devSignIn(subject, organisation, role) {
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

/** Leaves for the issuer's login form. */
export function startOidcSignIn() {
  $('oidc-button').disabled = true;
  state.oidc.signIn().catch((e) => {
    $('oidc-button').disabled = false;
    show($('sign-in-error'), 'Sign-in failed: ' + describe(e));
  });
}

/**
 * Shows the sign-in this broker offers and, back from the issuer, completes it. Fails closed: when
 * the broker cannot say how to sign in, the page says so and offers no sign-in at all (never the
 * token form, which a broker with an issuer does not accept tokens of the development kind through).
 */
export async function startSession() {
  const config = await loadConfig();
  $('sign-in').hidden = false;
  if (config.error) {
    show($('config-error'), 'Could not ask the broker how to sign in (' + config.error + '). Reload the page to try again.');
    return;
  }
  state.config = config;
  if (config.signIn === 'oidc') {
    $('oidc-issuer').textContent = config.issuer;
    $('oidc-sign-in').hidden = false;
    state.oidc = new OidcClient({
      issuer: config.issuer,
      clientId: config.clientId,
      redirectUri: new URL(PAGE_PATH, window.location.origin).toString(),
      onTokens: tokensRenewed,
      onExpired: (message) => signOut(message, { endSession: false }),
    });
    // A laptop that slept: its renewal timer may not have fired; renew now when the token is (nearly) spent.
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') state.oidc.renewIfDue();
    });
    try {
      await state.oidc.completeSignIn(window.location); // signs in through onTokens
    } catch (e) {
      show($('sign-in-error'), 'Sign-in failed: ' + (e instanceof SignInError ? e.message : describe(e)));
    }
    return;
  }
  // The token form only where the broker has no issuer: with a real issuer, people sign in there.
  $('token-sign-in').hidden = false;
  $('dev-sign-in').hidden = config.signIn !== 'development';
  $('token').focus();
}
