// Independent verification of the broker's audit log, in the browser.
//
// What is checked, and against what:
//  - the checkpoint is a C2SP signed note (https://c2sp.org/signed-note): its text is
//    "origin\nsize\nbase64(root)\n", then a blank line, then lines "— name base64(keyid || sig)";
//  - the verifier key is "name+keyidhex+base64(0x01 || ed25519 public key)", and the key id is the
//    first 4 bytes of SHA-256(name || "\n" || 0x01 || public key);
//  - the signature is Ed25519 (WebCrypto) over the UTF-8 note text, final newline included;
//  - the root is the RFC 9162 Merkle tree hash of the leaves from /v1/audit/entries:
//    leaf = SHA-256(0x00 || record bytes), node = SHA-256(0x01 || left || right);
//  - each record's "index" is its position and its "prev" is the previous leaf's hash, so the
//    first record that was changed, removed, inserted or moved can be named.
//
// Nothing here touches the DOM; the page shows what verifyLog() reports.

const GENESIS = '0'.repeat(64);
const SIGNATURE_PREFIX = '\u2014 ';
const ENTRIES_PAGE = 1000;
const UTF8 = new TextEncoder();

/** A check that failed, with the sentence the page shows. */
export class VerificationError extends Error {}

export function hex(bytes) {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

export function base64ToBytes(text) {
  let binary;
  try {
    binary = atob(text);
  } catch {
    throw new VerificationError('"' + text.slice(0, 40) + '" is not valid base64');
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** SHA-256 through WebCrypto; absent outside secure contexts (plain http to a non-local host). */
export function hasWebCrypto() {
  return typeof crypto !== 'undefined' && crypto.subtle !== undefined;
}

async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}

const LEAF = Uint8Array.of(0);
const NODE = Uint8Array.of(1);

export function leafHash(recordBytes) {
  return sha256(concat(LEAF, recordBytes));
}

function nodeHash(left, right) {
  return sha256(concat(NODE, left, right));
}

/**
 * The RFC 9162 root of a tree, fed leaf hashes in order. Keeps one perfect subtree per set bit of
 * the size (at most 64 hashes), so a million leaves need no million-entry array of nodes.
 */
export class MerkleRoot {
  #stack = []; // [{size, hash}], sizes strictly decreasing
  #count = 0;

  async add(leaf) {
    let node = { size: 1, hash: leaf };
    while (this.#stack.length > 0 && this.#stack[this.#stack.length - 1].size === node.size) {
      const left = this.#stack.pop();
      node = { size: left.size * 2, hash: await nodeHash(left.hash, node.hash) };
    }
    this.#stack.push(node);
    this.#count++;
  }

  get size() {
    return this.#count;
  }

  /** MTH(D[n]): the largest power of two smaller than n goes left, so fold from the right. */
  async root() {
    if (this.#stack.length === 0) return sha256(new Uint8Array(0));
    let hash = this.#stack[this.#stack.length - 1].hash;
    for (let i = this.#stack.length - 2; i >= 0; i--) {
      hash = await nodeHash(this.#stack[i].hash, hash);
    }
    return hash;
  }
}

/** Parses "name+keyidhex+base64(0x01 || key)" and checks that the key id belongs to the key. */
export async function parseVerifierKey(text) {
  // name+keyid+key: the name has no '+', the base64 key may (split at the first two only).
  const match = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(text.trim());
  if (!match) {
    throw new VerificationError('the public key is not a note verifier key (name+keyid+base64key): "'
      + text.trim().slice(0, 80) + '"');
  }
  const [, name, keyIdHex, keyBase64] = match;
  const typedKey = base64ToBytes(keyBase64);
  if (typedKey.length !== 33 || typedKey[0] !== 0x01) {
    throw new VerificationError('the public key is not an Ed25519 key (type 0x01 and 32 bytes)');
  }
  const keyId = (await sha256(concat(UTF8.encode(name + '\n'), typedKey))).slice(0, 4);
  if (hex(keyId) !== keyIdHex) {
    throw new VerificationError('the public key\'s id ' + keyIdHex + ' does not match its key (expected '
      + hex(keyId) + ')');
  }
  return { name, keyId, publicKey: typedKey.slice(1), text: text.trim() };
}

/** Splits a signed note into its text and signature lines and reads the checkpoint lines. */
export function parseCheckpoint(note) {
  if (!note.endsWith('\n')) throw new VerificationError('the checkpoint does not end with a newline');
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new VerificationError('the checkpoint has no blank line before its signatures');
  const body = note.slice(0, split + 1);
  const signatures = note.slice(split + 2, -1).split('\n').map((line) => {
    if (!line.startsWith(SIGNATURE_PREFIX)) {
      throw new VerificationError('malformed signature line "' + line.slice(0, 80) + '"');
    }
    const rest = line.slice(SIGNATURE_PREFIX.length);
    const space = rest.lastIndexOf(' ');
    if (space <= 0) throw new VerificationError('malformed signature line "' + line.slice(0, 80) + '"');
    return { name: rest.slice(0, space), value: rest.slice(space + 1) };
  });
  const lines = body.slice(0, -1).split('\n');
  if (lines.length < 3) throw new VerificationError('the checkpoint text has ' + lines.length + ' lines, needs 3');
  const [origin, sizeText, rootBase64] = lines;
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText)) {
    throw new VerificationError('the checkpoint\'s tree size "' + sizeText + '" is not a number');
  }
  const root = base64ToBytes(rootBase64);
  if (root.length !== 32) throw new VerificationError('the checkpoint\'s root is not 32 bytes');
  return { body, signatures, origin, size: Number(sizeText), root };
}

/**
 * Checks the note's signature by the key. Returns {checked: true} when valid, {checked: false,
 * reason} when this browser cannot check Ed25519; throws VerificationError when it is invalid.
 */
export async function verifySignature(checkpoint, key) {
  const line = checkpoint.signatures.find((s) => s.name === key.name);
  if (!line) {
    throw new VerificationError('the checkpoint carries no signature by ' + key.name + ' (signed by: '
      + (checkpoint.signatures.map((s) => s.name).join(', ') || 'nobody') + ')');
  }
  const value = base64ToBytes(line.value);
  if (value.length !== 68) throw new VerificationError('the signature by ' + key.name + ' is not 4 + 64 bytes');
  if (!equalBytes(value.slice(0, 4), key.keyId)) {
    throw new VerificationError('the signature by ' + key.name + ' names key id ' + hex(value.slice(0, 4))
      + ', not the published key ' + hex(key.keyId));
  }
  let publicKey;
  try {
    publicKey = await crypto.subtle.importKey('raw', key.publicKey, { name: 'Ed25519' }, false, ['verify']);
  } catch (e) {
    return { checked: false, reason: 'this browser\'s WebCrypto cannot check Ed25519 signatures ('
      + (e && e.name ? e.name : String(e)) + ')' };
  }
  const valid = await crypto.subtle.verify({ name: 'Ed25519' }, publicKey, value.slice(4), UTF8.encode(checkpoint.body));
  if (!valid) {
    throw new VerificationError('the checkpoint signature by ' + key.name + ' is INVALID: the note was altered or '
      + 'signed by another key');
  }
  return { checked: true };
}

/**
 * Verifies the log end to end. {@code api(path)} fetches JSON; {@code text(path)} fetches text;
 * {@code progress(done, total)} reports entries hashed. Resolves to a report:
 * {ok, signature: {checked, reason?}, checkpoint, key, size, computedRoot, problems: [sentences]}.
 * Problems are the checks that failed; a report with none and an unchecked signature is partial.
 */
export async function verifyLog({ api, text, progress = () => {}, cancelled = () => false }) {
  if (!hasWebCrypto()) {
    throw new VerificationError('this page has no WebCrypto (browsers offer it only over HTTPS or on localhost), '
      + 'so it cannot hash or check anything: open the broker over HTTPS or use `sluice audit verify`');
  }
  const [note, keyText] = await Promise.all([text('/v1/audit/checkpoint'), text('/v1/audit/public-key')]);
  const key = await parseVerifierKey(keyText);
  const checkpoint = parseCheckpoint(note);
  const problems = [];
  let signature;
  try {
    signature = await verifySignature(checkpoint, key);
  } catch (e) {
    if (!(e instanceof VerificationError)) throw e;
    signature = { checked: false, failed: true };
    problems.push(e.message);
  }

  const tree = new MerkleRoot();
  let previousLeaf = GENESIS;
  let firstBroken = null;
  const decoder = new TextDecoder('utf-8', { fatal: false });
  for (let start = 0; start < checkpoint.size && firstBroken === null; start += ENTRIES_PAGE) {
    if (cancelled()) throw new VerificationError('verification was stopped');
    const end = Math.min(start + ENTRIES_PAGE, checkpoint.size);
    const page = await api('/v1/audit/entries?start=' + start + '&end=' + end);
    const entries = page.entries || [];
    const leaves = entries.map((e) => base64ToBytes(e.leaf));
    const hashes = await Promise.all(leaves.map(leafHash));
    for (let i = 0; i < end - start; i++) {
      const index = start + i;
      const entry = entries[i];
      if (!entry || entry.index !== index) {
        firstBroken = 'record ' + index + ' is missing from the log\'s entries (deleted, or the order was changed)';
        break;
      }
      let record = null;
      try {
        record = JSON.parse(decoder.decode(leaves[i]));
      } catch {
        firstBroken = 'record ' + index + ' is not valid JSON: it was modified';
        break;
      }
      if (record.index !== index) {
        firstBroken = 'the record at position ' + index + ' says it is record ' + record.index
          + ': records were inserted, deleted or reordered';
        break;
      }
      if (record.prev !== previousLeaf) {
        firstBroken = index === 0
          ? 'record 0 does not start the chain (its prev is not the genesis value): it was modified'
          : 'record ' + (index - 1) + ' was modified, or a record was inserted or deleted after it: record '
            + index + ' names ' + shortHash(record.prev) + ' as the previous leaf, but record ' + (index - 1)
            + ' now hashes to ' + shortHash(previousLeaf);
        break;
      }
      previousLeaf = hex(hashes[i]);
      await tree.add(hashes[i]);
    }
    progress(Math.min(end, tree.size), checkpoint.size);
  }
  let computedRoot = null;
  if (firstBroken !== null) {
    problems.push(firstBroken);
  } else {
    computedRoot = await tree.root();
    if (!equalBytes(computedRoot, checkpoint.root)) {
      problems.push('the root recomputed from the ' + checkpoint.size + ' records (' + hex(computedRoot)
        + ') differs from the signed root (' + hex(checkpoint.root) + '): the last record was modified, '
        + 'or records were changed without breaking their links');
    }
  }
  return {
    ok: problems.length === 0 && signature.checked,
    signature,
    checkpoint,
    key,
    size: checkpoint.size,
    computedRoot,
    problems,
  };
}

function shortHash(h) {
  return typeof h === 'string' ? h.slice(0, 16) + '…' : String(h);
}

/**
 * RFC 8785 (JSON Canonicalization Scheme) of a parsed record: keys sorted by UTF-16 code units,
 * no whitespace; strings and numbers as ECMAScript's JSON.stringify writes them, which is what the
 * RFC specifies. The broker stores each record in this form, so hashing it gives the leaf.
 */
export function canonicalJson(value) {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return '[' + value.map(canonicalJson).join(',') + ']';
  const keys = Object.keys(value).sort();
  return '{' + keys.map((k) => JSON.stringify(k) + ':' + canonicalJson(value[k])).join(',') + '}';
}

/** The leaf hash of a record as GET /v1/audit returns it (less the leafHash the broker adds beside it). */
export function recordLeafHash(record) {
  const stored = { ...record };
  delete stored.leafHash;
  return leafHash(UTF8.encode(canonicalJson(stored)));
}

/**
 * RFC 9162 section 2.1.3.2: whether {@code proof} (leaf to root, base64 hashes) leads from the
 * leaf at {@code index} of a tree of {@code size} leaves to {@code root}.
 */
export async function verifyInclusion(index, size, leaf, proof, root) {
  if (index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    const sibling = base64ToBytes(p);
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(sibling, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = await nodeHash(r, sibling);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalBytes(r, root);
}

/**
 * How many inclusion proofs a data owner's page asks for at once: a page of 500 records must not
 * open 500 requests against the broker (browsers queue them per host anyway, behind everything else).
 */
export const PROOF_REQUESTS_AT_ONCE = 6;

/** Runs {@code work(item)} for every item, at most {@code limit} at a time; resolves when all have, rejects on the first failure. */
export async function eachAtMost(limit, items, work) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Checks each record against the signed checkpoint without reading the whole log (what a data
 * owner, who may read only their own datasets' records, can check): the checkpoint's signature,
 * then per record its leaf hash recomputed from its content and the broker's inclusion proof to
 * the signed root. Resolves to {checkpoint, key, signature, results: Map(index -> {ok, reason})}.
 */
export async function verifyRecords({ api, text, records }) {
  if (!hasWebCrypto()) {
    throw new VerificationError('this page has no WebCrypto (browsers offer it only over HTTPS or on localhost)');
  }
  const [note, keyText] = await Promise.all([text('/v1/audit/checkpoint'), text('/v1/audit/public-key')]);
  const key = await parseVerifierKey(keyText);
  const checkpoint = parseCheckpoint(note);
  const signature = await verifySignature(checkpoint, key); // throws when invalid
  const results = new Map();
  if (!signature.checked) {
    // A root nobody vouched for proves nothing: say why instead of "verified".
    for (const record of records) results.set(record.index, { ok: false, reason: 'signature not checked: ' + signature.reason });
    return { checkpoint, key, signature, results };
  }
  await eachAtMost(PROOF_REQUESTS_AT_ONCE, records, async (record) => {
    const index = record.index;
    if (!Number.isSafeInteger(index) || index < 0) {
      results.set(index, { ok: false, reason: 'the record has no valid index' });
      return;
    }
    if (index >= checkpoint.size) {
      results.set(index, { ok: false, reason: 'not yet covered by a signed checkpoint (size ' + checkpoint.size + ')' });
      return;
    }
    const leaf = await recordLeafHash(record);
    if (typeof record.leafHash === 'string' && record.leafHash !== hex(leaf)) {
      results.set(index, { ok: false, reason: 'the record\'s content does not hash to the leaf the broker names: it was modified' });
      return;
    }
    const proof = await api('/v1/audit/proof/inclusion?index=' + index + '&size=' + checkpoint.size);
    const included = await verifyInclusion(index, checkpoint.size, leaf, proof.hashes || [], checkpoint.root);
    results.set(index, included
      ? { ok: true, reason: 'included in the checkpoint signed at size ' + checkpoint.size + ' (root ' + hex(checkpoint.root) + ')' }
      : { ok: false, reason: 'NOT included in the signed checkpoint: the record or the log was altered' });
  });
  return { checkpoint, key, signature, results };
}
