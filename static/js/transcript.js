/* The transcript page: load one session, read and search it, and correct captions live (PIN presenters, admin).
 *
 * Captions come from /r/<code>/transcript.json?session=N; corrections go out as editCaption and come back to
 * every open page as captionEdited. User text only reaches the page through textContent.
 */
(function () {
  'use strict';

  const body = document.body.dataset;
  const list = document.getElementById('captions');
  const byId = (id) => document.getElementById(id);
  // The admin joins as a named reader, so the revision history says who corrected (the hub allows admin edits).
  const isAdmin = body.isAdmin === 'true';
  const state = {
    role: 'audience', name: isAdmin ? 'Admin' : '', pin: '', canEdit: isAdmin && body.live === 'true', socket: null,
  };
  // An end-to-end encrypted room: captions open here with the #k= key (see Sealer in ccc.js), in arrival order.
  const sealer = window.CCC.Sealer.forPage(body.code);
  let opening = Promise.resolve();
  function opened(thing, then) {
    if (!sealer) return then();
    opening = opening.then(() => sealer.openAll(thing)).then(then, then);
    return opening;
  }
  // Who this page is per role, as the hub issued it ({id, token}); kept for reconnects of this page only.
  const ids = { audience: null, presenter: null };

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function clock(ms) {
    return ms ? new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' }) : '';
  }

  // ---- Reading ---------------------------------------------------------------------------------------

  function render(caption) {
    const li = el('li', 'cap');
    li.dataset.utterance = caption.utteranceId;
    li.dataset.seq = String(caption.seq);
    li.dataset.rev = String(caption.rev || 0);
    const when = caption.startedAt || caption.createdAt || caption.timestamp;
    const who = el('span', 'who', caption.speakerName || 'Unknown speaker');
    const time = el('time', 'when', clock(when));
    if (when) time.dateTime = new Date(when).toISOString();
    who.append(' · ', time);
    const text = el('span', 'text', caption.text);
    if (caption.unreadable) text.dataset.unreadable = caption.unreadable;
    li.append(who, text, el('span', 'edited', ''));
    if (caption.edited) li.querySelector('.edited').textContent = ' (corrected)';
    addEditButton(li);
    return li;
  }

  function showAll(captions) {
    list.replaceChildren(...captions.map((c) => render(Object.assign({}, c, {
      rev: (c.revisions || []).reduce((max, r) => Math.max(max, r.rev), 0),
      edited: (c.revisions || []).length > 0,
    }))));
    filter();
  }

  async function load() {
    const url = '/r/' + encodeURIComponent(body.code) + '/transcript.json?session=' + list.dataset.session;
    const response = await fetch(url, { headers: { Accept: 'application/json' } });
    if (!response.ok) {
      byId('match-count').textContent = 'The transcript could not be loaded.';
      return;
    }
    const doc = await response.json();
    const captions = doc.sessions.length ? doc.sessions[0].captions : [];
    await opened({ captions }, () => null);
    showAll(captions);
    document.documentElement.dataset.loaded = 'true';
  }

  // ---- Searching -------------------------------------------------------------------------------------

  function filter() {
    const query = byId('search').value.trim().toLowerCase();
    const items = Array.from(list.children);
    let shown = 0;
    for (const li of items) {
      const haystack = (li.querySelector('.text').textContent + ' ' + li.querySelector('.who').textContent).toLowerCase();
      li.hidden = query !== '' && !haystack.includes(query);
      if (!li.hidden) shown += 1;
    }
    byId('transcript-empty').hidden = items.length > 0;
    byId('match-count').textContent = query ? shown + ' of ' + items.length + ' captions match “' + query + '”.'
      : items.length + ' captions.';
  }

  // ---- Correcting ------------------------------------------------------------------------------------

  function addEditButton(li) {
    if (!state.canEdit || li.querySelector('.edit-btn')) return;
    const button = el('button', 'btn btn-small edit-btn', 'Correct');
    button.type = 'button';
    button.setAttribute('aria-label', 'Correct: ' + li.querySelector('.text').textContent.slice(0, 60));
    button.addEventListener('click', () => openEditor(li));
    li.append(' ', button);
  }

  function openEditor(li) {
    if (li.querySelector('form')) return;
    const form = el('form', 'edit-form inline-form');
    const field = el('input', 'edit-text');
    field.type = 'text';
    field.maxLength = 2000;
    field.value = li.querySelector('.text').textContent;
    field.setAttribute('aria-label', 'Corrected text');
    const save = el('button', 'btn btn-small btn-primary', 'Save');
    save.type = 'submit';
    const cancel = el('button', 'btn btn-small', 'Cancel');
    cancel.type = 'button';
    const error = el('p', 'form-error');
    error.hidden = true;
    error.setAttribute('role', 'alert');
    form.append(field, save, cancel, error);
    cancel.addEventListener('click', () => form.remove());
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      let text = field.value;
      if (sealer) text = await sealer.seal(li.dataset.utterance, text).catch(() => field.value);
      const ack = await call('editCaption', { utteranceId: li.dataset.utterance, text });
      if (!ack.ok) {
        error.textContent = (ack.error && ack.error.message) || 'The correction was not saved.';
        error.hidden = false;
        return;
      }
      applyEdit({ utteranceId: li.dataset.utterance, text: field.value, rev: ack.rev });
      form.remove();
      li.querySelector('.edit-btn').focus();
    });
    li.append(form);
    field.focus();
  }

  function applyEdit(e) {
    const li = list.querySelector('[data-utterance="' + CSS.escape(e.utteranceId) + '"]');
    if (!li || (e.rev || 0) <= Number(li.dataset.rev)) return;
    li.dataset.rev = String(e.rev);
    window.CCC.setCaptionText(li.querySelector('.text'), e);
    li.querySelector('.edited').textContent = ' (corrected)';
    filter();
  }

  // ---- Live connection -------------------------------------------------------------------------------

  function call(event, data) {
    return new Promise((resolve) => {
      if (!state.socket || !state.socket.connected) {
        resolve({ ok: false, error: { message: 'Not connected to the hub.' } });
        return;
      }
      state.socket.timeout(8000).emit(event, data, (err, ack) => {
        resolve(err ? { ok: false, error: { message: 'The hub did not answer in time.' } } : ack);
      });
    });
  }

  function status(value, text) {
    byId('conn').dataset.status = value;
    byId('conn-text').textContent = text;
  }

  function join() {
    const role = state.role;
    const payload = { room: body.code, role, name: state.name };
    if (ids[role]) {
      payload.participantId = ids[role].id;
      payload.resumeToken = ids[role].token;
    }
    if (role === 'presenter') payload.pin = state.pin;
    return call('join', payload).then((ack) => {
      if (!ack.ok && ack.error && ack.error.code === 'forbidden' && ids[role]) {
        ids[role] = null; // the hub no longer knows this identity: join as someone new
        return join();
      }
      if (ack.ok && ack.resumeToken) ids[role] = { id: ack.participantId, token: ack.resumeToken };
      if (ack.ok) status('connected', role === 'presenter' ? 'Connected: correcting' : 'Connected');
      return ack;
    });
  }

  function connect() {
    if (body.live !== 'true' || typeof window.io !== 'function') return;
    const socket = window.io({ transports: ['websocket', 'polling'] });
    state.socket = socket;
    status('connecting', 'Connecting…');
    socket.on('connect', join);
    socket.on('disconnect', () => status('reconnecting', 'Reconnecting…'));
    socket.on('roomLocked', () => window.CCC.lockedOut(body.code)); // the room's password changed
    socket.on('captionEdited', (e) => opened(e, () => applyEdit(e)));
    socket.on('caption', (c) => opened(c, () => {
      if (!c.isFinal || list.dataset.latest !== 'true') return;
      if (list.querySelector('[data-utterance="' + CSS.escape(c.utteranceId) + '"]')) return;
      list.append(render(c));
      filter();
    }));
  }

  async function unlock(event) {
    event.preventDefault();
    const error = byId('unlock-error');
    state.name = byId('editor-name').value.trim() || 'Captioner';
    state.pin = byId('pin').value;
    await call('leave', {});
    ids[state.role] = null; // leaving gives the identity up
    state.role = 'presenter';
    const ack = await join();
    if (!ack.ok) {
      state.role = 'audience';
      await join();
      error.textContent = (ack.error && ack.error.message) || 'Could not unlock corrections.';
      error.hidden = false;
      return;
    }
    error.hidden = true;
    byId('unlock-form').hidden = true;
    enableEditing();
  }

  function enableEditing() {
    state.canEdit = true;
    byId('editing-note').hidden = false;
    for (const li of list.children) addEditButton(li);
  }

  document.addEventListener('DOMContentLoaded', () => {
    const select = byId('session');
    if (select) select.addEventListener('change', () => byId('session-form').submit());
    if (!list) return;
    byId('search').addEventListener('input', filter);
    const unlockForm = byId('unlock-form');
    if (unlockForm) unlockForm.addEventListener('submit', unlock);
    if (state.canEdit && byId('editing-note')) byId('editing-note').hidden = false;
    connect();
    load();
  });
}());
