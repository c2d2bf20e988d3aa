/* Admin page: ask before archiving a room, and keep each room's "Present" list and requests to present live (polled every 2 s). */
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

  /** Show one room's presence answer: the people, the floor holder and the counts. */
  function showPresence(card, presence) {
    const items = presence.participants.map((p) => {
      const li = el('li');
      li.append(el('span', { className: 'person-name' }, p.name || 'Unnamed'), ' ');
      if (p.role === 'presenter') li.append(window.CCC.verifiedLabel(p), ' ');
      li.append(el('span', { className: 'role' }, p.role));
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
