// JSON-RPC 2.0 over the service's WebSocket. The session cookie authenticates the socket (the
// server honours it only with this page's own Origin), so no credential is sent here.

export class RpcError extends Error {
  constructor(error) {
    super(error.message ?? 'unknown error');
    this.code = error.code;
    this.data = error.data;
  }
}

export class Rpc {
  #ws; #next = 1; #pending = new Map();

  /** Opens /ws; resolves once open. onNotify(method, params); onClose(code, reason). */
  static open(onNotify, onClose) {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    const rpc = new Rpc();
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      rpc.#ws = ws;
      let opened = false;
      ws.onopen = () => { opened = true; resolve(rpc); };
      ws.onmessage = e => rpc.#receive(e.data, onNotify);
      ws.onclose = e => {
        for (const { reject: r } of rpc.#pending.values()) r(new Error('the connection to the service closed'));
        rpc.#pending.clear();
        if (opened) onClose(e.code, e.reason);
        else reject(new Error(e.reason || 'the service refused the connection'));
      };
    });
  }

  /** Calls a method; rejects with RpcError carrying the server's own message. 30 s limit. */
  call(method, params) {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      if (this.#ws.readyState !== WebSocket.OPEN) { reject(new Error('not connected to the service')); return; }
      const timer = setTimeout(() => { this.#pending.delete(id); reject(new Error(`${method}: no answer within 30 s`)); }, 30000);
      this.#pending.set(id, {
        resolve: v => { clearTimeout(timer); resolve(v); },
        reject: e => { clearTimeout(timer); reject(e); },
      });
      this.#ws.send(JSON.stringify({ jsonrpc: '2.0', method, params: params ?? {}, id }));
    });
  }

  close() { this.#ws?.close(1000, 'logout'); }

  #receive(text, onNotify) {
    let msg;
    try { msg = JSON.parse(text); } catch { return; }
    for (const m of Array.isArray(msg) ? msg : [msg]) {
      if (m.id === undefined || m.id === null) { if (m.method) onNotify(m.method, m.params ?? {}); continue; }
      const p = this.#pending.get(m.id);
      if (!p) continue;
      this.#pending.delete(m.id);
      if (m.error) p.reject(new RpcError(m.error)); else p.resolve(m.result);
    }
  }
}
