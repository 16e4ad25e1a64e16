// The vpsctl panel: plain DOM, no build step. Everything a tenant controls (VPS names,
// hostnames, error texts) is put on the page with textContent only, never as HTML.
'use strict';

const HISTORY_S = 3600;
const SAMPLE_S = 10;
const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem('vpsctl-token') || '';
const vpses = new Map(); // name -> {data, row, samples: [{t, cpu, mem, net}]}
let pollTimer = null; // the list, the graphs and the node, every SAMPLE_S
let events = null;
let consoleWs = null;
let term = null;

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = String(text);
  return e;
}

async function api(method, path, body) {
  const opts = {method, headers: {Authorization: 'Bearer ' + token}};
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  const r = await fetch(path, opts);
  let j = null;
  try { j = await r.json(); } catch (e) { j = null; }
  if (!r.ok) {
    const err = new Error((j && j.error) || ('HTTP ' + r.status));
    err.status = r.status;
    throw err;
  }
  return j;
}

function showError(where, e) { $(where).textContent = e ? String(e.message || e) : ''; }

// --- log in and out ---

async function login(ev) {
  if (ev) ev.preventDefault();
  const given = $('token').value.trim();
  if (given) token = given;
  showError('login-error', null);
  try {
    const list = await api('GET', '/v1/vps');
    sessionStorage.setItem('vpsctl-token', token);
    $('token').value = '';
    $('login').hidden = true;
    $('main').hidden = false;
    $('logout').hidden = false;
    render(list);
    refreshGraphs();
    loadNode();
    startPolling();
    followEvents();
  } catch (e) {
    token = '';
    sessionStorage.removeItem('vpsctl-token');
    showError('login-error', 'Login failed: ' + e.message);
  }
}

function logout() {
  token = '';
  sessionStorage.removeItem('vpsctl-token');
  clearInterval(pollTimer);
  if (events) events.abort();
  closeConsole();
  vpses.clear();
  $('vps-list').replaceChildren();
  $('main').hidden = true;
  $('logout').hidden = true;
  $('login').hidden = false;
}

// --- the list ---

function render(list) {
  const seen = new Set();
  for (const v of list) {
    seen.add(v.name);
    let s = vpses.get(v.name);
    if (!s) {
      s = {data: v, samples: [], row: makeRow(v.name)};
      vpses.set(v.name, s);
      $('vps-list').appendChild(s.row.root);
    }
    s.data = v;
    updateRow(s);
  }
  for (const [name, s] of vpses)
    if (!seen.has(name)) { s.row.root.remove(); vpses.delete(name); }
  $('vps-list').dataset.count = String(vpses.size);
}

function makeRow(name) {
  const root = el('div', 'vps');
  root.dataset.name = name;
  const h = el('h3', null, name);
  const host = el('div', 'host');
  const state = el('span', 'state');
  const actions = el('div', 'actions');
  const canvas = el('canvas');
  canvas.width = 400;
  canvas.height = 80;
  const buttons = {};
  for (const [label, fn] of [['Start', () => act(name, 'start')], ['Stop', () => act(name, 'stop')],
                             ['Reboot', () => act(name, 'reboot')], ['Console', () => openConsole(name)]]) {
    const b = el('button', 'act-' + label.toLowerCase(), label);
    b.addEventListener('click', fn);
    actions.appendChild(b);
    buttons[label] = b;
  }
  // reinstall and root's password: small forms, their values never echoed into the page
  const reinstall = el('form', 'reinstall');
  const tpl = el('input');
  tpl.placeholder = 'template (empty: its own)';
  tpl.className = 'template';
  const rb = el('button', 'act-reinstall', 'Reinstall');
  reinstall.append(tpl, rb);
  reinstall.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!confirmed(rb)) return;
    const body = tpl.value.trim() ? {template: tpl.value.trim()} : {};
    act(name, 'reinstall', body);
  });
  const pw = el('form', 'password');
  const pin = el('input');
  pin.type = 'password';
  pin.placeholder = 'new root password';
  pin.autocomplete = 'new-password';
  pin.className = 'new-password';
  const pb = el('button', 'act-password', 'Set root password');
  pw.append(pin, pb);
  pw.addEventListener('submit', async (e) => {
    e.preventDefault();
    const ok = await act(name, 'password', {password: pin.value});
    pin.value = '';
    if (ok) showNote(name + ': root password set');
  });
  root.append(h, host, state, actions, canvas, reinstall, pw);
  return {root, host, state, buttons, canvas, reinstallButton: rb};
}

function updateRow(s) {
  const v = s.data;
  s.row.host.textContent = v.hostname ? 'hostname: ' + v.hostname : '';
  s.row.state.textContent = v.state || 'unknown';
  s.row.state.className = 'state ' + (v.state || '');
  const running = v.state === 'running';
  s.row.buttons.Start.disabled = running;
  s.row.buttons.Stop.disabled = !running;
  s.row.buttons.Reboot.disabled = !running;
  s.row.buttons.Console.disabled = !running;
  s.row.reinstallButton.disabled = running;
  draw(s);
}

// A second click within 5 s confirms what cannot be undone.
function confirmed(button) {
  if (button.dataset.armed && Date.now() - Number(button.dataset.armed) < 5000) {
    delete button.dataset.armed;
    button.textContent = 'Reinstall';
    return true;
  }
  button.dataset.armed = String(Date.now());
  button.textContent = 'Click again to wipe and reinstall';
  return false;
}

function showNote(text) {
  const m = $('message');
  m.textContent = text;
  m.className = 'note';
}

async function act(name, verb, body) {
  showError('message', null);
  $('message').className = 'error';
  try {
    const st = await api('POST', '/v1/vps/' + encodeURIComponent(name) + '/' + verb, body || {});
    const s = vpses.get(name);
    if (s && st && st.state) { s.data = Object.assign({}, s.data, {state: st.state}); updateRow(s); }
    return true;
  } catch (e) {
    showError('message', name + ': ' + e.message);
    return false;
  }
}

// --- usage graphs: the daemon's history of the last hour, drawn by hand ---

async function loadHistory(s) {
  try {
    const h = await api('GET', '/v1/vps/' + encodeURIComponent(s.data.name) + '/history');
    const pts = [];
    let prev = null;
    for (const p of h.samples) {
      const net = (p.net_rx_bytes || 0) + (p.net_tx_bytes || 0);
      const rate = prev && p.time > prev.time && net >= prev.net ? (net - prev.net) / (p.time - prev.time) : 0;
      prev = {time: p.time, net};
      pts.push({t: p.time, cpu: p.cpu_pct || 0,
                mem: p.memory_limit ? 100 * (p.memory_used || 0) / p.memory_limit : 0, net: rate});
    }
    s.samples = pts;
    draw(s);
  } catch (e) { /* the list shows the error that matters */ }
}

function fmtRate(b) {
  const u = ['B/s', 'KiB/s', 'MiB/s', 'GiB/s'];
  let i = 0;
  while (b >= 1024 && i < u.length - 1) { b /= 1024; i++; }
  return b.toFixed(i ? 1 : 0) + ' ' + u[i];
}

// The x axis spans what the daemon has (at least a minute, at most the hour), so that a
// freshly started daemon's few samples are visible too.
function draw(s) {
  const c = s.row.canvas, g = c.getContext('2d');
  const now = Date.now() / 1000;
  const pts = s.samples;
  const span = Math.min(HISTORY_S, Math.max(60, pts.length ? now - pts[0].t : 60));
  g.clearRect(0, 0, c.width, c.height);
  g.strokeStyle = '#e0e0e0';
  g.beginPath();
  for (const f of [0.25, 0.5, 0.75]) { g.moveTo(0, c.height * f); g.lineTo(c.width, c.height * f); }
  g.stroke();
  const maxNet = Math.max(1, ...pts.map((p) => p.net));
  const series = [['cpu', '#1565c0', 100], ['mem', '#2e7d32', 100], ['net', '#ef6c00', maxNet]];
  g.lineWidth = 2;
  for (const [key, color, max] of series) {
    g.strokeStyle = color;
    g.beginPath();
    pts.forEach((p, i) => {
      const x = c.width * (1 - (now - p.t) / span);
      const y = c.height - 2 - (c.height - 4) * Math.min(1, p[key] / max);
      if (i === 0) g.moveTo(x, y); else g.lineTo(x, y);
    });
    g.stroke();
  }
  g.lineWidth = 1;
  const last = pts[pts.length - 1];
  g.font = '11px sans-serif';
  g.fillStyle = '#444';
  const mins = Math.round(span / 60);
  g.fillText('last ' + mins + ' min' + (last ? '  cpu ' + last.cpu.toFixed(1) + '%  mem ' +
             last.mem.toFixed(1) + '%  ' + fmtRate(last.net) : '  no samples yet'), 4, 12);
  c.dataset.samples = String(pts.length);
}

// The node, for an operator (a customer's token gets 403 and sees no node).
async function loadNode() {
  try {
    const n = await api('GET', '/v1/node');
    const dl = $('node-facts');
    dl.replaceChildren();
    const gib = (b) => (b / 1073741824).toFixed(1) + ' GiB';
    for (const [k, v] of [['CPUs', n.cpus], ['Memory', gib(n.memory_total)],
                          ['Available', gib(n.memory_available)], ['Load', n.load1 === null ? null : n.load1.toFixed(2)],
                          ['VPSes', n.vps_total], ['Running', n.vps_running]])
      dl.append(el('dt', null, k), el('dd', null, v === null ? '-' : v));
    $('node').hidden = false;
    $('list-title').textContent = 'Every VPS on this node';
  } catch (e) {
    $('node').hidden = true;
  }
}

function refreshGraphs() { for (const s of vpses.values()) loadHistory(s); }

function startPolling() {
  clearInterval(pollTimer);
  pollTimer = setInterval(async () => {
    try { render(await api('GET', '/v1/vps')); refreshGraphs(); loadNode(); } catch (e) {
      if (e.status === 401) logout(); else showError('message', e);
    }
  }, SAMPLE_S * 1000);
}

// --- live state: /v1/events read with fetch (EventSource cannot send the token) ---

async function followEvents() {
  if (events) events.abort();
  events = new AbortController();
  const mine = events;
  try {
    const r = await fetch('/v1/events', {headers: {Authorization: 'Bearer ' + token}, signal: mine.signal});
    if (!r.ok) throw new Error('events: HTTP ' + r.status);
    const reader = r.body.getReader(), dec = new TextDecoder();
    let buf = '';
    for (;;) {
      const {value, done} = await reader.read();
      if (done) break;
      buf += dec.decode(value, {stream: true});
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        for (const line of block.split('\n'))
          if (line.startsWith('data:')) onEvent(line.slice(5));
      }
    }
  } catch (e) {
    if (mine.signal.aborted) return;
  }
  if (!mine.signal.aborted && token) setTimeout(followEvents, 3000);
}

function onEvent(text) {
  let ev;
  try { ev = JSON.parse(text); } catch (e) { return; }
  const s = vpses.get(ev.name);
  if (!s) return;
  if (ev.state === 'removed') return;
  s.data = Object.assign({}, s.data, {state: ev.state});
  s.row.root.dataset.event = ev.state; // what the stream said last (the tests read it)
  updateRow(s);
}

// --- the console: a one-time ticket, then a WebSocket to /v1/vps/NAME/console ---

let termLib = null;
function loadScript(src) {
  return new Promise((ok) => {
    const sc = document.createElement('script');
    sc.src = src;
    sc.onload = () => ok(true);
    sc.onerror = () => ok(false);
    document.head.appendChild(sc);
  });
}

// Debian's libjs-xterm first; where its xterm.js is not a browser build (bookworm ships a
// CommonJS stub), Debian's libjs-term.js, an xterm clone with the same calls.
async function terminalClass() {
  if (termLib) return termLib;
  await loadScript('vendor/xterm/xterm.js');
  if (typeof window.Terminal !== 'function') await loadScript('vendor/term.js/term.js');
  if (typeof window.Terminal !== 'function') throw new Error('no terminal library installed');
  termLib = window.Terminal;
  return termLib;
}

async function openConsole(name) {
  closeConsole();
  showError('message', null);
  try {
    const T = await terminalClass();
    const t = await api('POST', '/v1/vps/' + encodeURIComponent(name) + '/console-ticket', {});
    $('console').hidden = false;
    $('console-name').textContent = name;
    $('console-state').textContent = 'connecting';
    const holder = $('term');
    holder.replaceChildren();
    term = new T({cols: 100, rows: 30, useStyle: false, screenKeys: false});
    term.open(holder);
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(proto + '//' + location.host + '/v1/vps/' + encodeURIComponent(name) + '/console',
                             ['vpsctl-console', 'ticket.' + t.ticket]);
    ws.binaryType = 'arraybuffer';
    consoleWs = ws;
    const dec = new TextDecoder(), enc = new TextEncoder();
    ws.onopen = () => { $('console-state').textContent = 'connected'; if (term.focus) term.focus(); };
    ws.onmessage = (m) => {
      const text = typeof m.data === 'string' ? m.data : dec.decode(new Uint8Array(m.data), {stream: true});
      term.write(text);
    };
    ws.onclose = (c) => { $('console-state').textContent = 'closed' + (c.reason ? ': ' + c.reason : ''); };
    term.on('data', (d) => { if (ws.readyState === WebSocket.OPEN) ws.send(enc.encode(d)); });
  } catch (e) {
    showError('message', name + ': console: ' + e.message);
  }
}

function closeConsole() {
  if (consoleWs) consoleWs.close(1000);
  consoleWs = null;
  if (term && term.destroy) term.destroy();
  term = null;
  $('console').hidden = true;
}

document.addEventListener('DOMContentLoaded', () => {
  $('login-form').addEventListener('submit', login);
  $('logout').addEventListener('click', logout);
  $('console-close').addEventListener('click', closeConsole);
  if (token) login();
});
