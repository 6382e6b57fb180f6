// What the page knows about the signed-in user and their work, in memory only: nothing here is
// ever written to web storage, and sign-out (session.js) puts every field back.

export const state = {
  config: null,       // GET /ui/audit/config.json: {signIn: oidc|development|token, issuer?, clientId?}
  oidc: null,         // the OidcClient when the broker trusts an issuer
  token: null,        // the access token
  who: null,          // what the token says about its holder, for display and the page's mode
  session: 0,         // bumps at every sign-in and sign-out: answers for an earlier session are dropped
  runs: { records: 0, verify: 0, dataset: 0, summary: 0, dialog: 0, export: 0 }, // the latest request of each kind
  query: {},          // the applied filters
  cursors: [],        // the "after" of each page shown so far; the last is the current page's
  next: null,         // the cursor of the page after this one, or null
  records: [],        // the current page
  labels: new Map(),  // dataset id -> {name, organisation}, from the pages read so far
  proofs: new Map(),  // record index -> {ok, reason} (data owners)
  exportUrls: [],     // blob: URLs of the prepared export, revoked on sign-out
};

/**
 * Starts a request of {@code kind} (a key of {@code state.runs}) and returns its check for late
 * answers: true while the session that asked is still signed in and no newer request of that kind
 * was made. Every view checks it after each await, before it touches the page, so that an answer
 * arriving after sign-out (or after the user moved on) never repaints.
 */
export function startRun(kind) {
  const session = state.session;
  const run = ++state.runs[kind];
  return () => session === state.session && run === state.runs[kind];
}

/** Whether the check of a run of {@code kind} started earlier is still the latest (without starting one). */
export function currentRun(kind) {
  const session = state.session;
  const run = state.runs[kind];
  return () => session === state.session && run === state.runs[kind];
}

/** A data owner who is not also a compliance officer checks records one by one, not the whole log. */
export function ownerMode() {
  return Boolean(state.who && !state.who.roles.includes('compliance-officer'));
}

export function label(id) {
  return typeof id === 'string' ? state.labels.get(id) : undefined;
}

/** Keeps the dataset names a page of records came with ({datasets: {id: {name, organisation}}}). */
export function rememberLabels(page) {
  const names = page && page.datasets && typeof page.datasets === 'object' ? page.datasets : {};
  for (const [id, value] of Object.entries(names)) {
    if (value && typeof value.name === 'string') {
      state.labels.set(id, { name: value.name, organisation: value.organisation == null ? '' : String(value.organisation) });
    }
  }
}

/** "name (organisation)" when the dataset's name is known, else its id. */
export function datasetText(id) {
  const known = label(id);
  return known ? known.name + ' (' + known.organisation + ')' : (id == null ? '' : String(id));
}
