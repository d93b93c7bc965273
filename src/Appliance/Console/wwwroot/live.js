// Live view of one camera: MediaMTX WebRTC (WHEP) first, HLS second (the browser's own player,
// else a small in-page player for fMP4 HLS), a still picture refreshed every 2 s last. Says which
// it uses and why the ones before it failed. Media is reached with a short-lived, read-only media
// token bound to this camera's path (get_stream_token), never with the login credential.
import { h } from './ui.js';

const STILL_EVERY_MS = 2000;

/** Resolves once the element shows moving picture (currentTime advances); rejects on error or after ms. */
function playing(video, ms) {
  return new Promise((resolve, reject) => {
    const start = video.currentTime;
    const done = (ok, why) => { clearInterval(poll); clearTimeout(timer); video.removeEventListener('error', onError); ok ? resolve() : reject(new Error(why)); };
    const onError = () => done(false, video.error?.message || `the browser cannot play it (media error ${video.error?.code ?? '?'})`);
    const poll = setInterval(() => { if (video.currentTime > start && video.readyState >= 2) done(true); }, 100);
    const timer = setTimeout(() => done(false, `no moving picture within ${ms / 1000} s`), ms);
    video.addEventListener('error', onError);
    video.play().catch(() => { /* autoplay policy: muted video plays; the poll decides */ });
  });
}

async function reach(url, init) {
  try { return await fetch(url, { ...init, credentials: 'omit', cache: 'no-store' }); }
  catch { throw new Error(`${new URL(url).host} cannot be reached`); }
}

async function refusal(response) {
  const text = (await response.text().catch(() => '')).trim().slice(0, 200);
  return `the media server answered ${response.status}${text ? `: ${text}` : ''}`;
}

export class LiveView {
  constructor(box, rpc, device, label) {
    Object.assign(this, { box, rpc, device, label });
    this.stopped = false;
    this.timers = [];
  }

  say(how, failures) {
    this.mode = how;
    this.box.dataset.mode = how;
    this.status.replaceChildren(h('strong', {}, `Live: ${how}`), failures.length ? h('span', {}, ` — ${failures.join('; ')}`) : '');
  }

  async start() {
    // crossOrigin anonymous: the media server is another port of this host, and cookies are not
    // port-scoped, so without it a native HLS player would carry the console's session cookie to
    // MediaMTX. Anonymous CORS sends none (MediaMTX allows any origin; its HLS session then rides in the query).
    this.video = h('video', { class: 'live-video', muted: true, autoplay: true, playsInline: true, crossOrigin: 'anonymous', 'aria-label': `Live picture from ${this.label}` });
    this.status = h('p', { class: 'live-status', role: 'status' }, 'Starting the live view…');
    this.box.replaceChildren(this.video, this.status);
    const failures = [];
    let token = null;
    try { token = await this.rpc.call('get_stream_token', { device: this.device }); }
    catch (e) { failures.push(`no media token (${e.message})`); }
    if (this.stopped) return;
    if (token && 'RTCPeerConnection' in window) {
      try { await this.whep(token); if (!this.stopped) this.say('WebRTC (WHEP)', failures); return; }
      catch (e) { failures.push(`WebRTC did not play: ${e.message}`); this.closePeer(); }
    } else if (token) failures.push('WebRTC: this browser has no WebRTC');
    if (this.stopped) return;
    if (token) {
      try {
        const how = await this.hls(token, failures);
        if (!this.stopped) { this.say(how, failures); this.renewLater(token); }
        return;
      } catch (e) { failures.push(`HLS did not play: ${e.message}`); this.clearVideo(); }
    }
    if (this.stopped) return;
    this.still();
    this.say(`still picture every ${STILL_EVERY_MS / 1000} s`, failures);
  }

  async whep(t) {
    const pc = this.pc = new RTCPeerConnection();
    pc.addTransceiver('video', { direction: 'recvonly' });
    const stream = new MediaStream();
    pc.ontrack = e => { stream.addTrack(e.track); this.video.srcObject = stream; };
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise(resolve => { // all candidates in the offer: MediaMTX needs no trickle then
      if (pc.iceGatheringState === 'complete') return resolve();
      const timer = setTimeout(resolve, 2000);
      pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') { clearTimeout(timer); resolve(); } });
    });
    const response = await reach(t.urls.whep, {
      method: 'POST', body: pc.localDescription.sdp, signal: AbortSignal.timeout(8000),
      headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${t.token}` },
    });
    if (response.status !== 201 && !response.ok) throw new Error(await refusal(response));
    const location = response.headers.get('Location');
    if (location) this.whepSession = { url: new URL(location, t.urls.whep).href, token: t.token };
    await pc.setRemoteDescription({ type: 'answer', sdp: await response.text() });
    await playing(this.video, 8000);
  }

  /** Native HLS where the browser has it and it really plays; else the in-page fMP4 player. */
  async hls(t, failures) {
    if (this.video.canPlayType('application/vnd.apple.mpegurl')) {
      try {
        this.video.src = t.urls.hls;
        await playing(this.video, 10000);
        return 'HLS (browser player)';
      } catch (e) {
        failures.push(`the browser's own HLS player did not play (${e.message})`);
        this.clearVideo();
      }
    }
    if (!('MediaSource' in window)) throw new Error('this browser has neither an HLS player nor Media Source Extensions');
    this.mini = new MiniHls(this.video, t.urls.hls);
    await this.mini.start();
    await playing(this.video, 10000);
    return 'HLS (in-page player)';
  }

  /** A media token ends after expires_in s; HLS keeps asking for playlists, so it gets a new one first. */
  renewLater(token) {
    const ms = Math.max(10, (token.expires_in ?? 600) - 60) * 1000;
    this.timers.push(setTimeout(async () => {
      if (this.stopped) return;
      try {
        const fresh = await this.rpc.call('get_stream_token', { device: this.device });
        if (this.stopped) return;
        if (this.mini) this.mini.url = fresh.urls.hls;
        else { this.video.src = fresh.urls.hls; this.video.play().catch(() => {}); }
        this.renewLater(fresh);
      } catch (e) {
        this.status.append(h('span', {}, ` — the media token could not be renewed (${e.message}); the picture stops when it expires`));
      }
    }, ms));
  }

  still() {
    this.video.hidden = true;
    const img = h('img', { class: 'still', alt: `Still picture from ${this.label}` });
    this.box.prepend(img);
    const base = `/api/cameras/${encodeURIComponent(this.device)}/snapshot.jpg?width=640`;
    const refresh = () => {
      if (this.stopped) return;
      const next = new Image();
      const url = `${base}&t=${Date.now()}`;
      next.onload = () => { img.src = next.src; this.timers.push(setTimeout(refresh, STILL_EVERY_MS)); };
      next.onerror = async () => { // ask again for the words the service gave (404, 503 with a reason)
        const r = await fetch(url, { credentials: 'same-origin', cache: 'no-store' }).catch(() => null);
        const why = r ? `${r.status} ${(await r.text().catch(() => '')).trim()}` : 'the service cannot be reached';
        if (!this.stopped) this.status.replaceChildren(h('strong', {}, 'Live: still picture unavailable'), ` — ${why}`);
        this.timers.push(setTimeout(refresh, STILL_EVERY_MS * 2));
      };
      next.src = url;
    };
    refresh();
  }

  closePeer() {
    if (this.whepSession) {
      const { url, token } = this.whepSession;
      reach(url, { method: 'DELETE', headers: { Authorization: `Bearer ${token}` } }).catch(() => {});
      this.whepSession = null;
    }
    this.pc?.close();
    this.pc = null;
  }

  clearVideo() {
    this.mini?.stop();
    this.mini = null;
    this.video.srcObject = null;
    this.video.removeAttribute('src');
    this.video.load();
  }

  stop() {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.closePeer();
    if (this.video) this.clearVideo();
  }
}

/**
 * The smallest HLS player that works for MediaMTX's default (fMP4 segments): playlist -> init
 * segment -> media segments appended to a Media Source buffer, the playlist polled for new ones.
 * MPEG-TS segments would need remuxing; then it says so and the still picture takes over.
 */
class MiniHls {
  constructor(video, url) {
    Object.assign(this, { video, url, stopped: false, loaded: new Set() });
  }

  /** A URL from a playlist, relative to `base`, carrying the media token like the first one. */
  resolve(uri, base) {
    const u = new URL(uri, base);
    const token = new URL(this.url).searchParams.get('token');
    if (token) u.searchParams.set('token', token);
    return u.href;
  }

  async fetch(url, as) {
    const r = await reach(url, {});
    if (!r.ok) throw new Error(await refusal(r));
    return as === 'text' ? r.text() : r.arrayBuffer();
  }

  /** A playlist and the URL it really came from: MediaMTX redirects the first request
   * (cookieCheck) and its playlists' URIs are relative to where they were served. */
  async playlist(url) {
    const r = await reach(url, {});
    if (!r.ok) throw new Error(await refusal(r));
    return [await r.text(), r.url || url];
  }

  async start() {
    let [playlist, from] = await this.playlist(this.url);
    this.media = from;
    let codecs = 'avc1.42E01F';
    const variant = playlist.match(/#EXT-X-STREAM-INF:([^\n]*)\n([^\n#][^\n]*)/);
    if (variant) {
      codecs = variant[1].match(/CODECS="([^"]+)"/)?.[1]?.split(',').filter(c => !c.startsWith('mp4a')).join(',') || codecs;
      [playlist, this.media] = await this.playlist(this.resolve(variant[2].trim(), from));
    }
    const map = playlist.match(/#EXT-X-MAP:URI="([^"]+)"/);
    if (!map) throw new Error('the stream uses MPEG-TS segments, which only a browser with its own HLS player can play');
    const type = `video/mp4; codecs="${codecs}"`;
    if (!MediaSource.isTypeSupported(type)) throw new Error(`this browser cannot decode ${codecs}`);
    const source = new MediaSource();
    this.objectUrl = URL.createObjectURL(source);
    this.video.src = this.objectUrl;
    await new Promise(resolve => source.addEventListener('sourceopen', resolve, { once: true }));
    this.buffer = source.addSourceBuffer(type);
    this.buffer.mode = 'segments';
    await this.append(await this.fetch(this.resolve(map[1], this.media)));
    await this.pull(playlist, true);
    this.loop();
  }

  append(data) {
    return new Promise((resolve, reject) => {
      const b = this.buffer;
      const ok = () => { b.removeEventListener('error', bad); resolve(); };
      const bad = () => { b.removeEventListener('updateend', ok); reject(new Error('the browser refused a video segment')); };
      b.addEventListener('updateend', ok, { once: true });
      b.addEventListener('error', bad, { once: true });
      b.appendBuffer(data);
    });
  }

  async pull(playlist, first) {
    this.target = Number(playlist.match(/#EXT-X-TARGETDURATION:(\d+)/)?.[1] ?? 2);
    let uris = playlist.split('\n').map(l => l.trim()).filter(l => l && !l.startsWith('#'));
    if (first) uris = uris.slice(-2); // start near the live edge
    for (const uri of uris) {
      if (this.stopped || this.loaded.has(uri)) continue;
      await this.append(await this.fetch(this.resolve(uri, this.media)));
      this.loaded.add(uri);
      if (this.loaded.size > 64) this.loaded.delete(this.loaded.values().next().value);
    }
    const b = this.buffer.buffered;
    if (b.length) {
      const end = b.end(b.length - 1);
      if (first || this.video.currentTime < b.start(0) || end - this.video.currentTime > 10) this.video.currentTime = Math.max(b.start(0), end - 1);
      if (this.video.currentTime - b.start(0) > 30 && !this.buffer.updating) this.buffer.remove(0, this.video.currentTime - 20);
    }
  }

  async loop() {
    while (!this.stopped) {
      await new Promise(r => setTimeout(r, Math.max(500, this.target * 500)));
      if (this.stopped) return;
      try {
        while (this.buffer.updating) await new Promise(r => this.buffer.addEventListener('updateend', r, { once: true }));
        const [playlist] = await this.playlist(this.resolve(this.media, this.url));
        await this.pull(playlist, false);
      } catch { /* a missed poll: the next one catches up */ }
    }
  }

  stop() {
    this.stopped = true;
    if (this.objectUrl) URL.revokeObjectURL(this.objectUrl);
  }
}
