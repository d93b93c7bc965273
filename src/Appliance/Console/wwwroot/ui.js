// Small DOM helpers shared by every view: element building, notices, the confirm dialog, formats.

/** h('button', {type: 'button', onclick}, 'text', child...) -> element. Text is always text, never HTML. */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);

const ROLES = ['viewer', 'operator', 'admin'];
let currentRole = 'viewer';
export function setRole(role) { currentRole = role; }
/** True when the logged-in role is at least `least` (viewer < operator < admin). */
export const can = least => ROLES.indexOf(currentRole) >= ROLES.indexOf(least);

/** A message for the person at the device: errors stay until dismissed, the rest fade after 6 s. */
export function notify(text, kind = 'info') {
  const box = $('#notices');
  const close = h('button', { type: 'button', class: 'close', 'aria-label': 'Dismiss message' }, '×');
  const note = h('div', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, h('span', {}, text), close);
  close.addEventListener('click', () => note.remove());
  box.append(note);
  while (box.children.length > 5) box.firstElementChild.remove();
  if (kind !== 'error') setTimeout(() => note.remove(), 6000);
}

/** Runs an action and reports its failure in words: "Snapshot failed: Camera not found: virtual3". */
export async function attempt(what, action) {
  try { return await action(); }
  catch (e) { notify(`${what} failed: ${e.message}`, 'error'); return undefined; }
}

/** The confirm dialog; resolves true on Confirm. Focus returns to the opener afterwards. */
export function confirmDialog(text, okLabel = 'Confirm') {
  const dialog = $('#confirm');
  const opener = document.activeElement;
  $('#confirm-text').textContent = text;
  $('#confirm-ok').textContent = okLabel;
  dialog.returnValue = '';
  dialog.showModal();
  $('#confirm-cancel').focus(); // the safe choice has focus
  return new Promise(resolve => dialog.addEventListener('close', () => {
    resolve(dialog.returnValue === 'ok');
    if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
  }, { once: true }));
}

export function bytes(n) {
  if (n === null || n === undefined || Number.isNaN(n)) return '–';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
  return `${n.toFixed(i === 0 || n >= 100 ? 0 : 1)} ${units[i]}`;
}

export function seconds(s) {
  if (s === null || s === undefined) return '–';
  s = Math.round(s);
  const hh = Math.floor(s / 3600), mm = Math.floor(s / 60) % 60, ss = s % 60;
  return (hh ? `${hh}:${String(mm).padStart(2, '0')}` : `${mm}`) + `:${String(ss).padStart(2, '0')}`;
}

export const when = iso => iso ? new Date(iso).toLocaleString() : '–';
