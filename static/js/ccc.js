/* CCC shared browser code: remembered settings, a resumable room connection, captions kept and shown as text.
 *
 * Loaded in <head> (not deferred), so a page's remembered theme and sizes apply before the first paint.
 * User text (captions, names, titles) only ever reaches the page through textContent.
 */
(function () {
  'use strict';

  const root = document.documentElement;
  const PAGE = root.dataset.page || 'page';

  // ---- Settings remembered on this device --------------------------------------------------------------

  const DEFAULTS = {
    audience: { size: 100, theme: 'dark', font: 'default', spacing: 1.5, vibrate: false, lang: '' },
    projector: { size: 'l', theme: 'dark', lines: 3, qr: true },
    present: { key: 'Space', mode: 'hold', name: '' },
  };

  function storage(kind) {
    try {
      const store = kind === 'session' ? window.sessionStorage : window.localStorage;
      const probe = '__ccc_probe__';
      store.setItem(probe, '1');
      store.removeItem(probe);
      return store;
    } catch (err) {
      return null; // private mode or storage disabled: settings last for this visit only
    }
  }

  function loadSettings(page) {
    const defaults = DEFAULTS[page] || {};
    const store = storage('local');
    try {
      const saved = JSON.parse((store && store.getItem('ccc.settings.' + page)) || '{}');
      return Object.assign({}, defaults, saved && typeof saved === 'object' ? saved : {});
    } catch (err) {
      return Object.assign({}, defaults);
    }
  }

  function saveSettings(page, settings) {
    const store = storage('local');
    if (store) store.setItem('ccc.settings.' + page, JSON.stringify(settings));
  }

  /** Apply reading settings to <html> as data attributes and CSS custom properties. */
  function applySettings(page, s) {
    if (s.theme) root.dataset.theme = s.theme;
    if (page === 'audience') {
      root.dataset.font = s.font === 'dyslexic' ? 'dyslexic' : 'default';
      root.style.setProperty('--reader-scale', String(Number(s.size) / 100 || 1));
      root.style.setProperty('--reader-leading', String(Number(s.spacing) || 1.5));
    } else if (page === 'projector') {
      root.dataset.size = s.size;
      root.style.setProperty('--stage-lines', String(Number(s.lines) || 3));
      root.dataset.qr = s.qr ? 'shown' : 'hidden';
    }
  }

  if (DEFAULTS[PAGE] && PAGE !== 'present') applySettings(PAGE, loadSettings(PAGE));

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

  /* A private room's read password: from the link's fragment (#p=..., never sent to the hub in a URL), or
   * kept for this tab once it was proved, so the projector can put it in its QR code after a reload. */
  function roomPassword(code, linkOnly) {
    const match = /(?:^#|&)p=([^&]*)/.exec(window.location.hash || '');
    if (match) {
      try {
        return decodeURIComponent(match[1]);
      } catch (err) {
        return '';
      }
    }
    const store = linkOnly ? null : storage('session');
    return (store && store.getItem('ccc.password.' + code)) || '';
  }

  function keepRoomPassword(code, password) {
    const store = storage('session');
    if (store && password) store.setItem('ccc.password.' + code, password);
  }

  /** The hub shut this page out of a room whose password changed (roomLocked): reload into the prompt. */
  function lockedOut(code) {
    // The old password, from the link or this tab, would only be posted again as a wrong guess (and a
    // roomful of them would lock the room out for everyone): drop it, keep the rest of the fragment (#k=).
    const params = new URLSearchParams(window.location.hash.replace(/^#/, ''));
    params.delete('p');
    const rest = params.toString();
    window.history.replaceState(null, '', window.location.pathname + window.location.search + (rest ? '#' + rest : ''));
    const store = storage('session');
    if (store) {
      store.removeItem('ccc.password.' + code);
      store.removeItem('ccc.unlocked.' + code); // a recent unlock is no sign of a lost cookie now
      store.setItem('ccc.locked.' + code, '1'); // the prompt says why it is back
    }
    window.location.reload();
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, '');
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  // ---- DOM helpers (text only) --------------------------------------------------------------------------

  /** Create an element with attributes and text; never parses HTML. */
  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    if (attrs) {
      for (const [name, value] of Object.entries(attrs)) {
        if (value === null || value === undefined || value === false) continue;
        if (/^on/i.test(name)) throw new Error('event handler attributes are not allowed');
        node.setAttribute(name === 'className' ? 'class' : name, value === true ? '' : String(value));
      }
    }
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function $(id) {
    return document.getElementById(id);
  }

  /** Return a function that runs ``fn`` at most once per animation frame, however often it is called. */
  function perFrame(fn) {
    let queued = false;
    return function schedule() {
      if (queued) return;
      queued = true;
      window.requestAnimationFrame(() => {
        queued = false;
        fn();
      });
    };
  }

  function reducedMotion() {
    return window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches;
  }

  function roomConfig() {
    const d = document.body.dataset;
    return {
      code: d.code, title: d.title, saving: d.saving === 'true', joinUrl: d.joinUrl,
      hasPin: d.hasPin === 'true', isAdmin: d.isAdmin === 'true', e2e: d.e2e === 'true',
    };
  }

  // ---- The captions a page knows: finals by seq, live partials by speaker ----------------------------

  class CaptionStore {
    constructor() {
      this.finals = new Map(); // utteranceId -> caption
      this.seqs = new Set();
      this.order = []; // finals, ascending seq
      this.partials = new Map(); // speakerId -> partial caption
      this.lastSeq = 0;
      this.lastRev = 0;
    }

    /** Add a final; return false for one already known (same seq or utteranceId). */
    addFinal(c) {
      if (this.finals.has(c.utteranceId) || (c.seq != null && this.seqs.has(c.seq))) return false;
      const caption = Object.assign({ rev: 0 }, c, { isFinal: true });
      this.finals.set(caption.utteranceId, caption);
      if (caption.seq != null) this.seqs.add(caption.seq);
      let i = this.order.length;
      while (i > 0 && this.order[i - 1].seq > caption.seq) i -= 1;
      this.order.splice(i, 0, caption);
      for (const [speaker, partial] of this.partials) {
        if (partial.utteranceId === caption.utteranceId) this.partials.delete(speaker);
      }
      this.lastSeq = Math.max(this.lastSeq, caption.seq || 0);
      return true;
    }

    /** Keep a speaker's live partial, unless its final is already here. */
    addPartial(c) {
      if (this.finals.has(c.utteranceId)) return false;
      this.partials.set(c.speakerId, Object.assign({}, c, { isFinal: false }));
      return true;
    }

    /** Apply a captionEdited payload; return the changed caption or null. */
    applyEdit(e) {
      this.lastRev = Math.max(this.lastRev, e.rev || 0);
      const caption = this.finals.get(e.utteranceId);
      if (!caption || (e.rev || 0) <= (caption.rev || 0)) return null;
      caption.text = e.text;
      caption.unreadable = e.unreadable || null; // an e2e correction that did not open
      caption.lang = e.lang; // a correction in the reader's language carries its original too
      caption.originalText = e.originalText;
      caption.machineTranslated = e.machineTranslated;
      caption.rev = e.rev;
      caption.edited = true;
      return caption;
    }

    /** Show a known final in the language a setLanguage answer gives it in; return it, or null (unknown, outdated). */
    retell(c) {
      const caption = this.finals.get(c.utteranceId);
      if (!caption || (c.rev || 0) < (caption.rev || 0)) return null;
      caption.text = c.text;
      caption.lang = c.lang;
      caption.originalText = c.originalText;
      caption.machineTranslated = c.machineTranslated;
      return caption;
    }

    dropPartial(speakerId, utteranceId) {
      const partial = this.partials.get(speakerId);
      if (partial && (!utteranceId || partial.utteranceId === utteranceId)) {
        this.partials.delete(speakerId);
        return true;
      }
      return false;
    }
  }

  // ---- A room connection that resumes where it left off -------------------------------------------------

  const OFFLINE_AFTER_MS = 10000;
  const PING_EVERY_MS = 5000;

  class RoomConnection {
    /**
     * options: {code, role, name, pin, handlers: {state, caption, partial, edit, people,
     *           speaker, denied, queue, status, joinError}}
     */
    constructor(options) {
      this.options = options;
      this.handlers = options.handlers || {};
      this.store = new CaptionStore();
      this.participants = new Map();
      this.audienceCount = 0;
      this.speaker = null;
      this.floorQueue = { queue: [], offer: null };
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
      this.unsealing = Promise.resolve();
      this.lang = options.lang || ''; // the language finals are wanted in ('' : the room's own)
      this.readingLang = ''; // the language the hub sends them in
      if (this.sealer) this.sealer.lang = this.lang;
    }

    /** Return the languages the room offers ([{code, name}]): the hub's, or in an e2e room those its station seals. */
    languages() {
      if (this.sealer) return [...this.sealer.seen].sort().map((code) => ({ code, name: languageName(code) }));
      return (this.room && this.room.languages) || [];
    }

    /** Read finals in ``lang`` from now on ('' : the original); when the hub does not offer it, the original. */
    async setLanguage(lang) {
      this.lang = lang || '';
      if (this.sealer) return this.sealedLanguage();
      if (!this.joined) return this.readingLang;
      const offered = this.lang && this.languages().some((l) => l.code === this.lang);
      if (!offered && !this.readingLang) return '';
      const ack = await this.call('setLanguage', { lang: offered ? this.lang : null }, 8000);
      this.readingLang = ack.ok && ack.lang !== (this.room && this.room.lang) ? ack.lang : '';
      this.call_('language', this.readingLang);
      if (ack.ok) this.retell(ack.captions || []);
      return this.readingLang;
    }

    /** In an e2e room, tell the page when an envelope brought a language it had not seen (the picker grows). */
    noticeLanguages() {
      if (!this.sealer || this.sealer.seen.size === this.seenLanguages) return;
      this.seenLanguages = this.sealer.seen.size;
      if (this.lang && !this.readingLang && this.sealer.seen.has(this.lang)) this.readingLang = this.lang;
      this.call_('languages', this.languages());
      this.call_('language', this.readingLang);
    }

    /** In an e2e room, show every opened caption again in the language wanted, where its envelope has it. */
    sealedLanguage() {
      this.sealer.lang = this.lang;
      this.readingLang = this.sealer.seen.has(this.lang) ? this.lang : '';
      const changed = [];
      for (const caption of this.store.order) {
        if (typeof caption.spokenText !== 'string') continue;
        const before = caption.text;
        Sealer.show(caption, this.lang);
        if (caption.text !== before) changed.push(caption);
      }
      this.call_('language', this.readingLang);
      if (changed.length) this.call_('translated', changed);
      return this.readingLang;
    }

    /** Show the earlier finals in the language now read: the recent ones the hub sent, the rest as spoken. */
    retell(captions) {
      const changed = new Set();
      for (const c of captions) {
        const caption = this.store.retell(c);
        if (caption) changed.add(caption);
      }
      for (const caption of this.store.order) {
        if (changed.has(caption) || !caption.machineTranslated) continue;
        if (caption.lang === this.readingLang) continue; // older than the hub's answer, already in this language
        caption.text = caption.originalText; // older still: back to the words as spoken, not another language
        caption.lang = this.room && this.room.lang;
        caption.machineTranslated = false;
        changed.add(caption);
      }
      if (changed.size) this.call_('translated', [...changed]);
    }

    /** Run ``then`` after ``thing`` (a caption, an edit, a state) is opened, in arrival order; at once for a plain room. */
    unseal(thing, then) {
      if (!this.sealer) {
        then();
        return;
      }
      this.unsealing = this.unsealing.then(() => this.sealer.openAll(thing)).then(then, then);
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
      socket.on('participantJoined', (p) => { this.participants.set(p.id, p); this.emitPeople(); });
      socket.on('participantLeft', (p) => { this.participants.delete(p.id); this.emitPeople(); });
      socket.on('participantUpdated', (p) => { this.participants.set(p.id, p); this.emitPeople(); });
      socket.on('approvalRequested', (p) => this.call_('approvalRequested', p));
      socket.on('approvalDenied', (m) => this.onApprovalDenied(m || {}));
      socket.on('audienceCount', (m) => { this.audienceCount = m.count; this.emitPeople(); });
      socket.on('speakerChanged', (m) => this.setSpeaker({ id: m.speakerId, name: m.speakerName }));
      socket.on('speakerStopped', (m) => this.onSpeakerStopped(m));
      socket.on('speakDenied', (m) => this.call_('denied', m));
      socket.on('floorQueue', (m) => this.onQueue(m));
      socket.on('roomUpdated', (m) => this.onRoomUpdated(m || {}));
      socket.on('roomLocked', () => this.onLocked());
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
      const sealed = this.unsealing.then(() => this.sealer.seal(data.utteranceId, data.text));
      this.unsealing = sealed.catch(() => null);
      return sealed.then((text) => this.send_(event, Object.assign({}, data, { text }), timeoutMs), () => ({
        ok: false,
        error: { code: 'no_key', message: 'This room is end-to-end encrypted and this page has no valid room key: '
          + 'open the room\'s full link (it ends with #k=…).' },
      }));
    }

    send_(event, data, timeoutMs) {
      return new Promise((resolve) => {
        if (!this.socket || !this.socket.connected) {
          resolve({ ok: false, error: { code: 'offline', message: 'Not connected to the hub.' } });
          return;
        }
        this.socket.timeout(timeoutMs || 8000).emit(event, data || {}, (err, ack) => {
          if (err) resolve({ ok: false, error: { code: 'timeout', message: 'The hub did not answer in time.' } });
          else resolve(ack || { ok: false, error: { code: 'bad_request', message: 'No answer.' } });
        });
      });
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
        if (ack.error && ack.error.code === 'forbidden' && this.identity) {
          // The hub no longer knows this identity (expired): forget it and join as someone new.
          this.identity = null;
          saveIdentity(o.role, o.code, null);
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
      while (page.more && this.socket.connected) {
        for (const c of page.captions || []) cursor.seq = Math.max(cursor.seq, c.seq || 0);
        for (const e of page.edits || []) cursor.rev = Math.max(cursor.rev, e.rev || 0);
        this.cursor = cursor;
        page = await this.call('catchUp', { since: cursor.seq, sinceRev: cursor.rev }, 8000);
        if (!page.ok) return; // the next reconnect resumes from the cursor
        if (this.sealer) await new Promise((done) => this.unseal(page, done));
        const added = [];
        for (const c of page.captions || []) if (this.store.addFinal(c)) added.push(this.store.finals.get(c.utteranceId));
        const edited = [];
        for (const e of page.edits || []) {
          const c = this.store.applyEdit(e);
          if (c) edited.push(c);
        }
        this.call_('state', { state: Object.assign({}, this.lastState, page), resumed: true, added, edited });
      }
      if (!page.more) {
        this.cursor = null;
        this.store.lastSeq = Math.max(this.store.lastSeq, page.lastSeq || 0);
        this.store.lastRev = Math.max(this.store.lastRev, page.lastRev || 0);
      }
    }

    applyState(state, resumed) {
      this.room = state.room;
      const added = [];
      for (const c of state.captions || []) if (this.store.addFinal(c)) added.push(this.store.finals.get(c.utteranceId));
      const edited = [];
      for (const e of state.edits || []) {
        const c = this.store.applyEdit(e);
        if (c) edited.push(c);
      }
      if (!state.more) { // with more to come, the last seq and rev are those of the pages still to fetch
        this.store.lastSeq = Math.max(this.store.lastSeq, state.lastSeq || 0);
        this.store.lastRev = Math.max(this.store.lastRev, state.lastRev || 0);
      }
      this.lastState = state;
      this.participants = new Map((state.participants || []).map((p) => [p.id, p]));
      this.audienceCount = state.audienceCount || 0;
      this.speaker = state.speaker || null;
      if (!this.speaker) this.store.partials.clear();
      this.call_('state', { state, resumed, added, edited });
      this.emitPeople();
      this.call_('speaker', this.speaker, null);
      this.onQueue(state);
    }

    /** The queue for the floor changed: keep it, with the offer's deadline on this page's clock. */
    onQueue(m) {
      const offer = m.offer ? Object.assign({}, m.offer, { deadline: performance.now() + (m.offer.remainingMs || 0) }) : null;
      this.floorQueue = { queue: m.queue || [], offer };
      this.call_('queue', this.floorQueue);
    }

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

    onSpeakerStopped(m) {
      const previous = this.speaker;
      if (this.speaker && this.speaker.id === m.speakerId) this.speaker = null;
      this.call_('speaker', this.speaker, m);
      // The last final may still race the release; a partial with no final after that is dropped.
      const partial = this.store.partials.get(m.speakerId);
      if (partial) {
        window.setTimeout(() => {
          if (this.store.dropPartial(m.speakerId, partial.utteranceId)) this.call_('partial', null, m.speakerId);
        }, 6000);
      }
      return previous;
    }

    /** The room's saving changed, or it was archived or deleted: update the badge, or close this page's room. */
    onRoomUpdated(m) {
      if (m.room) this.room = Object.assign({}, this.room, m.room);
      if (this.room) showSaving(Boolean(this.room.saving));
      this.call_('roomUpdated', m);
      if (m.archived || m.deleted) {
        this.closed = true;
        this.stopped = true; // no reconnecting to a room that is gone
        this.joined = false;
        this.speaker = null;
        this.call_('speaker', null, { reason: 'closed' });
        if (this.socket) this.socket.disconnect();
        this.setStatus('offline', 'room closed');
        showRoomClosed(Boolean(m.deleted));
      }
    }

    /** A new room password shut this reader out (the hub disconnects it): reload, and the page asks for it. */
    onLocked() {
      this.stopped = true; // no rejoining with a password or grant that no longer opens the room
      this.joined = false;
      this.setStatus('offline', 'password needed');
      lockedOut(this.options.code);
    }

    setSpeaker(speaker) {
      const changed = !this.speaker || this.speaker.id !== speaker.id;
      this.speaker = speaker;
      this.call_('speaker', speaker, changed ? { changed: true } : null);
    }

    /** The admin or a PIN presenter denied this presenter: the hub disconnects it; do not come back on our own. */
    onApprovalDenied(m) {
      this.stopped = true;
      this.joined = false;
      this.identity = null; // the hub removed this participant: asking again is a new request
      saveIdentity(this.options.role, this.options.code, null);
      this.setStatus('offline', 'request denied');
      this.call_('joinError', { code: 'denied', message: m.message || 'your request to present was denied' });
    }

    emitPeople() {
      this.call_('people', Array.from(this.participants.values()), this.audienceCount);
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

  // ---- End-to-end encrypted rooms (docs/security.md) -----------------------------------------------------

  /* The room key lives in the link's fragment (#k=KEY), which browsers never send to the hub; this page keeps
   * it in memory and in sessionStorage (this tab only). Captions arrive as "e2e1.<base64url(nonce||ciphertext)>"
   * sealed with AES-256-GCM over the associated data "ccc-e2e-v1|CODE|utteranceId"; they are opened here,
   * before any page shows them. One that does not open is shown as "unreadable caption", never as garbage.
   * WebCrypto does the AES-GCM where the page is a secure context; elsewhere (plain http:// on a LAN address)
   * the vendored @noble/ciphers (static/vendor/noble-ciphers, window.CCCAesGcm) does, with the same bytes. */
  const E2E_PREFIX = 'e2e1.';
  const E2E_TEXT = { nokey: 'encrypted caption', unreadable: 'unreadable caption', unsealed: 'not from this room' };

  function fromB64url(text) {
    const b64 = text.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((text.length + 3) % 4);
    const bin = window.atob(b64);
    return Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
  }

  function toB64url(bytes) {
    let bin = '';
    for (const b of bytes) bin += String.fromCharCode(b);
    return window.btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function hashParam(name) {
    const hash = window.location.hash.replace(/^#/, '');
    try {
      return new URLSearchParams(hash).get(name);
    } catch (err) {
      return null;
    }
  }

  const LANG_CODE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$/;

  /** Return a language's name in itself ("pt" -> "Português"), or its code where the browser has no name. */
  function languageName(code) {
    try {
      const name = new Intl.DisplayNames([code], { type: 'language' }).of(code);
      return name ? name.charAt(0).toLocaleUpperCase(code) + name.slice(1) : code;
    } catch (err) {
      return code;
    }
  }

  class Sealer {
    /** Return a new room key: 256 random bits as base64url (43 characters), as ccc/e2e.py makes them. */
    static newKey() {
      return toB64url(crypto.getRandomValues(new Uint8Array(32)));
    }

    /** Return the sealer of this page's room, or null for a room that is not end-to-end encrypted. */
    static forPage(code) {
      const fromLink = hashParam('k');
      if (!roomConfig().e2e && !fromLink) return null;
      const store = storage('session');
      const keyName = 'ccc.e2e.' + code;
      if (fromLink && store) store.setItem(keyName, fromLink);
      return new Sealer(code, fromLink || (store && store.getItem(keyName)) || null);
    }

    constructor(code, keyText) {
      this.code = code;
      this.opened = 0;
      this.failed = 0;
      this.keyText = keyText && /^[A-Za-z0-9_-]{43}$/.test(keyText) ? keyText : null;
      this.key = this.importKey(keyText);
      this.lang = ''; // the language the reader wants: a station's --translate seals translations with the text
      this.seen = new Set(); // the languages opened envelopes carried
    }

    /** Show an opened caption in ``lang`` when its envelope carries that translation, else as spoken. */
    static show(item, lang) {
      const translated = lang && item.translations ? item.translations[lang] : null;
      if (typeof translated === 'string' && translated) {
        item.text = translated;
        item.originalText = item.spokenText;
        item.lang = lang;
        item.machineTranslated = true;
      } else {
        item.text = item.spokenText;
        item.originalText = undefined;
        item.lang = undefined;
        item.machineTranslated = false;
      }
    }

    /** Return the room key as {subtle} (WebCrypto) or {raw} (the vendored AES-GCM), or null after saying why not. */
    async importKey(keyText) {
      if (!keyText) return this.problem('nokey');
      if (!/^[A-Za-z0-9_-]{43}$/.test(keyText)) return this.problem('badkey');
      const raw = fromB64url(keyText);
      if (window.crypto && window.crypto.subtle) {
        try {
          return { subtle: await crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']) };
        } catch (err) {
          return this.problem('badkey');
        }
      }
      // Plain http:// on a LAN address is not a secure context: no crypto.subtle, but getRandomValues works.
      if (window.CCCAesGcm && window.crypto && typeof crypto.getRandomValues === 'function') return { raw };
      return this.problem('nocrypto');
    }

    /** Return AES-256-GCM ciphertext||tag of ``plain`` (the same bytes WebCrypto and ccc/e2e.py make). */
    static async encrypt(key, nonce, ad, plain) {
      if (key.subtle) {
        return new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData: ad },
          key.subtle, plain));
      }
      return window.CCCAesGcm.gcm(key.raw, nonce, ad).encrypt(plain);
    }

    /** Return the plaintext of ciphertext||tag; throws when it does not open. */
    static async decrypt(key, nonce, ad, body) {
      if (key.subtle) {
        return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: nonce, additionalData: ad },
          key.subtle, body));
      }
      return window.CCCAesGcm.gcm(key.raw, nonce, ad).decrypt(body);
    }

    problem(kind) {
      showE2EProblem(kind);
      return null;
    }

    ad(utteranceId) {
      return new TextEncoder().encode('ccc-e2e-v1|' + this.code + '|' + utteranceId);
    }

    /** Return the plaintext {text, words?} of one envelope, or null when it does not open. */
    async open(utteranceId, envelope) {
      const key = await this.key;
      if (!key || typeof envelope !== 'string' || !envelope.startsWith(E2E_PREFIX)) return null;
      try {
        const raw = fromB64url(envelope.slice(E2E_PREFIX.length));
        const plain = await Sealer.decrypt(key, raw.slice(0, 12), this.ad(utteranceId), raw.slice(12));
        const data = JSON.parse(new TextDecoder().decode(plain));
        return data && typeof data.text === 'string' ? data : null;
      } catch (err) {
        return null;
      }
    }

    /** Seal a caption's text (the presenter console's) for this room and utterance. */
    async seal(utteranceId, text) {
      const key = await this.key;
      if (!key) throw new Error('no room key');
      const nonce = crypto.getRandomValues(new Uint8Array(12));
      const body = await Sealer.encrypt(key, nonce, this.ad(utteranceId), new TextEncoder().encode(JSON.stringify({ text })));
      const out = new Uint8Array(12 + body.byteLength);
      out.set(nonce);
      out.set(body, 12);
      return E2E_PREFIX + toB64url(out);
    }

    /** Open, in place, a caption, an edit, or every caption and edit of a roomState or catchUp page. */
    async openAll(thing) {
      if (!thing) return;
      const items = Array.isArray(thing.captions) || Array.isArray(thing.edits)
        ? (thing.captions || []).concat(thing.edits || []) : [thing];
      for (const item of items) await this.openOne(item);
    }

    async openOne(item) {
      if (typeof item.text !== 'string' || !item.text) return;
      if (!item.text.startsWith(E2E_PREFIX)) {
        // Nobody in the room wrote it: only the room key seals, and the hub never has it (a changed hub, or
        // its database edited, could store words of its own). Never shown as if someone said it.
        item.text = E2E_TEXT.unsealed;
        item.unreadable = 'unsealed';
        return;
      }
      const key = await this.key;
      const plain = key ? await this.open(item.utteranceId, item.text) : null;
      if (plain) {
        item.spokenText = plain.text;
        item.translations = null;
        if (plain.translations && typeof plain.translations === 'object') {
          item.translations = {};
          for (const [code, text] of Object.entries(plain.translations)) {
            if (!LANG_CODE.test(code) || typeof text !== 'string') continue;
            item.translations[code] = text;
            this.seen.add(code);
          }
        }
        Sealer.show(item, this.lang);
        if (Array.isArray(plain.words)) item.words = plain.words;
        item.unreadable = null;
        this.opened += 1;
        hideE2EProblem('wrongkey');
      } else {
        item.text = key ? E2E_TEXT.unreadable : E2E_TEXT.nokey;
        item.unreadable = key ? 'unreadable' : 'nokey';
        if (key) {
          this.failed += 1;
          if (!this.opened) showE2EProblem('wrongkey'); // nothing opened at all: the key is not this room's
        }
      }
    }
  }

  const E2E_PROBLEMS = {
    nokey: ['This room is end-to-end encrypted, and this link has no key.',
      'Captions cannot be shown. Open the room\'s full link (it ends with #k=…) from the room\'s QR code or its organiser.'],
    badkey: ['The key in this link is not a valid room key.',
      'Captions cannot be shown. Check that the whole link was copied, up to its last character.'],
    wrongkey: ['The key in this link does not open this room\'s captions.',
      'It is the wrong key, perhaps another room\'s. Ask for this room\'s link again.'],
    nocrypto: ['This browser cannot decrypt the captions of this encrypted room here.',
      'This browser has neither WebCrypto nor a random number source here. Try a current browser, or an https link.'],
  };

  /** Say plainly (role=alert) why an encrypted room's captions cannot be read on this page. */
  function showE2EProblem(kind) {
    let banner = $('e2e-problem');
    if (!banner) {
      banner = el('div', { id: 'e2e-problem', className: 'room-closed e2e-problem', role: 'alert' });
      const skip = document.querySelector('.skip-link');
      document.body.insertBefore(banner, skip ? skip.nextSibling : document.body.firstChild);
    }
    const [title, detail] = E2E_PROBLEMS[kind];
    banner.dataset.kind = kind;
    banner.replaceChildren(el('strong', null, title), document.createTextNode(' '), el('span', null, detail));
  }

  /** Put a caption's text into its element, marked when it is an e2e caption that did not open. */
  function setCaptionText(node, c) {
    if (node.textContent !== c.text) node.textContent = c.text;
    if (c.unreadable) node.dataset.unreadable = c.unreadable;
    else delete node.dataset.unreadable;
  }

  /**
   * Caption lines in ``container`` (the projector's and the overlay's): one element per utterance, kept in
   * place as a partial becomes its final. Returns ``show(wanted)``, which makes the container hold exactly
   * these captions, in order, after its first ``skip`` children; ``speakerLabel(c)`` names the speaker where
   * the speaker changes ('' shows no name).
   */
  function captionLines(container, { skip = 0, speakerLabel, bilingual = false }) {
    const nodes = new Map(); // utteranceId -> line element

    function lineFor(c) {
      let node = nodes.get(c.utteranceId);
      if (!node) {
        node = el('p', { className: 'line', 'data-utterance': c.utteranceId });
        node.append(el('span', { className: 'who' }), el('span', { className: 'text' }));
        nodes.set(c.utteranceId, node);
      }
      node.dataset.state = c.isFinal ? 'final' : 'partial';
      const text = node.querySelector('.text');
      setCaptionText(text, c);
      if (c.machineTranslated) text.lang = c.lang;
      else text.removeAttribute('lang');
      let original = node.querySelector('.original');
      const showOriginal = bilingual && c.machineTranslated && typeof c.originalText === 'string';
      if (showOriginal && !original) {
        original = el('span', { className: 'original' });
        node.append(original);
      }
      if (showOriginal) {
        if (original.textContent !== c.originalText) original.textContent = c.originalText;
        original.lang = (c.originalLang || 'en');
      } else if (original) {
        original.remove();
      }
      node.dataset.translated = c.machineTranslated ? 'true' : 'false';
      return node;
    }

    return function show(wanted) {
      const keep = new Set(wanted.map((c) => c.utteranceId));
      for (const [id, node] of nodes) {
        if (!keep.has(id)) {
          node.remove();
          nodes.delete(id);
        }
      }
      let previousSpeaker = null;
      wanted.forEach((c, i) => {
        const node = lineFor(c);
        const who = node.querySelector('.who');
        const label = c.speakerId !== previousSpeaker ? speakerLabel(c) : '';
        if (who.textContent !== label) who.textContent = label;
        who.hidden = !label;
        previousSpeaker = c.speakerId;
        const slot = container.children[i + skip] || null;
        if (node !== slot) container.insertBefore(node, slot);
      });
    };
  }

  /** Return the language a projector or overlay was asked for (``?lang=pt``, checked) and ``&bilingual=1``. */
  function translationOptions() {
    const params = new URLSearchParams(window.location.search);
    const lang = (params.get('lang') || '').trim();
    return {
      lang: /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$/.test(lang) ? lang : '',
      bilingual: ['1', 'yes', 'on', 'true'].includes((params.get('bilingual') || '').toLowerCase()),
    };
  }

  function hideE2EProblem(kind) {
    const banner = $('e2e-problem');
    if (banner && banner.dataset.kind === kind) banner.remove();
  }

  // ---- Shared widgets ------------------------------------------------------------------------------------

  const STATUS_TEXT = {
    idle: 'Not connected', connecting: 'Connecting…', connected: 'Connected',
    reconnecting: 'Reconnecting…', offline: 'Offline',
  };

  /** Show a connection state (and round-trip time) in a .conn element. */
  function showStatus(container, status, rtt, note) {
    if (!container) return;
    container.dataset.status = status;
    let text = STATUS_TEXT[status] || status;
    if (status === 'connected' && rtt !== null && rtt !== undefined) text += ' · ' + rtt + ' ms';
    if (note) text += ' (' + note + ')';
    const label = container.querySelector('.conn-text');
    if (label && label.textContent !== text) label.textContent = text;
  }

  /** Fill a <ul> with participants, presenters first. */
  function renderPeople(list, people) {
    const order = { presenter: 0, projector: 1, audience: 2 };
    const sorted = people.slice().sort((a, b) => (order[a.role] - order[b.role]) || a.name.localeCompare(b.name));
    const items = sorted.map((p) => {
      const li = el('li', { className: 'person', 'data-role': p.role });
      li.append(el('span', { className: 'person-name' }, p.name || (p.role === 'projector' ? 'Projector' : 'Unnamed')));
      if (p.role === 'presenter') li.append(verifiedLabel(p));
      li.append(el('span', { className: 'role' }, p.role));
      return li;
    });
    if (!items.length) items.push(el('li', { className: 'hint' }, 'No presenter has joined yet.'));
    list.replaceChildren(...items);
  }

  /** Return the mark beside a name the hub verified (a presenter who gave the room PIN), readable aloud. */
  function verifiedMark() {
    return el('span', {
      className: 'verified', role: 'img', 'aria-label': 'verified presenter',
      title: 'Verified: joined with the room PIN',
    }, '✓');
  }

  /** Return a presenter's standing as words (not colour alone): verified by PIN or approval, waiting, or not. */
  function verifiedLabel(p) {
    if (p.verified) {
      return el('span', {
        className: 'verified', title: p.verifiedBy === 'approval' ? 'Approved' : 'Joined with the room PIN',
      }, '✓ verified');
    }
    return el('span', { className: 'not-verified' }, p.waiting ? 'waiting for approval' : 'not verified');
  }

  /** Show whether the room is being saved, on pages that have a #saving-chip badge. */
  function showSaving(saving) {
    document.body.dataset.saving = saving ? 'true' : 'false';
    const chip = $('saving-chip');
    if (!chip) return;
    chip.dataset.saving = saving ? 'true' : 'false';
    chip.textContent = saving ? 'Transcript saved' : 'Not saved';
    chip.title = saving ? 'This room is being saved; the transcript can be downloaded.'
      : 'This room is not being saved: captions are shown live only.';
  }

  /** Put a "This room has been closed" banner at the top of the page (once). */
  function showRoomClosed(deleted) {
    let banner = $('room-closed');
    if (!banner) {
      banner = el('div', { id: 'room-closed', className: 'room-closed', role: 'alert' });
      const skip = document.querySelector('.skip-link');
      document.body.insertBefore(banner, skip ? skip.nextSibling : document.body.firstChild);
    }
    document.documentElement.dataset.roomClosed = 'true';
    banner.replaceChildren(
      el('strong', null, 'This room has been closed.'),
      document.createTextNode(' '),
      el('span', null, deleted ? 'Its captions and transcript have been deleted.'
        : 'Captions have stopped. Ask for the new room code.'),
    );
  }

  function formatTime(ms) {
    if (!ms) return '';
    return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }

  /** Wire a <dialog> to an opener button, with focus returning to the opener on close. */
  function bindDialog(opener, dialog) {
    if (!opener || !dialog) return;
    opener.addEventListener('click', () => {
      if (typeof dialog.showModal === 'function') dialog.showModal();
      else dialog.setAttribute('open', '');
    });
    dialog.addEventListener('close', () => opener.focus());
    dialog.addEventListener('click', (event) => {
      if (event.target === dialog) dialog.close(); // a click on the backdrop closes
    });
  }

  window.CCC = {
    PAGE, loadSettings, saveSettings, applySettings, newId, el, $, perFrame, reducedMotion,
    roomConfig, CaptionStore, RoomConnection, showStatus, renderPeople, verifiedMark, verifiedLabel, formatTime,
    bindDialog, showSaving, showRoomClosed, roomPassword, keepRoomPassword, Sealer, setCaptionText, captionLines, translationOptions,
    lockedOut,
  };
}());
