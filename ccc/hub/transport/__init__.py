"""The network plumbing under Socket.IO: the gate (limits, malformed packets), gevent WebSocket, the server,
the address phones use."""
