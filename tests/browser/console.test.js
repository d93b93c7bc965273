// Browser tests of the field-tech console against the real service, a virtual camera and the
// MediaMTX stand-in. One service for the whole file; tests run in order (later ones use the
// snapshot and recording the earlier ones made). Run: npm ci && npm test (build.ps1 browser-test).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { Appliance, launchChromium, artifacts, freePort } from './harness.js';

const verbose = !!process.env.BROWSER_TEST_VERBOSE;
let app, browser, admin, page;
const problems = []; // page errors and CSP violations: any is a failure (checked last)

async function newPage(context, label) {
  const p = await context.newPage();
  p.on('pageerror', e => problems.push(`${label}: ${e.message}`));
  p.on('console', m => {
    if (verbose) console.log(`[${label}] ${m.type()}: ${m.text()}`);
    if (/Content Security Policy/i.test(m.text())) problems.push(`${label}: ${m.text()}`);
  });
  return p;
}

async function login(p, token) {
  await p.goto(app.url);
  await p.waitForSelector('body[data-login-ready]');
  await p.fill('#login-token', token);
  await p.click('#login-submit');
  await p.waitForSelector('body[data-ready]', { timeout: 15000 });
}

const card = (p, device = 'virtual0') => p.locator(`article.camera[data-device="${device}"]`);

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  app = await Appliance.start({ log: verbose ? l => console.log(l) : undefined });
  browser = await launchChromium(chromium);
  admin = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  page = await newPage(admin, 'admin');
});

after(async () => {
  await browser?.close();
  if (app && process.exitCode) console.log(`--- service log (last lines) ---\n${app.service.lines.slice(-60).join('\n')}`);
  await app?.stop();
});

test('the console is served with its security headers, compressed, revalidated by ETag', async () => {
  const r = await fetch(`${app.url}/`, { headers: { 'Accept-Encoding': 'gzip' } });
  assert.equal(r.status, 200);
  const csp = r.headers.get('content-security-policy');
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.ok(csp.includes(`http://127.0.0.1:${app.ports.hls}`), `CSP names the HLS origin: ${csp}`);
  assert.ok(csp.includes(`http://127.0.0.1:${app.ports.webrtc}`), `CSP names the WebRTC origin: ${csp}`);
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
  assert.equal(r.headers.get('cache-control'), 'no-cache');
  const etag = r.headers.get('etag');
  assert.match(etag, /^"[0-9a-f]+"$/);
  const again = await fetch(`${app.url}/`, { headers: { 'If-None-Match': etag } });
  assert.equal(again.status, 304);
  const js = await fetch(`${app.url}/console/app.js`);
  assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
});

test('a wrong credential is refused in plain words and leaves the login form', async () => {
  await page.goto(app.url);
  await page.waitForSelector('body[data-login-ready]');
  await page.fill('#login-token', 'not-a-real-token');
  await page.click('#login-submit');
  await page.waitForFunction(() => /Login failed: .+/.test(document.querySelector('#login-message').textContent));
  assert.equal(await page.isVisible('#login'), true);
  assert.equal(await page.isVisible('#app'), false);
});

test('an admin logs in with the keyboard alone and the camera card shows the live state', async () => {
  await page.goto(app.url);
  await page.waitForSelector('body[data-login-ready]');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'login-token', 'the credential field has focus');
  await page.keyboard.type(app.jwt('admin'));
  await page.keyboard.press('Enter');
  await page.waitForSelector('body[data-ready]', { timeout: 15000 });
  const c = card(page);
  await c.waitFor();
  await page.waitForFunction(() => document.querySelector('article.camera[data-device="virtual0"] .badge')?.textContent === 'Connected', null, { timeout: 20000 });
  const text = await c.textContent();
  assert.match(text, /Browser Test Camera/);
  assert.match(text, /640x360 @ 15 fps/);
  assert.match(text, /Not recording/);
  // The credential is not kept anywhere the page can read it back.
  assert.equal(await page.inputValue('#login-token'), '');
  assert.equal(await page.evaluate(() => localStorage.length + sessionStorage.length), 0);
  assert.ok(!page.url().includes('token'));
});

test('the live view plays: the video element advances', async () => {
  await card(page).locator('button.watch').click();
  const live = card(page).locator('.live');
  await page.waitForFunction(() => document.querySelector('.live')?.dataset.mode, null, { timeout: 45000 });
  const mode = await live.getAttribute('data-mode');
  const status = await live.locator('.live-status').textContent();
  console.log(`live view: ${status}`);
  assert.match(mode, /WebRTC|HLS/, `a moving picture, not the still fallback: ${status}`);
  const t0 = await live.locator('video').evaluate(v => v.currentTime);
  await page.waitForTimeout(2000);
  const t1 = await live.locator('video').evaluate(v => v.currentTime);
  assert.ok(t1 > t0, `currentTime advances (${t0} -> ${t1})`);
});

test('a snapshot is taken and shown at once, with a download link', async () => {
  const c = card(page);
  await c.locator('button.take-snapshot').click();
  const img = c.locator('img.snapshot-image');
  await img.waitFor({ timeout: 30000 });
  await page.waitForFunction(() => document.querySelector('img.snapshot-image')?.naturalWidth > 0, null, { timeout: 15000 });
  const src = await img.getAttribute('src');
  assert.match(src, /^\/files\/snapshots\/.+\.jpg$/);
  assert.equal(await c.locator('.snapshot-result a[download]').getAttribute('href'), src);
});

test('screenshots at 1280x800 and 390x844', async () => {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(artifacts, 'console-1280x800.png') });
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true });
  const p = await newPage(phone, 'phone');
  // Every request to the media server, with the headers Chromium really sent (cookies included).
  const toMedia = [];
  p.on('request', r => { if (new URL(r.url()).port === String(app.ports.hls)) toMedia.push(r.allHeaders()); });
  await login(p, app.jwt('operator', 'browser-phone'));
  await card(p).waitFor();
  await card(p).locator('button.watch').click();
  await p.waitForFunction(() => document.querySelector('.live')?.dataset.mode, null, { timeout: 45000 });
  // Cookies are not port-scoped: the media server (another port of this host) must still never get the session.
  const mediaHeaders = await Promise.all(toMedia);
  assert.ok(mediaHeaders.length > 0, 'the phone asked the media server for HLS');
  for (const headers of mediaHeaders) assert.doesNotMatch(headers.cookie ?? '', /appliance_session/, 'the session cookie went to the media server');
  await p.screenshot({ path: join(artifacts, 'console-390x844.png'), fullPage: false });
  const overflow = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `no sideways scrolling on a phone (${overflow} px too wide)`);
  await phone.close();
});

test('text is readable in sunlight: every visible text has WCAG AA contrast (4.5:1) or better', async () => {
  const worst = await page.evaluate(() => {
    const rgb = c => (c.match(/[\d.]+/g) ?? []).map(Number);
    const lum = ([r, g, b]) => {
      const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const background = el => {
      for (let e = el; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3] > 0.9)) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    const found = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!n.textContent.trim() || !el.checkVisibility() || el.closest('video, img, dialog:not([open])')) continue;
      const style = getComputedStyle(el);
      const [a, b] = [lum(rgb(style.color).slice(0, 3)), lum(background(el))];
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      found.push({ text: n.textContent.trim().slice(0, 40), ratio: Math.round(ratio * 100) / 100, disabled: !!el.closest(':disabled') });
    }
    return found.filter(f => !f.disabled).sort((x, y) => x.ratio - y.ratio).slice(0, 3);
  });
  console.log(`lowest contrast: ${worst.map(w => `${w.ratio}:1 "${w.text}"`).join(', ')}`);
  assert.ok(worst.length > 0);
  assert.ok(worst[0].ratio >= 4.5, `lowest contrast ${worst[0].ratio}:1 for "${worst[0].text}"`);
});

test('a snapshot downloads with the session cookie (fetch in the page)', async () => {
  const src = await card(page).locator('img.snapshot-image').getAttribute('src');
  const result = await page.evaluate(async url => {
    const r = await fetch(url);
    const b = new Uint8Array(await r.arrayBuffer());
    return { status: r.status, type: r.headers.get('content-type'), first: [b[0], b[1], b[2]], length: b.length };
  }, src);
  assert.equal(result.status, 200);
  assert.match(result.type, /^image\/jpeg/);
  assert.deepEqual(result.first, [0xff, 0xd8, 0xff]);
  assert.ok(result.length > 1000);
});

test('a 3 s recording shows progress, then plays in the page', async () => {
  const c = card(page);
  await c.locator('.recording-form input[name="duration"]').fill('3');
  await c.locator('button.start-recording').click();
  await page.waitForFunction(() => document.querySelector('article.camera[data-device="virtual0"] .recording-state')?.textContent === 'Recording', null, { timeout: 30000 });
  await page.waitForFunction(() => Number(document.querySelector('article.camera[data-device="virtual0"] .progress')?.dataset.size) > 0, null, { timeout: 20000 });
  await page.waitForFunction(() => document.querySelector('article.camera[data-device="virtual0"] .recording-state')?.textContent === 'Not recording', null, { timeout: 30000 });
  assert.match(await c.locator('.progress').textContent(), /stopped/);

  await page.click('button.tab[data-tab="files"]');
  await page.locator('#file-rows[data-kind="recordings"] tr[data-filename] button.play').first().click();
  const video = page.locator('#file-viewer video');
  await video.waitFor();
  await page.waitForFunction(() => document.querySelector('#file-viewer video')?.readyState >= 2, null, { timeout: 20000 });
  const duration = await video.evaluate(v => v.duration);
  assert.ok(duration >= 2, `the file is about 3 s long (${duration})`);
  await page.click('button.tab[data-tab="cameras"]');
});

test('a viewer sees no delete or snapshot control, and a forged delete is refused', async () => {
  const context = await browser.newContext();
  const viewer = await newPage(context, 'viewer');
  await login(viewer, app.apiKey('viewer'));
  await card(viewer).waitFor();
  assert.equal(await card(viewer).locator('button.take-snapshot').count(), 0);
  assert.equal(await card(viewer).locator('button.start-recording').count(), 0);
  await viewer.click('button.tab[data-tab="files"]');
  await viewer.click('button.kind[data-kind="snapshots"]');
  await viewer.locator('#file-rows[data-kind="snapshots"] tr[data-filename]').first().waitFor();
  assert.equal(await viewer.locator('#file-rows button.delete').count(), 0);
  assert.ok(await viewer.locator('#file-rows a', { hasText: 'Download' }).count() > 0);
  const name = await viewer.locator('#file-rows[data-kind="snapshots"] tr[data-filename]').first().getAttribute('data-filename');
  // The same socket the page uses (cookie, own Origin), with a request the page would never send.
  const answer = await viewer.evaluate(filename => new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${location.host}/ws`);
    ws.onopen = () => ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'delete_snapshot', params: { filename } }));
    ws.onmessage = e => { resolve(JSON.parse(e.data)); ws.close(); };
    ws.onerror = () => reject(new Error('socket error'));
  }), name);
  assert.equal(answer.error?.code, -32003, JSON.stringify(answer));
  const still = await fetch(`${app.url}/files/snapshots/${encodeURIComponent(name)}`, { method: 'HEAD', headers: { Authorization: `Bearer ${app.jwt('viewer')}` } });
  assert.equal(still.status, 200, 'the snapshot is still there');
  await context.close();
});

test('an admin deletes a snapshot after confirming in the dialog', async () => {
  await page.click('button.tab[data-tab="files"]');
  await page.click('button.kind[data-kind="snapshots"]');
  const row = page.locator('#file-rows[data-kind="snapshots"] tr[data-filename]').first();
  await row.waitFor();
  const name = await row.getAttribute('data-filename');
  await row.locator('button.delete').click();
  await page.waitForSelector('dialog#confirm[open]');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'confirm-cancel', 'the safe choice has focus');
  assert.ok((await page.textContent('#confirm-text')).includes(name), 'the dialog names the file');
  await page.click('#confirm-ok');
  await page.waitForFunction(n => !document.querySelector(`#file-rows tr[data-filename="${n}"]`), name, { timeout: 10000 });
  const gone = await page.evaluate(async n => (await fetch(`/files/snapshots/${encodeURIComponent(n)}`, { method: 'HEAD' })).status, name);
  assert.equal(gone, 404);
  await page.click('button.tab[data-tab="cameras"]');
});

test('the system tab shows health per component, storage and the LEDs to an admin', async () => {
  await page.click('button.tab[data-tab="system"]');
  await page.waitForFunction(() => document.querySelectorAll('#system table.health tbody tr').length > 0, null, { timeout: 10000 });
  assert.match(await page.textContent('#system'), /websocket server/);
  // Health and storage load side by side: wait for the storage part (with the policy in force) too.
  await page.waitForSelector('#system .retention-now', { timeout: 10000 });
  assert.match(await page.textContent('#system'), /Recording stops at/);
  // The retention form starts from the policy in force (get_storage_info's retention).
  assert.match(await page.textContent('#system .retention-now'), /^In force: (age|size|manual), /);
  const rule = await page.locator('#system form.retention select[name="policy_type"]').inputValue();
  assert.match(await page.textContent('#system .retention-now'), new RegExp(`^In force: ${rule}, `), 'the form shows the rule in force');
  await page.waitForFunction(() => /status: /.test(document.querySelector('#system .leds')?.textContent ?? ''), null, { timeout: 10000 });
  assert.ok(await page.locator('#system button.press-short').count() === 1, 'the virtual button is there for an admin');
  await page.click('button.tab[data-tab="cameras"]');
});

test('unplug and replug (virtual camera removed and added in the config) update the page without reload', async () => {
  await page.evaluate(() => { window.__noReload = true; });
  app.setVirtualCamera(false);
  await page.waitForFunction(() => {
    const b = document.querySelector('article.camera[data-device="virtual0"] .badge');
    return !b || b.textContent !== 'Connected';
  }, null, { timeout: 30000 });
  app.setVirtualCamera(true);
  await page.waitForFunction(() => document.querySelector('article.camera[data-device="virtual0"] .badge')?.textContent === 'Connected', null, { timeout: 30000 });
  assert.equal(await page.evaluate(() => window.__noReload), true, 'the page was not reloaded');
});

test('a page of another origin cannot use the session cookie on /ws', async () => {
  // Cookies are not port-scoped: a page on another port of the same host gets the cookie sent
  // with its WebSocket upgrade; the service must ignore it because the Origin is not its own.
  const port = await freePort();
  const evil = createServer((req, res) => { res.setHeader('Content-Type', 'text/html'); res.end('<!doctype html><title>elsewhere</title>'); });
  await new Promise(r => evil.listen(port, '127.0.0.1', r));
  try {
    const other = await newPage(admin, 'other-origin');
    await other.goto(`http://127.0.0.1:${port}/`);
    const answer = await other.evaluate(url => new Promise(resolve => {
      const ws = new WebSocket(url);
      ws.onopen = () => ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'get_camera_list', params: {} }));
      ws.onmessage = e => { resolve(JSON.parse(e.data)); ws.close(); };
      ws.onclose = e => resolve({ closed: e.code });
    }), `ws://127.0.0.1:${app.ports.service}/ws`);
    assert.ok(answer.closed || answer.error?.code === -32001, `refused: ${JSON.stringify(answer)}`);
    assert.equal(answer.result, undefined);
    await other.close();
  } finally { evil.close(); }
});

test('a session ended elsewhere (as at expiry) sends the page back to login in plain words', async () => {
  // The server closes the socket (1008 "session ended"); the page asks GET /api/session, gets 401.
  await page.evaluate(() => fetch('/api/session', { method: 'DELETE' }));
  await page.waitForFunction(() => !document.querySelector('#login').hidden &&
    /session has ended/.test(document.querySelector('#login-message').textContent), null, { timeout: 15000 });
  console.log(`after the session ended: ${await page.textContent('#login-message')}`);
  await login(page, app.jwt('admin'));
  await card(page).waitFor();
});

test('logout ends the session: GET /api/session is 401 and /ws no longer authenticates', async () => {
  await page.click('#logout');
  await page.waitForSelector('#login:not([hidden])');
  const after = await page.evaluate(async () => {
    const s = await fetch('/api/session');
    const rpc = await new Promise(resolve => {
      const ws = new WebSocket(`ws://${location.host}/ws`);
      ws.onopen = () => ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'get_camera_list', params: {} }));
      ws.onmessage = e => { resolve(JSON.parse(e.data)); ws.close(); };
      ws.onclose = e => resolve({ closed: e.code });
    });
    return { status: s.status, rpc };
  });
  assert.equal(after.status, 401);
  assert.ok(after.rpc.closed || after.rpc.error?.code === -32001, JSON.stringify(after.rpc));
});

test('first load size and time to interactive with the CPU throttled 4x', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const p = await newPage(context, 'measure');
  const cdp = await context.newCDPSession(p);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  const transferred = new Map();
  const urls = new Map();
  cdp.on('Network.requestWillBeSent', e => urls.set(e.requestId, e.request.url));
  cdp.on('Network.loadingFinished', e => transferred.set(e.requestId, e.encodedDataLength));
  await p.goto(app.url);
  await p.waitForSelector('body[data-login-ready]');
  const loginReady = await p.evaluate(() => performance.getEntriesByName('console-login-ready')[0].startTime);
  const firstLoad = [...transferred].filter(([id]) => urls.get(id)?.startsWith(app.url)).reduce((n, [, b]) => n + b, 0);
  const files = [...transferred].filter(([id]) => urls.get(id)?.startsWith(app.url)).length;
  await p.fill('#login-token', app.jwt('admin'));
  const clicked = await p.evaluate(() => performance.now());
  await p.click('#login-submit');
  await p.waitForSelector('body[data-ready]', { timeout: 30000 });
  await card(p).waitFor();
  const camerasReady = await p.evaluate(() => performance.getEntriesByName('console-cameras-ready')[0].startTime);
  const lines = [
    `console first load: ${firstLoad} bytes transferred in ${files} responses (gzip, headers included; Chromium ${browser.version()})`,
    `login form usable: ${loginReady.toFixed(0)} ms after navigation start (CPU throttled 4x)`,
    `camera list rendered: ${(camerasReady - clicked).toFixed(0)} ms after the login click (CPU throttled 4x)`,
  ];
  console.log(lines.join('\n'));
  writeFileSync(join(artifacts, 'measurements.txt'), lines.join('\n') + '\n');
  assert.ok(firstLoad < 250 * 1024, `first load under 250 KB (${firstLoad})`);
  await context.close();
});

test('no script error and no Content-Security-Policy violation on any page', () => {
  assert.deepEqual(problems, []);
});
