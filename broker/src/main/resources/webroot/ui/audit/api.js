// Calls to the broker with the signed-in user's token, and the broker's error answers.

import { rememberLabels, state } from './state.js';

/** How many records the per-dataset view and the summary read at most (10 pages of 1000). */
export const SCAN_PAGES = 10;

/** An error answer from the broker: {code, error, message, requestId}. */
export class ApiError extends Error {
  constructor(status, body, path) {
    const message = body && typeof body.message === 'string' ? body.message : 'HTTP ' + status + ' from ' + path;
    super(message);
    this.status = status;
    this.code = body && body.error;
    this.requestId = body && body.requestId;
  }

  /** The sentence shown to the user: the broker's message, its error name and the request id to quote. */
  describe() {
    const extra = [this.code, this.requestId ? 'request ' + this.requestId : null].filter(Boolean).join(', ');
    return this.message + (extra ? ' (' + extra + ')' : '');
  }
}

export function describe(e) {
  return e instanceof ApiError ? e.describe() : (e && e.message) || String(e);
}

/**
 * What to do when the broker refuses the token (401): {@code handler(error, mayRetry)} resolves to
 * true when the request should be sent again (the session renewed its token), false when the
 * session is over. session.js sets it.
 */
let refused = async () => false;

export function whenRefused(handler) {
  refused = handler;
}

/**
 * GET {@code path}. A 401 is retried once, after one silent renewal of the token (or with the token
 * a renewal meanwhile brought); a second 401, or a renewal that failed, ends the session.
 */
export async function request(path, accept, mayRetry = true) {
  const session = state.session;
  const token = state.token;
  const headers = { Accept: accept };
  if (token) headers.Authorization = 'Bearer ' + token;
  let response;
  try {
    response = await fetch(path, { headers, cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer' });
  } catch (e) {
    throw new Error('cannot reach the broker (' + e.message + ')');
  }
  if (!response.ok) {
    let body = null;
    try {
      body = await response.json();
    } catch {
      // not JSON: the status line says enough
    }
    const error = new ApiError(response.status, body, path);
    // A 401 for no token, or for a token of an earlier session, ends nothing.
    if (response.status === 401 && token && session === state.session) {
      if (mayRetry && state.token && state.token !== token) return request(path, accept, false); // renewed meanwhile
      if (await refused(error, mayRetry)) return request(path, accept, false);
    }
    throw error;
  }
  return response;
}

export const api = async (path) => (await request(path, 'application/json')).json();
export const apiText = async (path) => (await request(path, 'text/plain')).text();

/**
 * Every record matching {@code query}, NEWEST first, at most SCAN_PAGES pages of 1000: when the
 * log holds more, the oldest are the ones left out, never recent activity. Resolves to
 * {records, truncated}; with {@code truncated}, {@code records} covers only the time since its
 * oldest record.
 */
export async function scanNewest(query) {
  const records = [];
  let after = -1;
  for (let page = 0; page < SCAN_PAGES; page++) {
    const params = new URLSearchParams({ ...query, order: 'newest', limit: '1000' });
    if (after >= 0) params.set('after', String(after));
    const answer = await api('/v1/audit?' + params);
    rememberLabels(answer);
    records.push(...(answer.records || []));
    if (typeof answer.next !== 'number') return { records, truncated: false };
    after = answer.next;
  }
  return { records, truncated: true };
}
