// The relay path in Node: socket.io with the protocol subset of bench/bare_relay.py, as a yardstick for the hub.
// join enters the room, requestSpeak always grants, caption is emitted to the room in the hub's shape (finals
// numbered in memory), every event is acked. bench/fanout.py starts it with --target node.
//
//     node bench/node_relay/server.js --port 5055    (loopback only; npm ci first)
'use strict';

const http = require('http');
const { Server } = require('socket.io');

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const host = arg('--host', '127.0.0.1');
const port = Number(arg('--port', '5055'));
if (!['127.0.0.1', 'localhost', '::1'].includes(host)) {
  console.error('node_relay serves loopback only');
  process.exit(2);
}

const httpServer = http.createServer((req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{"ok":true,"node":true}');
  }
});
// The hub's Engine.IO settings: ping every 5 s, 5 s to answer, 256 KiB messages.
const io = new Server(httpServer, { pingInterval: 5000, pingTimeout: 5000, maxHttpBufferSize: 256 * 1024 });
let seq = 0;

io.on('connection', (socket) => {
  let room = null;
  socket.on('join', (data, ack) => {
    room = `room:${data.room}`;
    socket.join(room);
    if (typeof ack === 'function') ack({ ok: true, participantId: data.participantId || socket.id, state: {} });
  });
  socket.on('requestSpeak', (_data, ack) => {
    if (typeof ack === 'function') ack({ ok: true, granted: true, speaker: { id: socket.id, name: 'bench' } });
  });
  socket.on('caption', (data, ack) => {
    const payload = { utteranceId: data.utteranceId, speakerId: socket.id, speakerName: 'bench',
      text: data.text, isFinal: data.isFinal, timestamp: Date.now() };
    if (data.isFinal) payload.seq = ++seq;
    if (room) io.to(room).emit('caption', payload);
    if (typeof ack === 'function') ack(data.isFinal ? { ok: true, seq: payload.seq } : { ok: true });
  });
});

process.on('SIGINT', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
httpServer.listen(port, host, () => console.log(`node relay on ${host}:${port}`));
