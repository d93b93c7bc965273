// System: health per component, storage and retention, server info, updates, reboot (admin);
// the LED state and a virtual button press. Everything admin-only is not even drawn for others.
import { h, can, attempt, confirmDialog, notify, bytes, seconds, when } from './ui.js';

const section = (title, ...body) => h('section', { class: 'card', 'aria-label': title }, h('h2', {}, title), ...body);
const facts = pairs => h('dl', { class: 'facts' }, pairs.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? '–')]));

export class SystemView {
  constructor(container) { this.container = container; this.rpc = null; }

  attach(rpc) { this.rpc = rpc; }

  async show() {
    // The LEDs are polled while this tab is on screen (a blinking LED's "on" changes every ~0.5 s).
    clearInterval(this.ledTimer);
    this.ledTimer = setInterval(() => {
      if (this.container.closest('[hidden]') || !this.container.isConnected) clearInterval(this.ledTimer);
      else this.ledPart?.load();
    }, 2000);
    const parts = [this.leds()];
    if (can('admin')) parts.unshift(this.health(), this.storage(), this.updates(), this.server());
    else parts.push(h('p', { class: 'hint' }, 'Health, storage, updates and the service details need the admin role.'));
    this.container.replaceChildren(...parts.map(p => p.el));
    await Promise.all(parts.map(p => p.load()));
  }

  onEvent(method, p) {
    if (this.container.closest('[hidden]')) return;
    if (method === 'system_health_update' && this.healthPart) this.healthPart.load();
    if (method === 'update_progress' && this.progress) {
      this.progress.value = p.percent ?? 0;
      this.progressText.textContent = `${p.status}: ${p.percent ?? 0}% ${p.message ?? ''}${p.error ? ` — ${p.error}` : ''}`;
      if (p.status === 'failed') notify(`Update failed: ${p.error ?? p.message}`, 'error');
      if (p.status === 'succeeded') notify('Update installed; reboot to use it.');
    }
    if (method === 'button_pressed' && this.ledPart) this.ledPart.load();
  }

  health() {
    const body = h('div', {});
    const part = { el: section('Health', body), load: async () => {
      const s = await attempt('Reading the health', () => this.rpc.call('get_status'));
      if (!s) return;
      const rows = Object.entries(s.components ?? {}).map(([name, state]) =>
        h('tr', {}, h('th', { scope: 'row' }, name.replaceAll('_', ' ')), h('td', { class: `state-${state}` }, state),
          h('td', {}, s.component_details?.[name] ?? '')));
      body.replaceChildren(
        h('p', {}, h('span', { class: `badge health-${s.status}` }, s.status), ` · up ${seconds(s.uptime)} · version ${s.version}`),
        h('table', { class: 'health' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Component'), h('th', { scope: 'col' }, 'State'), h('th', { scope: 'col' }, 'Detail'))),
          h('tbody', {}, rows)));
    } };
    this.healthPart = part;
    return part;
  }

  storage() {
    const info = h('div', {});
    const type = h('select', { name: 'policy_type' }, ['age', 'size', 'manual'].map(v => h('option', { value: v }, v)));
    const enabled = h('input', { type: 'checkbox', name: 'enabled' });
    const days = h('input', { type: 'number', name: 'max_age_days', min: '1', step: 'any', inputmode: 'decimal' });
    const gb = h('input', { type: 'number', name: 'max_size_gb', min: '0.1', step: 'any', inputmode: 'decimal' });
    const form = h('form', { class: 'retention' }, h('fieldset', {}, h('legend', {}, 'Retention policy'),
      h('label', {}, 'Rule ', type), h('label', { class: 'check' }, enabled, ' Enabled'),
      h('label', {}, 'Keep days ', days), h('label', {}, 'Keep GB ', gb),
      h('button', { type: 'submit' }, 'Save policy')));
    form.addEventListener('submit', async e => {
      e.preventDefault();
      const params = { policy_type: type.value, enabled: enabled.checked };
      if (days.value) params.max_age_days = Number(days.value);
      if (gb.value) params.max_size_gb = Number(gb.value);
      const r = await attempt('Saving the retention policy', () => this.rpc.call('set_retention_policy', params));
      if (r) { notify(r.message ?? 'Retention policy saved'); part.load(); }
    });
    const cleanup = h('button', { type: 'button', onclick: async () => {
      const r = await attempt('Cleanup', () => this.rpc.call('cleanup_old_files'));
      if (r) { notify(r.message ?? `${r.files_deleted} file(s) deleted, ${bytes(r.space_freed)} freed`); part.load(); }
    } }, 'Clean up old files now');
    const part = { el: section('Storage', info, form, h('div', { class: 'row' }, cleanup)), load: async () => {
      const s = await attempt('Reading the storage', () => this.rpc.call('get_storage_info'));
      if (!s) return;
      const meter = h('meter', { min: '0', max: '100', low: String(s.warn_percent), high: String(s.block_percent), optimum: '0', value: String(s.usage_percentage) });
      info.replaceChildren(
        h('p', {}, h('label', {}, `Used ${s.usage_percentage}% `, meter),
          s.critical_space_warning ? h('strong', { class: 'error-text' }, ' Critical: recordings are refused') : s.low_space_warning ? h('strong', { class: 'warn-text' }, ' Low on space') : ''),
        facts([['Total', bytes(s.total_space)], ['Free', bytes(s.available_space)], ['Recordings', bytes(s.recordings_size)],
          ['Snapshots', bytes(s.snapshots_size)], ['Warning at', `${s.warn_percent}%`], ['Recording stops at', `${s.block_percent}%`]]),
        s.retention ? h('p', { class: 'retention-now' }, `In force: ${s.retention.message}`) : '');
      // The form starts from the policy in force (not while someone is editing it).
      if (s.retention && !form.contains(document.activeElement)) {
        type.value = s.retention.policy_type;
        enabled.checked = s.retention.enabled;
        days.value = s.retention.max_age_days > 0 ? String(s.retention.max_age_days) : '';
        gb.value = s.retention.max_size_gb > 0 ? String(s.retention.max_size_gb) : '';
      }
    } };
    return part;
  }

  updates() {
    const status = h('div', {});
    this.progress = h('progress', { max: '100', value: '0' });
    this.progressText = h('span', { 'aria-live': 'polite' });
    const bundle = h('input', { name: 'bundle', type: 'text', required: true, placeholder: 'https://… or /path/to/bundle.raucb', spellcheck: 'false' });
    const form = h('form', { class: 'install' }, h('fieldset', {}, h('legend', {}, 'Install an update'),
      h('label', {}, 'Bundle URL or path ', bundle), h('button', { type: 'submit' }, 'Install')));
    form.addEventListener('submit', async e => {
      e.preventDefault();
      if (!await confirmDialog(`Install ${bundle.value}? The other slot is overwritten.`, 'Install')) return;
      const r = await attempt('Starting the update', () => this.rpc.call('install_update', { bundle: bundle.value.trim() }));
      if (r) this.progressText.textContent = 'installing…';
    });
    const reboot = h('button', { type: 'button', class: 'danger', onclick: async () => {
      if (!await confirmDialog('Reboot the appliance now? Recordings stop and the page is offline for a minute.', 'Reboot')) return;
      const r = await attempt('Reboot', () => this.rpc.call('reboot', {}));
      if (r) notify(`Rebooting at ${when(r.at)}`, 'warn');
    } }, 'Reboot');
    const part = { el: section('Software update', status, h('p', {}, this.progress, ' ', this.progressText), form, h('div', { class: 'row' }, reboot)), load: async () => {
      const u = await attempt('Reading the update status', () => this.rpc.call('get_update_status'));
      if (!u) return;
      status.replaceChildren(facts([['Running', `${u.running_version} (${u.git_revision})`], ['Updates', u.enabled ? 'enabled' : 'disabled on this device'],
        ['Booted slot', u.booted_slot], ['Awaiting confirmation', u.pending_confirmation ? 'yes' : 'no'],
        ['Last install', u.install ? `${u.install.state}${u.install.error ? `: ${u.install.error}` : ''}` : null]]),
      u.error ? h('p', { class: 'error-text' }, u.error) : '');
      if (u.install?.state === 'installing') { this.progress.value = u.install.percent ?? 0; this.progressText.textContent = u.install.message ?? ''; }
    } };
    return part;
  }

  server() {
    const body = h('div', {});
    return { el: section('Service', body), load: async () => {
      const s = await attempt('Reading the service details', () => this.rpc.call('get_server_info'));
      if (s) body.replaceChildren(facts([['Name', s.name], ['Version', s.version], ['Revision', s.git_revision], ['Board', s.board],
        ['Formats', (s.supported_formats ?? []).join(', ')], ['Capabilities', (s.capabilities ?? []).join(', ')]]));
    } };
  }

  leds() {
    const body = h('div', {});
    const press = can('admin') ? h('div', { class: 'row' },
      h('button', { type: 'button', class: 'press-short', onclick: () => this.press('short') }, 'Press button (snapshot)'),
      h('button', { type: 'button', class: 'press-long', onclick: () => this.press('long') }, 'Long press (record)')) : '';
    const part = { el: section('LEDs and button', body, press), load: async () => {
      let g;
      try { g = await this.rpc.call('get_gpio_state'); }
      catch (e) { body.replaceChildren(h('p', { class: 'error-text' }, `The LED state cannot be read: ${e.message}`)); return; }
      const leds = (g.leds ?? []).map(l => h('li', {}, h('span', { class: `led ${l.on ? 'on' : 'off'}`, 'aria-hidden': 'true' }), ` ${l.name}: ${l.pattern}${l.on ? ' (lit)' : ''}`));
      body.replaceChildren(g.available ? '' : h('p', { class: 'hint' }, 'This board has no GPIO lines; the state below is what the LEDs would show.'),
        h('ul', { class: 'leds' }, leds),
        (g.buttons ?? []).length ? h('p', {}, 'Buttons: ', g.buttons.map(b => `${b.name} (${b.action})`).join(', ')) : '');
    } };
    this.ledPart = part;
    return part;
  }

  async press(kind) {
    const r = await attempt('Button press', () => this.rpc.call('press_button', { press: kind }));
    if (r) notify(`Button ${r.press} press: ${r.action}${r.results?.length ? ` — ${r.results.map(x => x.success ? `${x.device} ok` : `${x.device}: ${x.error}`).join(', ')}` : ''}`);
  }
}
