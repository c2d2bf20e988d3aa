/* The transcript page: load one session, read and search it, and correct captions live (PIN presenters, admin).
 *
 * Captions come from /r/<code>/transcript.json?session=N; corrections go out as editCaption and come back to
 * every open page as captionEdited. User text only reaches the page through textContent.
 */
(function () {
  'use strict';

  const { el, $, formatTime, showError } = window.CCC;
  const body = document.body.dataset;
  const list = $('captions');
  // The admin joins as a named reader, so the revision history says who corrected (the hub allows admin edits).
  const isAdmin = body.isAdmin === 'true';
  const state = {
    role: 'audience', name: isAdmin ? 'Admin' : '', pin: '', canEdit: isAdmin && body.live === 'true', socket: null,
  };
  // An end-to-end encrypted room: captions open here with the #k= key (see Sealer in e2e.js), in arrival order.
  const sealer = window.CCC.Sealer.forPage(body.code);
  const opened = (thing, then) => (sealer ? sealer.openInOrder(thing, then) : then());
  // Who this page is per role, as the hub issued it ({id, token}); kept for reconnects of this page only.
  const ids = { audience: null, presenter: null };

  // ---- Reading ---------------------------------------------------------------------------------------

  function render(caption) {
    const li = el('li', { className: 'cap', 'data-utterance': caption.utteranceId, 'data-seq': caption.seq,
      'data-rev': caption.rev || 0 });
    const when = caption.startedAt || caption.createdAt || caption.timestamp;
    const who = el('span', { className: 'who' }, caption.speakerName || 'Unknown speaker');
    who.append(' · ', el('time', { className: 'when', datetime: when ? new Date(when).toISOString() : null },
      formatTime(when, true)));
    const text = el('span', { className: 'text', 'data-unreadable': caption.unreadable || null }, caption.text);
    li.append(who, text, el('span', { className: 'edited' }, caption.edited ? ' (corrected)' : ''));
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
      $('match-count').textContent = 'The transcript could not be loaded.';
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
    const query = $('search').value.trim().toLowerCase();
    const items = Array.from(list.children);
    let shown = 0;
    for (const li of items) {
      const haystack = (li.querySelector('.text').textContent + ' ' + li.querySelector('.who').textContent).toLowerCase();
      li.hidden = query !== '' && !haystack.includes(query);
      if (!li.hidden) shown += 1;
    }
    $('transcript-empty').hidden = items.length > 0;
    $('match-count').textContent = query ? shown + ' of ' + items.length + ' captions match “' + query + '”.'
      : items.length + ' captions.';
  }

  // ---- Correcting ------------------------------------------------------------------------------------

  function addEditButton(li) {
    if (!state.canEdit || li.querySelector('.edit-btn')) return;
    const button = el('button', { type: 'button', className: 'btn btn-small edit-btn',
      'aria-label': 'Correct: ' + li.querySelector('.text').textContent.slice(0, 60) }, 'Correct');
    button.addEventListener('click', () => openEditor(li));
    li.append(' ', button);
  }

  function openEditor(li) {
    if (li.querySelector('form')) return;
    const utteranceId = li.dataset.utterance;
    const form = window.CCC.editCaption({
      text: li.querySelector('.text').textContent,
      className: 'edit-form inline-form',
      mount: (editor) => li.append(editor),
      async save(text) {
        const sealed = sealer ? await sealer.sealInOrder(utteranceId, text).catch(() => null) : text;
        if (sealed === null) return { ok: false, error: { message: 'This page has no valid key for this room.' } };
        const ack = await call('editCaption', { utteranceId, text: sealed });
        if (ack.ok) applyEdit({ utteranceId, text, rev: ack.rev });
        return ack;
      },
      close() {
        form.remove();
        li.querySelector('.edit-btn').focus();
      },
    });
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
    return window.CCC.ask(state.socket, event, data, 8000);
  }

  function status(value, text) {
    $('conn').dataset.status = value;
    $('conn-text').textContent = text;
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
    const error = $('unlock-error');
    state.name = $('editor-name').value.trim() || 'Captioner';
    state.pin = $('pin').value;
    await call('leave', {});
    ids[state.role] = null; // leaving gives the identity up
    state.role = 'presenter';
    const ack = await join();
    if (!ack.ok) {
      state.role = 'audience';
      await join();
      showError(error, (ack.error && ack.error.message) || 'Could not unlock corrections.');
      return;
    }
    showError(error, '');
    $('unlock-form').hidden = true;
    enableEditing();
  }

  function enableEditing() {
    state.canEdit = true;
    $('editing-note').hidden = false;
    for (const li of list.children) addEditButton(li);
  }

  document.addEventListener('DOMContentLoaded', () => {
    const select = $('session');
    if (select) select.addEventListener('change', () => $('session-form').submit());
    if (!list) return;
    $('search').addEventListener('input', filter);
    const unlockForm = $('unlock-form');
    if (unlockForm) unlockForm.addEventListener('submit', unlock);
    if (state.canEdit && $('editing-note')) $('editing-note').hidden = false;
    connect();
    load();
  });
}());
