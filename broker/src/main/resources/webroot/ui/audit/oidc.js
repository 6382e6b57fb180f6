// Sign-in for the compliance page: OpenID Connect authorization code flow with PKCE (RFC 7636,
// S256) against the issuer the broker trusts, as a public client (no secret in a page).
//
// Where things live, and why:
//  - tokens (access, refresh, id) only in this module's variables: nothing another script, a later
//    visitor of this browser profile or a copied profile could read back from storage;
//  - the PKCE verifier, state and nonce in sessionStorage for the redirect round trip only (the
//    page is unloaded while the user is at the issuer), removed as soon as the page comes back;
//  - renewal with the refresh token shortly before the access token expires (Keycloak 26 gives
//    public clients refresh tokens; a hidden iframe with prompt=none would need the issuer's
//    session cookie in a third-party frame, which browsers block more and more).
//
// Nothing here touches the DOM; the page decides what to show.

const PENDING_KEY = 'sluice.audit.oidc.pending';
const RENEW_BEFORE_SECONDS = 30;

/** A sign-in step that failed, with the sentence the page shows. */
export class SignInError extends Error {}

function base64Url(bytes) {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString(byteCount) {
  return base64Url(crypto.getRandomValues(new Uint8Array(byteCount)));
}

async function s256(text) {
  return base64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))));
}

/** The claims of a JWT, unverified (its signature is the broker's to check): for display and idTokenProblem. */
export function jwtClaims(token) {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(payload), (c) => c.charCodeAt(0))));
  } catch {
    return null;
  }
}

/** How far the browser's clock may be behind the issuer's when the ID token's expiry is checked. */
const CLOCK_SKEW_SECONDS = 60;

/**
 * Why the ID token's claims do not belong to this sign-in (OpenID Connect Core 1.0, 3.1.3.7), or
 * null when they do: issued by the discovered issuer ({@code iss}), for this client ({@code aud}
 * names it, and {@code azp}, when present, is it), to this sign-in ({@code nonce}; not checked for
 * a renewal's token, {@code nonce} undefined), for the same user as before ({@code subject}, on
 * renewal) and not expired ({@code exp}, with a minute for clock skew). The page takes its
 * identity from these claims; the broker still checks every access token itself.
 */
export function idTokenProblem(claims, { issuer, clientId, nonce, subject, now }) {
  if (!claims || typeof claims !== 'object') return 'the sign-in service sent no readable ID token';
  if (claims.iss !== issuer) return 'the ID token was issued by ' + claims.iss + ', not ' + issuer;
  const audience = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audience.includes(clientId)) return 'the ID token is for ' + audience.join(', ') + ', not this page (' + clientId + ')';
  if (claims.azp !== undefined && claims.azp !== clientId) {
    return 'the ID token was requested by ' + claims.azp + ', not this page (' + clientId + ')';
  }
  if (nonce !== undefined && claims.nonce !== nonce) return 'the ID token does not carry this sign-in\'s nonce';
  if (subject !== undefined && claims.sub !== subject) return 'the renewed ID token names another user';
  if (typeof claims.exp !== 'number' || claims.exp * 1000 + CLOCK_SKEW_SECONDS * 1000 <= now) {
    return 'the ID token has expired';
  }
  return null;
}

/**
 * One issuer and client. {@code onTokens(tokens)} hears every new token set (sign-in, renewal);
 * {@code onExpired(message)} hears that renewal failed and the user must sign in again.
 */
export class OidcClient {
  #issuer;
  #clientId;
  #redirectUri;
  #metadata = null;
  #tokens = null; // {accessToken, refreshToken, idToken, expiresAt (ms)}
  #renewTimer = null;
  #renewing = null; // the renewal under way, shared by every caller
  #onTokens;
  #onExpired;

  constructor({ issuer, clientId, redirectUri, onTokens = () => {}, onExpired = () => {} }) {
    this.#issuer = issuer.replace(/\/+$/, '');
    this.#clientId = clientId;
    this.#redirectUri = redirectUri;
    this.#onTokens = onTokens;
    this.#onExpired = onExpired;
  }

  get accessToken() {
    return this.#tokens ? this.#tokens.accessToken : null;
  }

  get idClaims() {
    return this.#tokens && this.#tokens.idToken ? jwtClaims(this.#tokens.idToken) : null;
  }

  /** The issuer's endpoints, from its discovery document (OpenID Connect Discovery 1.0). */
  async metadata() {
    if (this.#metadata) return this.#metadata;
    let response;
    try {
      response = await fetch(this.#issuer + '/.well-known/openid-configuration', { credentials: 'omit', cache: 'no-store' });
    } catch (e) {
      throw new SignInError('cannot reach the sign-in service ' + this.#issuer + ' (' + e.message + ')');
    }
    if (!response.ok) throw new SignInError('the sign-in service ' + this.#issuer + ' answered HTTP ' + response.status);
    const metadata = await response.json();
    // The document must be the issuer's own (OpenID Connect Discovery 1.0, section 4.3).
    if (metadata.issuer !== this.#issuer) {
      throw new SignInError('the sign-in service calls itself ' + metadata.issuer + ', not ' + this.#issuer);
    }
    this.#metadata = metadata;
    return metadata;
  }

  /** Leaves the page for the issuer's login; it comes back to the redirect URI with a code. */
  async signIn() {
    const metadata = await this.metadata();
    const pending = { verifier: randomString(48), state: randomString(24), nonce: randomString(24) };
    sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
    const url = new URL(metadata.authorization_endpoint);
    url.search = new URLSearchParams({
      client_id: this.#clientId,
      redirect_uri: this.#redirectUri,
      response_type: 'code',
      scope: 'openid',
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: await s256(pending.verifier),
      code_challenge_method: 'S256',
    }).toString();
    window.location.assign(url.toString());
  }

  /**
   * When the page was opened by the issuer's redirect: exchanges the code for tokens and removes
   * the code and the round trip's secrets from the address and the session storage. Resolves to
   * true when signed in, false when this was no redirect; throws SignInError when it failed.
   */
  async completeSignIn(location) {
    const params = new URLSearchParams(location.search);
    if (!params.has('state') || !(params.has('code') || params.has('error'))) return false;
    const pendingText = sessionStorage.getItem(PENDING_KEY);
    sessionStorage.removeItem(PENDING_KEY);
    // The code is single-use and the verifier is gone: no reload or back button may replay them.
    window.history.replaceState(null, '', location.pathname);
    // The state first: an answer to no sign-in of this page (a crafted link) is refused before any
    // of its text, an error_description included, is read or shown.
    let pending = null;
    try {
      pending = pendingText ? JSON.parse(pendingText) : null;
    } catch {
      pending = null;
    }
    if (!pending || typeof pending.state !== 'string' || pending.state !== params.get('state')) {
      throw new SignInError('this sign-in was not started on this page (state mismatch): sign in again');
    }
    if (params.has('error')) {
      throw new SignInError('the sign-in service refused: ' + (params.get('error_description') || params.get('error')));
    }
    const metadata = await this.metadata();
    // RFC 9207: when the issuer names itself in the response, it must be the one we sent the user to.
    if (params.has('iss') && params.get('iss') !== metadata.issuer) {
      throw new SignInError('the sign-in response came from ' + params.get('iss') + ', not ' + metadata.issuer);
    }
    const tokens = await this.#tokenRequest(metadata, {
      grant_type: 'authorization_code',
      code: params.get('code'),
      redirect_uri: this.#redirectUri,
      code_verifier: pending.verifier,
    });
    const problem = idTokenProblem(tokens.idToken ? jwtClaims(tokens.idToken) : null,
      { issuer: metadata.issuer, clientId: this.#clientId, nonce: pending.nonce, now: Date.now() });
    if (problem) throw new SignInError(problem + ': sign in again');
    this.#accept(tokens);
    return true;
  }

  /** Forgets every token at once and returns the issuer's end-session URL to go to, if it has one. */
  async signOut(postLogoutRedirectUri) {
    const idToken = this.#tokens && this.#tokens.idToken;
    this.forget();
    const metadata = await this.metadata().catch(() => null);
    if (!metadata || !metadata.end_session_endpoint) return null;
    const url = new URL(metadata.end_session_endpoint);
    const query = { client_id: this.#clientId, post_logout_redirect_uri: postLogoutRedirectUri };
    if (idToken) query.id_token_hint = idToken;
    url.search = new URLSearchParams(query).toString();
    return url.toString();
  }

  forget() {
    clearTimeout(this.#renewTimer);
    this.#renewTimer = null;
    this.#tokens = null;
    sessionStorage.removeItem(PENDING_KEY);
  }

  async #tokenRequest(metadata, form) {
    let response;
    try {
      response = await fetch(metadata.token_endpoint, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body: new URLSearchParams({ client_id: this.#clientId, ...form }).toString(),
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch (e) {
      throw new SignInError('cannot reach the token endpoint (' + e.message + '); is this page\'s origin one of the '
        + 'client\'s web origins?');
    }
    const body = await response.json().catch(() => null);
    if (!response.ok || !body || typeof body.access_token !== 'string') {
      const reason = body && (body.error_description || body.error);
      throw new SignInError('the token endpoint refused: ' + (reason || 'HTTP ' + response.status));
    }
    return {
      accessToken: body.access_token,
      refreshToken: typeof body.refresh_token === 'string' ? body.refresh_token : null,
      idToken: typeof body.id_token === 'string' ? body.id_token : null,
      expiresAt: Date.now() + (Number(body.expires_in) || 60) * 1000,
    };
  }

  #accept(tokens) {
    // A refresh answer may omit the ID token: keep the one from sign-in for the end-session hint.
    this.#tokens = { ...tokens, idToken: tokens.idToken || (this.#tokens && this.#tokens.idToken) };
    this.#scheduleRenewal();
    this.#onTokens(this.#tokens);
  }

  #scheduleRenewal() {
    clearTimeout(this.#renewTimer);
    if (!this.#tokens.refreshToken) return;
    const delay = Math.max(1000, this.#tokens.expiresAt - Date.now() - RENEW_BEFORE_SECONDS * 1000);
    this.#renewTimer = setTimeout(() => this.renew(), delay);
  }

  /**
   * Exchanges the refresh token for new tokens now. Resolves to true when renewed; false when there
   * is nothing to renew with, or it failed (then the session is over: onExpired). Calls made while
   * one renewal runs share it: a refresh token is spent once.
   */
  renew() {
    if (!this.#tokens || !this.#tokens.refreshToken) return Promise.resolve(false);
    if (!this.#renewing) {
      this.#renewing = this.#renewOnce().finally(() => {
        this.#renewing = null;
      });
    }
    return this.#renewing;
  }

  /** Renews when the access token expires within RENEW_BEFORE_SECONDS, or has (a tab back from sleep). */
  renewIfDue() {
    if (!this.#tokens || this.#tokens.expiresAt - Date.now() > RENEW_BEFORE_SECONDS * 1000) return Promise.resolve(false);
    return this.renew();
  }

  async #renewOnce() {
    const previous = this.#tokens;
    try {
      const metadata = await this.metadata();
      const tokens = await this.#tokenRequest(metadata, { grant_type: 'refresh_token', refresh_token: previous.refreshToken });
      if (this.#tokens !== previous) return false; // signed out (or in again) meanwhile
      if (tokens.idToken) {
        const problem = idTokenProblem(jwtClaims(tokens.idToken), { issuer: metadata.issuer, clientId: this.#clientId,
          subject: previous.idToken ? (jwtClaims(previous.idToken) || {}).sub : undefined, now: Date.now() });
        if (problem) throw new SignInError(problem);
      }
      this.#accept(tokens);
      return true;
    } catch (e) {
      if (this.#tokens !== previous) return false;
      this.forget();
      this.#onExpired('The session could not be renewed (' + e.message + '). Sign in again.');
      return false;
    }
  }
}
