"""Room rules over the store, with no sockets and no requests: names, presence, the floor and its queue,
rooms, captions, vocabulary, approval of presenters."""
