/* A connection to a room that resumes where it left off: connect, join (or resume with the secret token the hub
 * gave), catch up on what was missed in pages, reconnect with backoff, and keep the captions in a CaptionStore.
 *
 * Needs ccc.js, e2e.js and captions.js (loaded before it). Adds CCC.Connection and CCC.ask; language.js adds the
 * reader's language to it, room.js the room's people, speaker and floor queue (CCC.RoomConnection, what pages use).
 */
(function () {
  'use strict';

  const { storage, roomPassword, CaptionStore, Sealer } = window.CCC;

  /* Who this page is in a room: the participantId the hub gave it and the secret resumeToken that proves it.
   * Per device for presenters, per tab for readers (tabs never evict each other). Both live under one key, so
   * they are kept and dropped together. */
  function identityKey(role, code) {
    return 'ccc.participant.' + role + '.' + code;
  }

  function loadIdentity(role, code) {
    const store = storage(role === 'presenter' ? 'local' : 'session');
    try {
      const saved = JSON.parse((store && store.getItem(identityKey(role, code))) || 'null');
      if (saved && typeof saved.id === 'string' && typeof saved.token === 'string') return saved;
    } catch (err) {
      // an id kept by an older version (no token): it cannot be resumed any more
    }
    return null;
  }

  function saveIdentity(role, code, identity) {
    const store = storage(role === 'presenter' ? 'local' : 'session');
    if (!store) return;
    if (identity) store.setItem(identityKey(role, code), JSON.stringify(identity));
    else store.removeItem(identityKey(role, code));
  }

  /** Send an event on ``socket`` and resolve with the hub's ack, or with an error ack when offline or too slow. */
  function ask(socket, event, data, timeoutMs) {
    return new Promise((resolve) => {
      if (!socket || !socket.connected) {
        resolve({ ok: false, error: { code: 'offline', message: 'Not connected to the hub.' } });
        return;
      }
      socket.timeout(timeoutMs || 8000).emit(event, data || {}, (err, ack) => {
        if (err) resolve({ ok: false, error: { code: 'timeout', message: 'The hub did not answer in time.' } });
        else resolve(ack || { ok: false, error: { code: 'bad_request', message: 'No answer.' } });
      });
    });
  }

  const OFFLINE_AFTER_MS = 10000;
  const PING_EVERY_MS = 5000;
  const REJOIN_AFTER_MS = 2000; // a join or catch-up page the hub refused for pace is asked again after 2-4 s
  const pacedDelay = () => REJOIN_AFTER_MS + Math.random() * REJOIN_AFTER_MS;

  class Connection {
    /**
     * options: {code, role, name, pin, lang, handlers: {state, caption, partial, edit, language, status,
     *           joinError}} (RoomConnection adds people, speaker, denied, queue, approvalRequested, roomUpdated)
     */
    constructor(options) {
      this.options = options;
      this.handlers = options.handlers || {};
      this.store = new CaptionStore();
      this.room = null;
      this.joined = false;
      this.everJoined = false;
      this.status = 'connecting';
      this.rtt = null;
      this.lostAt = null;
      this.identity = loadIdentity(options.role, options.code);
      this.participantId = this.identity ? this.identity.id : null;
      this.stopped = false;
      this.sealer = Sealer.forPage(options.code); // null unless the room is end-to-end encrypted
      this.lang = options.lang || ''; // the language finals are wanted in ('' : the room's own)
      this.readingLang = ''; // the language the hub sends them in
      if (this.sealer) this.sealer.lang = this.lang;
    }

    /** Run ``then`` after ``thing`` (a caption, an edit, a state) is opened, in arrival order; at once for a plain room. */
    unseal(thing, then) {
      if (this.sealer) this.sealer.openInOrder(thing, then);
      else then();
    }

    start() {
      if (typeof window.io !== 'function') {
        this.setStatus('offline');
        return this;
      }
      const socket = window.io({
        transports: ['websocket', 'polling'],
        reconnectionDelay: 400,
        reconnectionDelayMax: 2000,
        randomizationFactor: 0.3,
        timeout: 5000,
      });
      this.socket = socket;
      socket.on('connect', () => this.join());
      socket.on('disconnect', (reason) => this.lost(reason));
      socket.on('connect_error', () => this.lost('connect_error'));
      socket.on('caption', (c) => this.unseal(c, () => { this.noticeLanguages(); this.onCaption(c); }));
      socket.on('captionEdited', (e) => this.unseal(e, () => this.onEdit(e)));
      this.listen(socket);
      window.addEventListener('online', () => this.refreshStatus());
      window.addEventListener('offline', () => this.refreshStatus());
      this.pinger = window.setInterval(() => this.ping(), PING_EVERY_MS);
      this.watcher = window.setInterval(() => this.refreshStatus(), 1000);
      return this;
    }

    call_(name, ...args) {
      const fn = this.handlers[name];
      if (fn) fn(...args);
    }

    /** Send an event and resolve with its ack, or with a timeout error; in an e2e room captions leave sealed. */
    call(event, data, timeoutMs) {
      if (this.sealer && (event === 'caption' || event === 'editCaption') && data && typeof data.text === 'string') {
        return this.callSealed(event, data, timeoutMs);
      }
      return this.send_(event, data, timeoutMs);
    }

    /** Seal a caption or correction with the room key (in order: a partial never overtakes its final), then send it. */
    callSealed(event, data, timeoutMs) {
      const send = (text) => this.send_(event, Object.assign({}, data, { text }), timeoutMs);
      return this.sealer.sealInOrder(data.utteranceId, data.text).then(send, () => ({
        ok: false,
        error: { code: 'no_key', message: 'This room is end-to-end encrypted and this page has no valid room key: '
          + 'open the room\'s full link (it ends with #k=…).' },
      }));
    }

    send_(event, data, timeoutMs) {
      return ask(this.socket, event, data, timeoutMs);
    }

    async join() {
      const o = this.options;
      const payload = { room: o.code, role: o.role, name: o.name || '' };
      if (this.identity) {
        payload.participantId = this.identity.id;
        payload.resumeToken = this.identity.token;
      }
      if (o.pin) payload.pin = o.pin;
      const password = roomPassword(o.code);
      if (password) payload.password = password;
      if (this.everJoined) {
        // Mid catch-up, resume from what arrived in order, not from a live final that arrived since.
        payload.since = this.cursor ? this.cursor.seq : this.store.lastSeq;
        payload.sinceRev = this.cursor ? this.cursor.rev : this.store.lastRev;
      }
      const ack = await this.call('join', payload, 8000);
      if (!ack.ok) {
        if (ack.error && ack.error.code === 'timeout' && this.socket.connected) {
          this.socket.disconnect().connect();
          return;
        }
        if (ack.error && ack.error.code === 'rate_limited' && o.role !== 'presenter' && this.socket.connected) {
          // The hub is pacing joins (a crowd joining at once, or a flood on the Wi-Fi): try again shortly
          // rather than stop. A presenter's refusal may be a PIN lockout, which the page shows instead.
          this.setStatus('connecting');
          const sid = this.socket.id; // a reconnection meanwhile joins by itself
          window.setTimeout(() => { if (this.socket.connected && this.socket.id === sid && !this.joined) this.join(); },
            pacedDelay());
          return;
        }
        if (ack.error && ack.error.code === 'forbidden' && this.identity) {
          this.forgetIdentity(); // the hub no longer knows it (expired): join as someone new
          this.join();
          return;
        }
        this.joined = false;
        this.stopped = true;
        this.socket.disconnect();
        this.setStatus('offline');
        this.call_('joinError', ack.error || {});
        return;
      }
      const resumed = this.everJoined;
      if (ack.resumeToken) {
        this.identity = { id: ack.participantId, token: ack.resumeToken };
        saveIdentity(o.role, o.code, this.identity);
      }
      this.participantId = ack.participantId;
      this.joined = true;
      this.everJoined = true;
      this.lostAt = null;
      if (this.sealer) await new Promise((done) => this.unseal(ack.state, done));
      this.readingLang = '';
      this.applyState(ack.state, resumed);
      if (this.lang) this.setLanguage(this.lang); // every join starts in the original
      this.noticeLanguages();
      this.setStatus('connected');
      this.ping();
      if (ack.state.more) this.catchUp(payload.since, payload.sinceRev, ack.state);
    }

    /** Page through a long backlog: the hub sends at most a few hundred finals per answer. */
    async catchUp(since, sinceRev, page) {
      let cursor = { seq: since, rev: sinceRev };
      const sid = this.socket.id; // a reconnection meanwhile catches up by itself
      while (page.more && this.socket.connected) {
        for (const c of page.captions || []) cursor.seq = Math.max(cursor.seq, c.seq || 0);
        for (const e of page.edits || []) cursor.rev = Math.max(cursor.rev, e.rev || 0);
        this.cursor = cursor;
        page = await this.call('catchUp', { since: cursor.seq, sinceRev: cursor.rev }, 8000);
        if (!page.ok && page.error && page.error.code === 'rate_limited') {
          // Paced (a room of phones catching up at once, or a flood): ask for the same page again shortly.
          await new Promise((done) => window.setTimeout(done, pacedDelay()));
          if (this.socket.id !== sid) return;
          page = { more: true };
          continue;
        }
        if (!page.ok) return; // the next reconnect resumes from the cursor
        if (this.sealer) await new Promise((done) => this.unseal(page, done));
        const { added, edited } = this.store.merge(page);
        this.call_('state', { state: Object.assign({}, this.lastState, page), resumed: true, added, edited });
      }
      if (!page.more) {
        this.cursor = null;
        this.store.reached(page);
      }
    }

    /** Take a roomState (a join's): the room, its captions and edits; then tell the page. */
    applyState(state, resumed) {
      this.room = state.room;
      const { added, edited } = this.store.merge(state);
      // With more to come, the last seq and rev are those of the pages still to fetch (catchUp notes them).
      if (!state.more) this.store.reached(state);
      this.lastState = state;
      this.call_('state', { state, resumed, added, edited });
    }

    /** Listen to the room's own events besides captions and edits (RoomConnection does). */
    listen() {} // a bare Connection hears captions and edits only

    onCaption(c) {
      if (c.isFinal) {
        if (this.store.addFinal(c)) this.call_('caption', this.store.finals.get(c.utteranceId));
      } else if (this.store.addPartial(c)) {
        this.call_('partial', this.store.partials.get(c.speakerId));
      }
    }

    onEdit(e) {
      const c = this.store.applyEdit(e);
      if (c) this.call_('edit', c);
    }

    /** Forget who this page was in the room: the next join is someone new. */
    forgetIdentity() {
      this.identity = null;
      saveIdentity(this.options.role, this.options.code, null);
    }

    /** Join again after a refused join, with changed options (a corrected PIN, another name). */
    retry(changes) {
      Object.assign(this.options, changes || {});
      this.stopped = false;
      this.setStatus('connecting');
      if (this.socket.connected) this.join();
      else this.socket.connect();
    }

    lost(reason) {
      this.joined = false;
      if (this.stopped || reason === 'io client disconnect') return;
      if (this.lostAt === null) this.lostAt = Date.now();
      if (reason === 'io server disconnect') {
        // The hub dropped this connection on purpose (the same participant opened elsewhere).
        this.stopped = true;
        this.setStatus('offline', 'opened in another window');
        return;
      }
      this.refreshStatus();
    }

    refreshStatus() {
      if (this.stopped) return;
      if (this.joined) {
        this.setStatus('connected');
      } else if (this.everJoined || this.lostAt !== null) {
        const long = this.lostAt !== null && Date.now() - this.lostAt > OFFLINE_AFTER_MS;
        this.setStatus(!navigator.onLine || long ? 'offline' : 'reconnecting');
      }
    }

    setStatus(status, note) {
      const changed = status !== this.status || note !== this.statusNote;
      this.status = status;
      this.statusNote = note || null;
      if (changed) this.call_('status', status, this.rtt, this.statusNote);
    }

    async ping() {
      if (!this.socket || !this.socket.connected) return;
      const sent = performance.now();
      const ack = await this.call('ping', {}, 4000);
      if (ack.ok) {
        this.rtt = Math.round(performance.now() - sent);
        this.call_('status', this.status, this.rtt, this.statusNote);
      }
    }
  }

  Object.assign(window.CCC, { Connection, ask });
}());
