// Recordings and snapshots: list_recordings / list_snapshots (newest first, paged), play or view
// in the page, download, delete (operator) after a confirmation.
import { h, $, can, attempt, confirmDialog, notify, bytes, seconds, when } from './ui.js';

const PAGE = 20;

export class Files {
  constructor() {
    this.kind = 'recordings';
    this.loads = 0; // listings asked for; only the latest one is drawn
    this.offset = 0;
    this.total = 0;
    this.rpc = null;
    for (const b of document.querySelectorAll('.kind')) b.addEventListener('click', () => this.select(b.dataset.kind));
    $('#files-refresh').addEventListener('click', () => this.load());
    $('#files-prev').addEventListener('click', () => { this.offset = Math.max(0, this.offset - PAGE); this.load(); });
    $('#files-next').addEventListener('click', () => { this.offset += PAGE; this.load(); });
  }

  attach(rpc) { this.rpc = rpc; }

  show() { this.visible = true; this.load(); }

  select(kind) {
    this.kind = kind;
    this.offset = 0;
    for (const b of document.querySelectorAll('.kind')) b.setAttribute('aria-pressed', String(b.dataset.kind === kind));
    $('#files-caption').textContent = `${kind === 'recordings' ? 'Recordings' : 'Snapshots'}, newest first`;
    this.closeViewer();
    this.load();
  }

  async load() {
    const kind = this.kind, seq = ++this.loads;
    const method = kind === 'recordings' ? 'list_recordings' : 'list_snapshots';
    const r = await attempt(`Listing ${kind}`, () => this.rpc.call(method, { limit: PAGE, offset: this.offset }));
    // A tap on the other kind (or another page) while this listing was on its way: that one draws.
    if (!r || seq !== this.loads) return;
    this.total = r.total;
    if (this.offset > 0 && this.offset >= r.total) { this.offset = Math.max(0, r.total - PAGE); return this.load(); }
    const rows = r.files.map(f => this.row(f));
    if (!rows.length) rows.push(h('tr', {}, h('td', { colspan: '4', class: 'empty' }, `No ${this.kind} yet.`)));
    $('#file-rows').replaceChildren(...rows);
    $('#file-rows').dataset.kind = kind; // what the rows are (scripts and tests wait on it)
    const last = Math.min(r.total, this.offset + r.files.length);
    $('#files-page').textContent = r.total ? `${this.offset + 1}–${last} of ${r.total}` : '';
    $('#files-prev').disabled = this.offset === 0;
    $('#files-next').disabled = last >= r.total;
  }

  row(f) {
    const isRecording = this.kind === 'recordings';
    const actions = [
      h('button', { type: 'button', class: isRecording ? 'play' : 'view', onclick: () => this.open(f) }, isRecording ? 'Play' : 'View'),
      h('a', { class: 'button', href: f.download_url, download: f.filename }, 'Download'),
    ];
    if (can('operator')) actions.push(h('button', { type: 'button', class: 'delete danger', onclick: () => this.remove(f) }, 'Delete'));
    return h('tr', { dataset: { filename: f.filename } },
      h('td', { class: 'name' }, f.filename, isRecording && f.duration != null ? h('span', { class: 'sub' }, ` ${seconds(f.duration)}`) : null),
      h('td', {}, bytes(f.file_size)),
      h('td', {}, when(f.modified_time)),
      h('td', { class: 'actions' }, actions));
  }

  open(f) {
    const viewer = $('#file-viewer');
    const media = this.kind === 'recordings'
      ? h('video', { class: 'file-video', src: f.download_url, controls: true, preload: 'metadata', playsInline: true })
      : h('img', { class: 'file-image', src: f.download_url, alt: f.filename });
    media.addEventListener('error', () => notify(`${f.filename} cannot be shown: ${media.error?.message || 'the browser could not load it'}`, 'error'));
    viewer.replaceChildren(h('div', { class: 'row' }, h('strong', {}, f.filename),
      h('button', { type: 'button', class: 'close-viewer', onclick: () => this.closeViewer() }, 'Close')), media);
    viewer.hidden = false;
    viewer.querySelector('button').focus();
  }

  closeViewer() {
    const viewer = $('#file-viewer');
    viewer.querySelector('video')?.pause();
    viewer.replaceChildren();
    viewer.hidden = true;
  }

  async remove(f) {
    if (!await confirmDialog(`Delete ${f.filename}? This cannot be undone.`, 'Delete')) return;
    const method = this.kind === 'recordings' ? 'delete_recording' : 'delete_snapshot';
    const r = await attempt(`Deleting ${f.filename}`, () => this.rpc.call(method, { filename: f.filename }));
    if (r) { notify(r.message ?? `${f.filename} deleted`); this.closeViewer(); this.load(); }
  }

  onEvent(method) {
    // New files appear while the list is on screen (and on its first page).
    if (!this.visible || $('#tab-files').hidden || this.offset !== 0) return;
    if ((method === 'snapshot_taken' && this.kind === 'snapshots') ||
        (method === 'recording_status_update' && this.kind === 'recordings')) this.load();
  }
}
