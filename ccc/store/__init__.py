"""The database at the bottom: the SQLAlchemy db and models, transcript queries, sessions, retention. SQL only:
no sockets, no requests. Everything above imports it; it imports only ccc.transcripts and ccc.protocol."""
