// DOM helpers for the compliance page. Every value from the broker goes into the DOM as text
// (textContent, createElement), never as HTML: records carry user-controlled strings.

export const NUMBER = new Intl.NumberFormat('en-US');

export const $ = (id) => document.getElementById(id);

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'className') node.className = value;
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** Shows a message in {@code node}, or hides it when there is none. */
export function show(node, message) {
  node.textContent = message || '';
  node.hidden = !message;
}

/** Adds a term and its value to a definition list; nothing when there is no value. */
export function fact(list, label, value, field) {
  if (value === undefined || value === null || value === '') return;
  list.append(el('dt', {}, label), el('dd', { dataset: field ? { field } : undefined }, value));
}

export function count(n) {
  return typeof n === 'number' ? NUMBER.format(n) : '';
}

export function byteSize(n) {
  if (typeof n !== 'number') return '';
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = -1;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit < 0 ? NUMBER.format(n) + ' B' : value.toFixed(1) + ' ' + units[unit];
}

/** An RFC 3339 UTC time shown to the second; the full value is the element's datetime and tooltip. */
export function time(iso) {
  if (typeof iso !== 'string') return '';
  const shown = iso.replace('T', ' ').replace('Z', '').replace(/\.\d+$/, '');
  return el('time', { datetime: iso, title: iso }, shown);
}

export function text(value) {
  if (value === undefined || value === null) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** Shows one of the workspace's views: records (with the verification card), dataset or summary. */
export function showView(name) {
  $('records').hidden = name !== 'records';
  $('verification').hidden = name !== 'records';
  $('dataset-view').hidden = name !== 'dataset';
  $('summary').hidden = name !== 'summary';
  for (const [tab, view] of [['tab-records', 'records'], ['tab-summary', 'summary'], ['tab-dataset', 'dataset']]) {
    $(tab).setAttribute('aria-pressed', String(name === view));
  }
}
