/* Admin page: ask before archiving a room; make an end-to-end encrypted room's key here, in the browser; and keep
 * each room's "Present" list (with each station's audio advice: meter.js) and requests to present live (polled
 * every 2 s). */
(function () {
  'use strict';

  const POLL_MS = 2000; // requests to present should show up within a moment
  const el = window.CCC.el;

  for (const form of document.querySelectorAll('form[data-confirm]')) {
    form.addEventListener('submit', (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }

  function setText(node, text) {
    if (node && node.textContent !== text) node.textContent = text;
  }

  // ---- End-to-end encrypted rooms: the key is made here and never sent to the hub (docs/security.md) ------

  const main = document.getElementById('main');
  const e2eBox = document.getElementById('new-e2e');
  const createForm = document.querySelector('form.create-form');
  const KEY_TEXT = /^[A-Za-z0-9_-]{43}$/;

  if (e2eBox && createForm && window.crypto && typeof crypto.getRandomValues === 'function') {
    e2eBox.disabled = false; // without this script the box stays off: no room claims a key nobody made
    setText(document.getElementById('new-e2e-hint'), 'The room key is made in this browser and never sent to '
      + 'the hub. Keep the links shown once the room is created: the hub cannot give them again.');
    createForm.addEventListener('submit', () => {
      const action = createForm.getAttribute('action').split('#')[0];
      // A fragment is in no request; the browser keeps it across the redirect to /admin?created=CODE.
      createForm.setAttribute('action', e2eBox.checked ? action + '#k=' + window.CCC.Sealer.newKey() : action);
    });
  }

  /** Take the key of a room created just now from this page's fragment, keep it for this tab, clear the URL. */
  function takeNewKey() {
    const key = new URLSearchParams(window.location.hash.replace(/^#/, '')).get('k');
    const code = main ? main.dataset.createdE2e : '';
    if (key || code) window.history.replaceState(null, '', window.location.pathname); // out of this entry's URL
    if (!key || !code || !KEY_TEXT.test(key)) return null; // not created (the form was refused): the key is void
    try {
      window.sessionStorage.setItem('ccc.e2e.' + code, key); // the name the room's pages use (Sealer.forPage)
    } catch (err) {
      // storage off: the links below are the only copy, as they are meant to be kept anyway
    }
    return { code, key };
  }

  function keyOf(code) {
    try {
      const key = window.sessionStorage.getItem('ccc.e2e.' + code);
      return key && KEY_TEXT.test(key) ? key : null;
    } catch (err) {
      return null;
    }
  }

  /** Say plainly that the new room's key exists only here, with the links that carry it. */
  function showNewRoomKey(code, key) {
    const base = (main.dataset.publicUrl || window.location.origin) + '/r/' + code;
    const link = (label, url) => {
      const li = el('li');
      li.append(label + ': ', el('a', { href: url, className: 'e2e-link' }, url));
      return li;
    };
    const station = el('li');
    station.append('Station: ', el('code', { className: 'e2e-station' },
      "python -m ccc.station --join-url '" + base + '#k=' + key + "' --name NAME"));
    const panel = el('section', { id: 'e2e-created', className: 'card e2e-created', tabindex: '-1',
      'aria-labelledby': 'e2e-created-title' });
    const warning = el('p');
    warning.append(el('strong', null, 'Keep this key now: the hub does not have it.'), ' It was made in this '
      + 'browser and is in no request the hub received. Lose it and nobody can read this room\'s captions; '
      + 'anyone who has it can, so share the links like a password. This tab keeps it until it is closed.');
    const keyLine = el('p');
    keyLine.append('Room key: ', el('code', { className: 'room-key' }, key));
    const links = el('ul', { className: 'e2e-links' });
    links.append(link('Audience', base + '#k=' + key), link('Projector', base + '/projector#k=' + key),
      link('Console', base + '/present#k=' + key), station);
    panel.append(el('h2', { id: 'e2e-created-title' }, 'Room ' + code + ' is end-to-end encrypted'), warning,
      keyLine, links);
    const create = document.querySelector('.create-form');
    const card = create ? create.closest('section') : null;
    main.insertBefore(panel, card || main.firstChild);
    panel.focus();
  }

  const created = takeNewKey();
  if (created) showNewRoomKey(created.code, created.key);
  for (const card of document.querySelectorAll('.admin-room[data-e2e="true"]')) {
    const key = keyOf(card.dataset.code); // this tab made it: the room's own links carry it too
    if (!key) continue;
    for (const a of card.querySelectorAll('.room-links a')) a.setAttribute('href', a.getAttribute('href') + '#k=' + key);
  }

  /** Show one room's presence answer: the people, the floor holder and the counts. */
  function showPresence(card, presence) {
    const audio = new Map((presence.stationAudio || []).map((m) => [m.participantId, window.CCC.audioAdvice(m)]));
    const items = presence.participants.map((p) => {
      const li = el('li');
      li.append(el('span', { className: 'person-name' }, p.name || 'Unnamed'), ' ');
      if (p.role === 'presenter') li.append(window.CCC.verifiedLabel(p), ' ');
      li.append(el('span', { className: 'role' }, p.role));
      if (audio.get(p.id)) li.append(' ', el('span', { className: 'audio-advice' }, 'Microphone: ' + audio.get(p.id)));
      return li;
    });
    if (!items.length) items.push(el('li', { className: 'hint' }, 'Nobody with a name is connected.'));
    card.querySelector('.presence-list').replaceChildren(...items);
    setText(card.querySelector('.floor-holder'), presence.speaker ? presence.speaker.name : 'free');
    setText(card.querySelector('.audience-count'), String(presence.audienceCount));
    setText(card.querySelector('.caption-count'), String(presence.lastSeq));
    showQueue(card.querySelector('.queue-list'), presence);
    showApprovals(card.querySelector('.approval-list'), presence.participants.filter((p) => p.waiting));
    const release = card.querySelector('.release-btn');
    if (release) release.disabled = !presence.speaker;
    setText(card.querySelector('.presence-note'), '');
  }

  /** Post one of the queue's buttons as the page's own forms do (CSRF token included). */
  function queueForm(url, fields, label, name, disabled) {
    const form = el('form', { method: 'post', action: url, className: 'inline-form' });
    const token = document.querySelector('input[name="csrf_token"]');
    for (const [key, value] of Object.entries(Object.assign({ csrf_token: token ? token.value : '' }, fields))) {
      form.append(el('input', { type: 'hidden', name: key, value }));
    }
    const button = el('button', { type: 'submit', className: 'btn btn-small', disabled }, label);
    button.append(el('span', { className: 'visually-hidden' }, ': ' + name));
    form.append(button);
    return form;
  }

  /** Show who waits for the floor, with Move up and Remove for each. */
  function showQueue(list, presence) {
    const signature = list && JSON.stringify([presence.offer && presence.offer.id, presence.queue]);
    if (!list || list.dataset.shown === signature) return; // do not swap a button out from under a click
    list.dataset.shown = signature;
    const items = [];
    if (presence.offer) {
      items.push(el('li', {}, ''));
      items[0].append(el('span', { className: 'person-name' }, presence.offer.name), ' ',
        el('span', { className: 'role' }, 'offered the floor now'));
    }
    (presence.queue || []).forEach((q, i) => {
      const li = el('li');
      li.append(el('span', { className: 'person-name' }, q.name), ' ',
        queueForm(list.dataset.moveUrl, { participant: q.id, position: Math.max(i - 1, 0) }, 'Move up', q.name, i === 0),
        ' ', queueForm(list.dataset.removeUrl, { participant: q.id }, 'Remove', q.name, false));
      items.push(li);
    });
    if (!items.length) items.push(el('li', { className: 'hint' }, 'Nobody is waiting.'));
    list.replaceChildren(...items);
  }

  /** Show the presenters who ask to present, each with Approve and Deny. */
  function showApprovals(list, waiting) {
    const signature = list && JSON.stringify(waiting.map((p) => [p.id, p.name]));
    if (!list || list.dataset.shown === signature) return; // do not swap a button out from under a click
    list.dataset.shown = signature;
    list.replaceChildren(...waiting.map((p) => {
      const li = el('li');
      li.append(el('span', { className: 'person-name' }, p.name), ' asks to present: ',
        queueForm(list.dataset.approveUrl, { participant: p.id }, 'Approve', p.name, false), ' ',
        queueForm(list.dataset.denyUrl, { participant: p.id }, 'Deny', p.name, false));
      return li;
    }));
  }

  async function refresh(card) {
    try {
      const response = await fetch(card.dataset.presenceUrl, { headers: { Accept: 'application/json' }, cache: 'no-store' });
      if (response.status === 401) {
        setText(card.querySelector('.presence-note'), 'Signed out: reload the page to sign in again.');
        return;
      }
      if (response.status === 404) {
        setText(card.querySelector('.presence-note'), 'This room is no longer open: reload the page.');
        return;
      }
      if (response.ok) showPresence(card, await response.json());
    } catch (err) {
      setText(card.querySelector('.presence-note'), 'The hub is not answering; the list may be out of date.');
    }
  }

  const cards = Array.from(document.querySelectorAll('.admin-room[data-presence-url]'));
  if (cards.length) {
    window.setInterval(() => {
      if (document.visibilityState !== 'hidden') cards.forEach(refresh);
    }, POLL_MS);
  }
}());
