/* CCC shared browser code: the window.CCC namespace, remembered settings, DOM helpers and shared widgets.
 *
 * Loaded in <head> (not deferred), so a page's remembered theme and sizes apply before the first paint. The
 * other shared modules add to window.CCC and load deferred, in this order, before the page's own script:
 * e2e.js (Sealer), captions.js (CaptionStore, caption lines, the caption editor), connection.js (Connection:
 * join, resume, reconnect) and room.js (RoomConnection: people, speaker, floor queue). docs/pages.md has the map.
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

  /** Return this device's localStorage, or this tab's sessionStorage for 'session'; null where it is refused. */
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

  /** Return the alert banner ``id`` at the top of the page (after the skip link), made the first time. */
  function banner(id, className) {
    let node = $(id);
    if (!node) {
      node = el('div', { id, className, role: 'alert' });
      const skip = document.querySelector('.skip-link');
      document.body.insertBefore(node, skip ? skip.nextSibling : document.body.firstChild);
    }
    return node;
  }

  /** Put a "This room has been closed" banner at the top of the page (once). */
  function showRoomClosed(deleted) {
    const closed = banner('room-closed', 'room-closed');
    document.documentElement.dataset.roomClosed = 'true';
    closed.replaceChildren(
      el('strong', null, 'This room has been closed.'),
      document.createTextNode(' '),
      el('span', null, deleted ? 'Its captions and transcript have been deleted.'
        : 'Captions have stopped. Ask for the new room code.'),
    );
  }

  /** Return a time of day as the reader's locale writes it (hours and minutes, and seconds if asked). */
  function formatTime(ms, withSeconds) {
    if (!ms) return '';
    const parts = { hour: '2-digit', minute: '2-digit', second: withSeconds ? '2-digit' : undefined };
    return new Date(ms).toLocaleTimeString([], parts);
  }

  /** Show ``message`` in an error element, or hide the element when there is none. */
  function showError(node, message) {
    node.textContent = message || '';
    node.hidden = !message;
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

  /**
   * Return ``show(offer)``, which counts a floor offer down in ``node`` (``say(secondsLeft)`` words it), four
   * times a second, until the next call; ``show(null)`` clears it. The offer's deadline is on this page's
   * clock (RoomConnection.onQueue puts it there), so a slow link does not shorten it.
   */
  function offerCountdown(node, say) {
    let timer = null;
    return function show(offer) {
      window.clearInterval(timer);
      timer = null;
      const tick = () => {
        const text = offer ? say(Math.max(0, Math.ceil((offer.deadline - performance.now()) / 1000))) : '';
        if (node.textContent !== text) node.textContent = text;
      };
      tick();
      if (offer) timer = window.setInterval(tick, 250);
    };
  }

  window.CCC = {
    PAGE, storage, loadSettings, saveSettings, applySettings, newId, el, $, perFrame, reducedMotion, roomConfig,
    roomPassword, keepRoomPassword, lockedOut, showStatus, renderPeople, verifiedMark, verifiedLabel, showSaving,
    banner, showRoomClosed, formatTime, showError, bindDialog, offerCountdown,
  };
}());

