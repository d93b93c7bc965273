// Camera cards: state from get_camera_list / get_camera_status, kept current by events; snapshot
// and recording controls for operators; the live view (live.js) per card.
import { h, can, attempt, notify, bytes, seconds } from './ui.js';
import { LiveView } from './live.js';

const STATUS_WORDS = { CONNECTED: 'Connected', DISCONNECTED: 'Unplugged', ERROR: 'Error' };

class CameraCard {
  constructor(owner, camera) {
    this.owner = owner;
    this.device = camera.device;
    this.live = null;
    this.el = h('article', { class: 'card camera', dataset: { device: camera.device }, 'aria-labelledby': this.id('name') });
    this.render(camera);
  }

  id(part) { return `cam-${this.device.replace(/[^a-z0-9]/gi, '_')}-${part}`; }
  get rpc() { return this.owner.rpc; }

  render(c) {
    this.camera = { ...this.camera, ...c };
    c = this.camera;
    const connected = c.status === 'CONNECTED';
    if (!this.summary) this.build();
    if (!connected) this.stopLive();
    this.readers = h('span', { class: 'readers' }, String(c.readers ?? '–'));
    this.recordingState = h('span', { class: 'recording-state' }, c.recording ? 'Recording' : 'Not recording');
    // The summary is redrawn on every change; the live view and the controls below it stay as they are.
    this.summary.replaceChildren(
      h('header', {},
        h('h2', { id: this.id('name') }, c.name || c.device),
        h('span', { class: `badge status-${(c.status || '').toLowerCase()}` }, STATUS_WORDS[c.status] ?? c.status)),
      h('dl', { class: 'facts' },
        h('dt', {}, 'Device'), h('dd', {}, c.device),
        h('dt', {}, 'Picture'), h('dd', {}, c.resolution ? `${c.resolution} @ ${c.fps} fps` : '–'),
        h('dt', {}, 'Recording'), h('dd', {}, this.recordingState, ' ', this.progress),
        h('dt', {}, 'Viewers'), h('dd', {}, this.readers)),
      ...(c.error ? [h('p', { class: 'message error-text' }, c.error)] : []));
    this.controls.hidden = !connected;
    this.showRecording(c.recording);
  }

  /** The parts that live as long as the card: summary, live view, controls (by role), last snapshot. */
  build() {
    this.summary = h('div', { class: 'summary' });
    this.progress = h('span', { class: 'progress', 'aria-live': 'polite' });
    this.liveBox = h('div', { class: 'live', hidden: true });
    this.liveButton = h('button', { type: 'button', class: 'watch', 'aria-expanded': 'false', onclick: () => this.toggleLive() }, 'Watch live');
    this.controls = h('div', { class: 'controls' }, h('div', { class: 'row' }, this.liveButton), this.liveBox,
      can('operator') ? [this.snapshotControls(), this.recordingControls()] : null);
    this.snapshotResult = h('div', { class: 'snapshot-result' });
    this.el.replaceChildren(this.summary, this.controls, this.snapshotResult);
  }

  snapshotControls() {
    const form = h('form', { class: 'snapshot-form' },
      h('fieldset', {},
        h('legend', {}, 'Snapshot'),
        h('label', {}, 'Format ', h('select', { name: 'format' }, h('option', { value: 'jpg' }, 'JPEG'), h('option', { value: 'png' }, 'PNG'))),
        h('label', {}, 'Quality ', h('input', { name: 'quality', type: 'number', min: '1', max: '100', value: '85', inputmode: 'numeric' })),
        h('label', {}, 'Width ', h('input', { name: 'max_width', type: 'number', min: '16', max: '3840', placeholder: 'full', inputmode: 'numeric' })),
        h('button', { type: 'submit', class: 'take-snapshot' }, 'Take snapshot')));
    form.addEventListener('submit', e => { e.preventDefault(); this.takeSnapshot(form); });
    return form;
  }

  async takeSnapshot(form) {
    const button = form.querySelector('button');
    button.disabled = true;
    const params = { device: this.device, format: form.format.value };
    if (form.format.value === 'jpg' && form.quality.value) params.quality = Number(form.quality.value);
    if (form.max_width.value) params.max_width = Number(form.max_width.value);
    const r = await attempt('Snapshot', () => this.rpc.call('take_snapshot', params));
    button.disabled = false;
    if (!r) return;
    if (r.success === false || r.status === 'FAILED') { notify(`Snapshot failed: ${r.error ?? 'no reason given'}`, 'error'); return; }
    const url = `/files/snapshots/${encodeURIComponent(r.filename)}`;
    this.snapshotResult.replaceChildren(
      h('figure', {},
        h('img', { class: 'snapshot-image', src: url, alt: `Snapshot ${r.filename}` }),
        h('figcaption', {}, `${r.filename} (${bytes(r.file_size)}) `, h('a', { href: url, download: r.filename }, 'Download'))));
  }

  recordingControls() {
    const duration = h('input', { name: 'duration', type: 'number', min: '1', max: '86400', placeholder: 'until stopped', inputmode: 'numeric' });
    this.startButton = h('button', { type: 'submit', class: 'start-recording' }, 'Start recording');
    this.stopButton = h('button', { type: 'button', class: 'stop-recording danger', onclick: () => this.stopRecording() }, 'Stop recording');
    const form = h('form', { class: 'recording-form' },
      h('fieldset', {}, h('legend', {}, 'Recording'), h('label', {}, 'Duration (s) ', duration), this.startButton, this.stopButton));
    form.addEventListener('submit', e => { e.preventDefault(); this.startRecording(duration.value); });
    return form;
  }

  async startRecording(duration) {
    const params = { device: this.device };
    if (duration) params.duration = Number(duration);
    this.startButton.disabled = true;
    const r = await attempt('Start recording', () => this.rpc.call('start_recording', params));
    if (r) { this.camera.recording = true; this.showRecording(true, r.filename); }
    else this.startButton.disabled = false;
  }

  async stopRecording() {
    this.stopButton.disabled = true;
    const r = await attempt('Stop recording', () => this.rpc.call('stop_recording', { device: this.device }));
    if (r) { this.camera.recording = false; this.showRecording(false); this.progress.textContent = `saved ${r.filename} (${seconds(r.duration)}, ${bytes(r.file_size)})`; }
    else this.stopButton.disabled = false;
  }

  showRecording(on, filename) {
    this.recordingState.textContent = on ? 'Recording' : 'Not recording';
    this.el.classList.toggle('is-recording', !!on);
    if (on && filename) this.progress.textContent = filename;
    if (this.startButton) { this.startButton.disabled = !!on; this.stopButton.disabled = !on; }
  }

  onRecording(p) {
    if (p.status === 'STARTED') { this.camera.recording = true; this.showRecording(true, p.filename); }
    else if (p.status === 'STOPPED' || p.status === 'FAILED') {
      this.camera.recording = !!p.restarting;
      this.showRecording(this.camera.recording);
      const why = p.status === 'FAILED' ? `failed: ${p.error ?? p.reason ?? 'no reason given'}` : `stopped${p.reason ? ` (${p.reason.replaceAll('_', ' ')})` : ''}`;
      this.progress.textContent = `${p.filename ?? ''} ${why}`.trim();
      if (p.status === 'FAILED') notify(`Recording on ${this.camera.name || this.device} ${why}`, 'error');
    }
  }

  onProgress(p) {
    this.showRecording(true);
    this.progress.textContent = `${seconds(p.duration)} · ${bytes(p.file_size)}`;
    this.progress.dataset.duration = p.duration;
    this.progress.dataset.size = p.file_size;
  }

  setReaders(n) { this.camera.readers = n; this.readers.textContent = String(n); }

  toggleLive() {
    if (this.live) { this.stopLive(); return; }
    this.liveBox.hidden = false;
    this.liveButton.textContent = 'Stop live view';
    this.liveButton.setAttribute('aria-expanded', 'true');
    this.live = new LiveView(this.liveBox, this.rpc, this.device, this.camera.name || this.device);
    this.live.start();
  }

  stopLive() {
    this.live?.stop();
    this.live = null;
    if (this.liveBox) { this.liveBox.hidden = true; this.liveBox.replaceChildren(); }
    if (this.liveButton) { this.liveButton.textContent = 'Watch live'; this.liveButton.setAttribute('aria-expanded', 'false'); }
  }
}

export class Cameras {
  constructor(container) {
    this.container = container;
    this.cards = new Map();
    this.rpc = null;
  }

  attach(rpc) { this.rpc = rpc; }

  async load() {
    const list = await attempt('Loading the cameras', () => this.rpc.call('get_camera_list'));
    if (!list) return;
    const seen = new Set();
    for (const c of list.cameras) { seen.add(c.device); this.upsert(c); }
    for (const device of [...this.cards.keys()]) if (!seen.has(device)) this.remove(device);
    this.container.setAttribute('aria-busy', 'false');
    this.updateEmpty();
    // Readers: the per-camera metric (stream.status events keep it current).
    for (const c of list.cameras.filter(c => c.status === 'CONNECTED')) {
      this.rpc.call('get_camera_status', { device: c.device }).then(s => this.cards.get(c.device)?.setReaders(s.metrics?.readers ?? 0), () => {});
    }
  }

  upsert(camera) {
    let card = this.cards.get(camera.device);
    if (card) { card.render(camera); return; }
    card = new CameraCard(this, camera);
    this.cards.set(camera.device, card);
    this.container.append(card.el);
  }

  remove(device) {
    const card = this.cards.get(device);
    card?.stopLive();
    card?.el.remove();
    this.cards.delete(device);
  }

  updateEmpty() { document.getElementById('cameras-empty').hidden = this.cards.size > 0; }

  stopAll() { for (const card of this.cards.values()) card.stopLive(); }

  /** At logout: the next login may have another role, so its cards are built anew. */
  reset() {
    this.stopAll();
    this.cards.clear();
    this.container.replaceChildren();
    this.container.setAttribute('aria-busy', 'true');
  }

  onEvent(method, p) {
    if (method === 'camera_status_update') {
      // A camera that went away for good (virtual camera removed from the config) is a fresh list.
      const { event, ...camera } = p;
      this.upsert(camera);
      this.updateEmpty();
      // A camera that went away for good (a virtual camera taken out of the config) leaves the list:
      // the list is asked again rather than guessed from the event.
      if (event === 'camera.disconnected') this.load();
      return;
    }
    const card = this.cards.get(p.device);
    if (!card) return;
    if (method === 'recording_status_update') card.onRecording(p);
    else if (method === 'recording_progress_update') card.onProgress(p);
    else if (method === 'stream_status_update') card.setReaders(p.readers ?? 0);
  }
}
