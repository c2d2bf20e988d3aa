"""Everything that goes over Socket.IO: the handler plumbing (sockets), the handlers (events), and what rooms
are told (broadcast, queue, approval); processes lets go of the people of a hub process that died."""
