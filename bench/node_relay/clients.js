// bench/fanout.py's audience worker in Node (`--client node`): many light phones in one process, cheaper per
// received caption than the Python workers, so the latency measured is more the server's and less the
// clients'. It speaks bench/fanout.py's worker protocol: commands on stdin ("join", "start", "stop"), one
// line of JSON on stdout for each, with the same keys as the Python worker.
//
// Each phone is a minimal Socket.IO client over one WebSocket (the `ws` package socket.io itself uses):
// Engine.IO open, "40" connect, the join event and its ack, pong for every ping, and every caption event's
// text, whose first words are "t=<send time in ms> k=<index>". Times are CLOCK_MONOTONIC milliseconds
// (process.hrtime, as Python's time.monotonic), one clock for every process on this machine.
'use strict';

const readline = require('node:readline');
const WebSocket = require('ws');

const FINAL_EVERY = 10;

function option(name, fallback) {
  const at = process.argv.indexOf('--' + name);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

const url = option('url');
const room = option('room');
const count = Number(option('count', '1'));
const concurrency = Number(option('concurrency', '100'));
const spreadFrom = option('spread-from', null);

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
// A pipe takes a long line in pieces, after this returns: exit only from `then` (the results are ~1 MB).
const emit = (obj, then) => process.stdout.write(JSON.stringify(obj) + '\n', then);

function percentile(values, p) {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(0, Math.min(sorted.length - 1, Math.round((p / 100) * sorted.length + 0.5) - 1));
  return sorted[rank];
}

// The loopback address phone `index` connects from (bench/fanout_cluster.py's source_address).
function sourceAddress(index) {
  return `127.${100 + Math.floor(index / 65025)}.${Math.floor(index / 255) % 255}.${(index % 255) + 1}`;
}

const sockets = [];
const seen = [];
let latencies = [];
let finalLatencies = [];
let worst = {};
let received = 0;
let disconnects = 0;
let measuring = false;
let lags = [];

function onCaption(got, text) {
  const arrived = nowMs();
  const head = text.split(' ', 2);
  if (head.length < 2 || !head[0].startsWith('t=')) return;
  const latency = Math.round((arrived - Number(head[0].slice(2))) * 1000) / 1000;
  const k = Number(head[1].slice(2));
  latencies.push(latency);
  if ((k + 1) % FINAL_EVERY === 0) finalLatencies.push(latency);
  worst[k] = Math.max(worst[k] || 0, latency);
  got.add(k);
  received += 1;
}

function joinOne(index) {
  return new Promise((resolve) => {
    const started = nowMs();
    const options = { perMessageDeflate: false, maxPayload: 0 };
    if (spreadFrom !== null) options.localAddress = sourceAddress(Number(spreadFrom) + index);
    const ws = new WebSocket(url.replace('http://', 'ws://') + '/socket.io/?EIO=4&transport=websocket', options);
    const got = new Set();
    let settled = false;
    const done = (ok) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve([ok, nowMs() - started]);
    };
    const timer = setTimeout(() => done(false), 60000);
    sockets.push(ws);
    seen.push(got);
    ws.on('message', (raw) => {
      const data = raw.toString();
      if (data.startsWith('42["caption"')) onCaption(got, JSON.parse(data.slice(2))[1].text || '');
      else if (data === '2') ws.send('3');
      else if (data.startsWith('0')) ws.send('40');
      else if (data.startsWith('40')) ws.send('420' + JSON.stringify(['join', { room, role: 'audience', name: '' }]));
      else if (data.startsWith('430')) done(Boolean(JSON.parse(data.slice(3))[0].ok));
    });
    ws.on('close', () => {
      disconnects += 1;
      done(false);
    });
    ws.on('error', () => done(false));
  });
}

async function joinAll() {
  const results = [];
  let next = 0;
  const lane = async () => {
    while (next < count) results.push(await joinOne(next++));
  };
  const t0 = nowMs();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  emit({ joined: results.filter(([ok]) => ok).length, failed: results.filter(([ok]) => !ok).length,
    start: t0, end: nowMs(), join_ms: results.filter(([ok]) => ok).map(([, ms]) => Math.round(ms * 100) / 100) });
}

// How late a 20 ms timer fires: this worker's own event-loop lag while it measures.
let before = nowMs();
setInterval(() => {
  const t = nowMs();
  if (measuring) lags.push(t - before - 20);
  before = t;
}, 20);

let cpu0 = null;
let wall0 = null;
const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

const commands = readline.createInterface({ input: process.stdin });
commands.on('line', async (line) => {
  const cmd = line.trim();
  if (cmd === 'join') {
    await joinAll();
  } else if (cmd === 'start') {
    cpu0 = cpuSeconds();
    wall0 = nowMs();
    measuring = true;
    latencies = [];
    finalLatencies = [];
    worst = {};
    lags = [];
    received = 0;
    for (const got of seen) got.clear();
    emit({ started: true });
  } else if (cmd === 'stop') {
    measuring = false;
    const unique = seen.reduce((sum, got) => sum + got.size, 0);
    emit({ lat: latencies, lat_final: finalLatencies, worst, unique, received, disconnects,
      cpu_s: Math.round((cpuSeconds() - cpu0) * 1000) / 1000, wall_s: Math.round(nowMs() - wall0) / 1000,
      lag_p99: percentile(lags, 99), lag_max: lags.length ? Math.max(...lags) : null,
      rss_mb: Math.round(process.memoryUsage().rss / 2 ** 20 * 10) / 10 }, finish);
  }
});
commands.on('close', finish);

function finish() {
  for (const ws of sockets) ws.terminate();
  process.exit(0);
}

emit({ loaded: true });
