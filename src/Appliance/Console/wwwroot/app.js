// The console's entry point: login, the WebSocket connection (with reconnect), tabs, roles.
import { Rpc } from './rpc.js';
import * as session from './session.js';
import { $, notify, setRole } from './ui.js';
import { Cameras } from './cameras.js';
import { Files } from './files.js';
import { SystemView } from './system.js';

// Topics the page shows (LED changes are not events: the System tab polls get_gpio_state).
const TOPICS = ['camera.connected', 'camera.disconnected', 'camera.status_change', 'recording.start', 'recording.stop',
  'recording.error', 'recording.progress', 'snapshot.taken', 'stream.status', 'system.health', 'system.shutdown',
  'button.pressed', 'update.progress'];

const state = { rpc: null, session: null, views: null, expiryTimer: 0, retry: 0, retryTimer: 0, loggedIn: false };

function showLogin(message) {
  state.loggedIn = false;
  clearTimeout(state.expiryTimer);
  clearTimeout(state.retryTimer);
  state.views?.cameras.reset();
  state.rpc?.close();
  state.rpc = null;
  $('#app').hidden = true;
  $('#who').hidden = true;
  $('#login').hidden = false;
  $('#login-message').textContent = message ?? '';
  $('#login-token').focus();
}

function showSession(s) {
  state.session = s;
  setRole(s.role);
  document.body.dataset.role = s.role;
  $('#who-role').textContent = `${s.user_id} · ${s.role}`;
  $('#who').hidden = false;
  $('#login').hidden = true;
  $('#app').hidden = false;
  clearTimeout(state.expiryTimer);
  // Check again at expiry: the server closes the socket too, this makes the page say so at once.
  const ms = Math.max(1000, Math.min((s.expires_in ?? 3600) * 1000, 2 ** 31 - 1));
  state.expiryTimer = setTimeout(checkSession, ms + 500);
}

/** After a close or at expiry: back to login (401) or reconnect with backoff (anything else). */
async function checkSession(closeReason) {
  if (!state.loggedIn) return;
  let result;
  try { result = await session.current(); }
  catch (e) { return scheduleReconnect(`the service cannot be reached (${e.message})`); }
  if (!result.session) {
    const why = closeReason || result.reason;
    return showLogin(`Your session has ended${why ? ` (${why})` : ''}. Please log in again.`);
  }
  showSession(result.session);
  if (!state.rpc) scheduleReconnect(closeReason ? `connection closed: ${closeReason}` : 'connection closed');
}

function scheduleReconnect(why) {
  clearTimeout(state.retryTimer);
  const delay = Math.min(30, 2 ** state.retry) * 1000;
  state.retry++;
  $('#who-link').textContent = `Offline — ${why}; retrying in ${delay / 1000} s`;
  state.retryTimer = setTimeout(connect, delay);
}

function onNotify(method, params) {
  const v = state.views;
  if (!v) return;
  if (method === 'system_event' && params.event === 'system.shutdown') notify('The service is stopping; the page reconnects when it is back.', 'warn');
  v.cameras.onEvent(method, params);
  v.files.onEvent(method, params);
  v.system.onEvent(method, params);
}

async function connect() {
  if (!state.loggedIn) return;
  $('#who-link').textContent = 'Connecting…';
  let rpc;
  try {
    rpc = await Rpc.open(onNotify, (code, reason) => {
      state.rpc = null;
      $('#who-link').textContent = 'Offline';
      state.views?.cameras.stopAll();
      checkSession(code === 1008 ? reason : reason || `code ${code}`);
    });
  } catch (e) {
    return checkSession(e.message);
  }
  state.rpc = rpc;
  try {
    await rpc.call('subscribe_events', { topics: TOPICS });
  } catch (e) {
    // An unauthenticated socket (cookie not honoured) answers -32001: that is a session problem.
    if (e.code === -32001) { rpc.close(); return showLogin(`The service did not accept the session: ${e.message}`); }
    notify(`Live updates are not available: ${e.message}`, 'error');
  }
  state.retry = 0;
  $('#who-link').textContent = 'Online';
  state.views ??= { cameras: new Cameras($('#camera-list')), files: new Files(), system: new SystemView($('#system')) };
  for (const view of Object.values(state.views)) view.attach(rpc);
  await state.views.cameras.load();
  document.body.dataset.ready = 'true'; // for tests and the curious: the camera list is rendered
  if (!performance.getEntriesByName('console-cameras-ready').length) performance.mark('console-cameras-ready');
}

async function onLogin(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const input = $('#login-token');
  const button = $('#login-submit');
  button.disabled = true;
  $('#login-message').textContent = 'Logging in…';
  try {
    const s = await session.login(input.value.trim(), form.auth_type.value);
    input.value = ''; // the credential is not kept in the page
    startSession(s);
  } catch (e) {
    $('#login-message').textContent = `Login failed: ${e.message}`;
    input.focus();
  } finally {
    button.disabled = false;
  }
}

function startSession(s) {
  state.loggedIn = true;
  state.retry = 0;
  showSession(s);
  selectTab('cameras');
  connect();
}

async function onLogout() {
  try { await session.logout(); }
  catch (e) { notify(`Logout failed: ${e.message}`, 'error'); return; }
  delete document.body.dataset.ready;
  showLogin('You have logged out.');
}

function selectTab(name) {
  for (const tab of document.querySelectorAll('.tab')) tab.setAttribute('aria-pressed', String(tab.dataset.tab === name));
  for (const panel of document.querySelectorAll('.tab-panel')) panel.hidden = panel.id !== `tab-${name}`;
  if (name === 'files') state.views?.files.show();
  if (name === 'system') state.views?.system.show();
}

async function start() {
  $('#login-form').addEventListener('submit', onLogin);
  $('#logout').addEventListener('click', onLogout);
  for (const tab of document.querySelectorAll('.tab')) tab.addEventListener('click', () => selectTab(tab.dataset.tab));
  $('#login-submit').disabled = false; // usable now: the handlers are attached
  document.body.dataset.loginReady = 'true';
  performance.mark('console-login-ready');
  let result = null;
  try { result = await session.current(); } catch (e) { $('#login-message').textContent = `The service cannot be reached: ${e.message}`; }
  if (result?.session) startSession(result.session);
  else $('#login-token').focus();
}

start();
