// Starts the real service (Release build of src/Appliance, or the AOT binary in APPLIANCE_BINARY)
// with a temp config, and the MediaMTX stand-in (--relay, HLS, authMethod: http against the
// service's hook), and mints credentials with the service's own CLI. Everything on 127.0.0.1,
// free ports, temp directories; stop() ends both processes and removes the directory.
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, writeFileSync, readFileSync, rmSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const artifacts = join(root, 'artifacts/browser');
const serviceDll = join(root, 'src/Appliance/bin/Release/net10.0/appliance.dll');
const standInDll = join(root, 'tests/Appliance.MediaMtxStandIn/bin/Release/net10.0/mediamtx-standin.dll');
const secret = 'browser-test-secret-0123456789abcdef-0123456789abcdef';

export function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.unref();
    s.on('error', fail);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
  });
}

/** The service's command line: the AOT binary when APPLIANCE_BINARY is set, else the Release build. */
function serviceCommand(args) {
  const binary = process.env.APPLIANCE_BINARY;
  if (binary) return [binary, args];
  if (!existsSync(serviceDll)) throw new Error(`${serviceDll} is missing: dotnet build src/Appliance -c Release (build.ps1 browser-test does it)`);
  return ['dotnet', [serviceDll, ...args]];
}

const VIRTUAL_CAMERA = `
[[camera.virtual]]
name = "Browser Test Camera"
resolution = "640x360"
fps = 15
pattern = "testsrc2"
`;

function configText(p, withCamera) {
  return `# written by tests/browser/harness.js
[server]
environment = "development"
host = "127.0.0.1"
port = ${p.service}

[security]
jwt_secret = "${secret}"
api_keys_file = "state/api-keys.json"

[mediamtx]
api_port = ${p.api}
rtsp_port = ${p.rtsp}
hls_port = ${p.hls}
webrtc_port = ${p.webrtc}
auth_hook_port = ${p.hook}
health_check_interval = 2

[camera]
discovery_enabled = false
${withCamera ? VIRTUAL_CAMERA : ''}
# The test machine's CPU pressure (builds, Chromium, FFmpeg) says nothing about the page:
# the resource guard's limits are off here, as in the host tests (tests/Appliance.Tests/Support/RunningHost.cs).
[resources]
max_cpu_pressure = 100
transcode_max_cpu_percent = 100

[recording]
path = "recordings"
# Progress every 0.5 s: a 3 s recording shows several updates even on a loaded machine.
progress_interval = 0.5

[snapshots]
path = "snapshots"

[storage]
state_dir = "state"

[logging]
level = "info"
format = "console"
`;
}

function startProcess(name, command, args, cwd, log) {
  const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('APPLIANCE_') && k !== 'NOTIFY_SOCKET')) });
  const lines = [];
  const keep = chunk => { for (const l of chunk.toString().split('\n')) if (l) { lines.push(l); if (lines.length > 400) lines.shift(); log?.(`${name}: ${l}`); } };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.lines = lines;
  return child;
}

function stopProcess(child) {
  if (!child || child.exitCode !== null) return Promise.resolve();
  return new Promise(done => {
    const timer = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } done(); }, 10000);
    child.once('exit', () => { clearTimeout(timer); done(); });
    try { process.kill(-child.pid, 'SIGTERM'); } catch { clearTimeout(timer); done(); }
  });
}

async function until(what, check, ms, child) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    if (child && child.exitCode !== null) throw new Error(`${what}: the process exited (${child.exitCode}):\n${child.lines.slice(-30).join('\n')}`);
    try { if (await check()) return; } catch (e) { last = e; }
    await new Promise(r => setTimeout(r, 200));
  }
  throw new Error(`${what} not within ${ms / 1000} s${last ? ` (${last.message})` : ''}${child ? `:\n${child.lines.slice(-30).join('\n')}` : ''}`);
}

export class Appliance {
  static async start({ log } = {}) {
    const a = new Appliance();
    a.dir = mkdtempSync(join(tmpdir(), 'appliance-browser-'));
    for (const d of ['recordings', 'snapshots', 'state']) mkdirSync(join(a.dir, d));
    a.ports = { service: await freePort(), api: await freePort(), rtsp: await freePort(), hls: await freePort(), webrtc: await freePort(), hook: await freePort() };
    a.configPath = join(a.dir, 'appliance.toml');
    writeFileSync(a.configPath, configText(a.ports, true));
    a.url = `http://127.0.0.1:${a.ports.service}`;
    const [cmd, args] = serviceCommand(['--config', a.configPath]);
    a.service = startProcess('service', cmd, args, a.dir, log);
    await until('the service ready (/health/ready)', async () => (await fetch(`${a.url}/health/ready`)).ok, 60000, a.service);
    if (!existsSync(standInDll)) throw new Error(`${standInDll} is missing: dotnet build tests/Appliance.MediaMtxStandIn -c Release`);
    a.standIn = startProcess('stand-in', 'dotnet', [standInDll, '--api-port', String(a.ports.api), '--rtsp-port', String(a.ports.rtsp),
      '--hls-port', String(a.ports.hls), '--relay', '--auth-http-address', `http://127.0.0.1:${a.ports.hook}/mediamtx/auth`], a.dir, log);
    await until('the stand-in\'s API', async () => (await fetch(`http://127.0.0.1:${a.ports.api}/v3/config/global/get`)).status < 500, 60000, a.standIn);
    return a;
  }

  /** Runs the service's CLI against the same config (mints a JWT, adds an API key). */
  cli(...args) {
    const [cmd, full] = serviceCommand([...args, '--config', this.configPath]);
    return execFileSync(cmd, full, { cwd: this.dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  }

  jwt(role, user = `browser-${role}`) { return this.cli('--mint-jwt', role, '--user', user, '--ttl-hours', '2'); }
  apiKey(role) { return this.cli('--add-api-key', role, '--name', `browser-${role}`); }

  /** [[camera.virtual]] is a live key: the camera goes away (unplug) or comes back (replug) on reload. */
  setVirtualCamera(present) { writeFileSync(this.configPath, configText(this.ports, present)); }

  get serviceLog() { return this.service.lines.join('\n'); }

  async stop() {
    await stopProcess(this.standIn);
    await stopProcess(this.service);
    if (this.dir && !process.env.KEEP_BROWSER_TEST_DIR) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Debian's Chromium, headless; --no-sandbox only as root (the sandbox cannot start there). */
export async function launchChromium(chromium) {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  const args = ['--autoplay-policy=no-user-gesture-required', '--disable-dev-shm-usage'];
  if (process.getuid?.() === 0) args.push('--no-sandbox');
  return chromium.launch({ executablePath, headless: true, args });
}

export { readFileSync };
