/* Presenter console: join with a name (and PIN), take the floor by button or key, type and correct captions.
 *
 * Needs the room scripts (ccc.js ... room.js), ptt.js (the push-to-talk key), queue.js (the queue for the floor
 * and requests to present) and meter.js (the stations' audio advice), loaded before it.
 */
(function () {
  'use strict';

  const { el, $, showError } = window.CCC;
  const config = window.CCC.roomConfig();
  const settings = window.CCC.loadSettings('present');

  const PARTIAL_EVERY_MS = 340; // at most 3 partials a second
  const RECENT = 15;

  let conn = null;
  let speaker = null;
  let asking = false;
  let denied = null;
  let utteranceId = window.CCC.newId();
  let lastPartialAt = 0;
  let partialTimer = null;

  const input = $('caption-input');
  const floorBtn = $('floor-btn');
  const meter = window.CCC.meterPanel();

  // ---- Joining ----------------------------------------------------------------------------------------

  $('name').value = settings.name || '';

  $('join-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const name = $('name').value.trim();
    const pin = $('pin').value;
    const error = $('join-error');
    if (!name) {
      showError(error, 'Enter your name: the audience sees it while you speak.');
      $('name').setAttribute('aria-invalid', 'true');
      $('name').focus();
      return;
    }
    $('name').removeAttribute('aria-invalid');
    error.hidden = true;
    settings.name = name;
    window.CCC.saveSettings('present', settings);
    $('join-btn').disabled = true;
    if (conn) {
      conn.retry({ name, pin });
      return;
    }
    conn = new window.CCC.RoomConnection({
      code: config.code, role: 'presenter', name, pin, handlers,
    });
    window.CCC.present = conn;
    conn.start();
  });

  /** Return the participantId the hub gave this console (null before the first join). */
  function myId() {
    return conn ? conn.participantId : null;
  }

  const handlers = {
    state({ state, resumed }) {
      meter.reset(state.stationAudio || []);
      $('join-form').hidden = true;
      $('console').hidden = false;
      $('join-btn').disabled = false;
      renderRecent();
      if (!resumed) $('floor-title').focus();
    },
    caption: renderRecent,
    edit: renderRecent,
    people(people, count) {
      window.CCC.renderPeople($('people-list'), people);
      $('people-audience').textContent = String(count);
      queue.render();
      queue.renderApprovals(people);
      meter.keep(people);
      renderFloor();
    },
    stationAudio: (m) => meter.update(m),
    approvalRequested() {
      if (conn) queue.renderApprovals(Array.from(conn.participants.values()));
    },
    speaker(current) {
      speaker = current;
      if (!speaker || speaker.id === myId()) denied = null;
      renderFloor();
    },
    denied(message) {
      denied = message.speakerId ? { id: message.speakerId, name: message.speakerName } : null;
      renderFloor();
    },
    queue() {
      queue.render();
      renderFloor();
    },
    status(status, rtt, note) {
      window.CCC.showStatus($('conn'), status, rtt, note);
      renderFloor();
    },
    joinError(error) {
      $('join-btn').disabled = false;
      $('join-form').hidden = false;
      $('console').hidden = true;
      const messages = {
        bad_pin: 'That PIN is not right for this room. Check it with the organizer.',
        room_not_found: 'This room is closed or does not exist.',
        denied: 'Your request to present was denied. You may ask again in a minute.',
      };
      showError($('join-error'), messages[error.code] || ('Could not join: ' + (error.message || error.code)));
      if (error.code === 'bad_pin') {
        $('pin').setAttribute('aria-invalid', 'true');
        $('pin').focus();
      }
    },
  };

  // ---- The floor --------------------------------------------------------------------------------------

  function holding() {
    return Boolean(speaker && speaker.id === myId());
  }

  const queue = window.CCC.queuePanel(() => conn, config);
  const showCountdown = window.CCC.offerCountdown($('offer-countdown'), (left) => left + ' s left to take the floor');

  function renderFloor() {
    const mine = holding();
    const other = speaker && !mine ? speaker : null;
    const blocker = other || denied;
    const online = conn && conn.joined;
    const { offer, place, offeredMe } = queue.view();
    const offeredOther = offer && !offeredMe && !other ? offer : null;
    const me = conn && conn.participants.get(myId());
    const unapproved = Boolean(online && me && me.waiting);
    $('waiting-note').hidden = !unapproved;
    const floor = $('floor');
    floor.dataset.floor = mine ? 'mine' : offeredMe ? 'offered' : blocker || offeredOther ? 'taken' : 'free';
    const waiting = place ? ' You are number ' + place + ' in the queue.' : '';
    let text;
    if (!online) text = 'Not connected: waiting for the hub…';
    else if (unapproved) text = 'Waiting for approval to present.';
    else if (mine) text = 'You have the floor. The room sees what you type.';
    else if (offeredMe) text = 'The floor is offered to you: take it now, or pass.';
    else if (blocker) text = blocker.name + ' has the floor. Wait until they finish.' + waiting;
    else if (offeredOther) text = 'The floor is offered to ' + offeredOther.name + ', next in the queue.' + waiting;
    else text = 'The floor is free.';
    if ($('floor-state').textContent !== text) $('floor-state').textContent = text;
    showCountdown(online && offeredMe ? offer : null);
    const hand = $('hand-btn');
    hand.hidden = !online || unapproved || mine || !(offeredMe || place || blocker || offeredOther);
    hand.textContent = offeredMe ? 'Pass' : place ? 'Lower your hand' : 'Raise your hand';
    hand.setAttribute('aria-pressed', place ? 'true' : 'false');
    floorBtn.textContent = mine ? 'Release the floor' : 'Take the floor';
    floorBtn.setAttribute('aria-pressed', mine ? 'true' : 'false');
    floorBtn.disabled = !online || unapproved || asking || Boolean(other) || Boolean(offeredOther);
    input.disabled = !online || !mine;
    input.placeholder = mine ? 'Type what is said; Enter sends the line' : other
      ? other.name + ' has the floor' : 'Take the floor to type captions';
  }

  async function takeFloor() {
    if (!conn || !conn.joined || holding() || asking) return holding();
    asking = true;
    renderFloor();
    const ack = await conn.call('requestSpeak', {});
    asking = false;
    if (ack.ok && ack.granted) {
      denied = null;
      speaker = ack.speaker;
    } else if (ack.ok && ack.speaker) {
      denied = ack.speaker;
    } else if (!ack.ok && ack.error && ack.error.code === 'forbidden') {
      handlers.joinError(ack.error); // the room's PIN changed: ask for it again
    }
    renderFloor();
    return holding();
  }

  async function releaseFloor() {
    if (!conn || !holding()) return;
    await sendFinal(); // the hub accepts a final that races the release
    await conn.call('stopSpeak', {});
    speaker = null;
    renderFloor();
  }

  floorBtn.addEventListener('click', async () => {
    if (holding()) await releaseFloor();
    else if (await takeFloor()) input.focus();
  });

  window.CCC.pushToTalk(settings, {
    holding, take: takeFloor, release: releaseFloor, idle: () => $('console').hidden,
  });

  // ---- Typing captions: partials (at most 3 a second) while typing, a final on Enter -----------------

  function sendPartial() {
    window.clearTimeout(partialTimer);
    partialTimer = null;
    const text = input.value.trim();
    if (!text || !holding()) return;
    lastPartialAt = performance.now();
    conn.call('caption', { utteranceId, text, isFinal: false });
  }

  input.addEventListener('input', () => {
    if (partialTimer) return;
    const wait = Math.max(0, lastPartialAt + PARTIAL_EVERY_MS - performance.now());
    partialTimer = window.setTimeout(sendPartial, wait);
  });

  async function sendFinal() {
    window.clearTimeout(partialTimer);
    partialTimer = null;
    const text = input.value.trim();
    if (!text) return;
    const id = utteranceId;
    utteranceId = window.CCC.newId();
    input.value = '';
    const ack = await conn.call('caption', { utteranceId: id, text, isFinal: true });
    if (!ack.ok) {
      input.value = text; // keep what was typed, so nothing is lost
      utteranceId = id;
      showError($('caption-error'), 'Not sent: ' + ack.error.message);
    } else {
      showError($('caption-error'), '');
    }
  }

  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      sendFinal();
    }
  });

  // ---- Recent captions, own lines correctable in place ----------------------------------------------------

  let editing = null;

  function renderRecent() {
    if (!conn || editing) return; // do not pull a line out from under the person correcting it
    const items = conn.store.order.slice(-RECENT).map((c) => {
      const li = el('li', { className: 'recent-item', 'data-utterance': c.utteranceId, 'data-seq': c.seq });
      const mine = c.speakerId === myId();
      li.append(el('span', { className: 'who' }, mine ? 'You' : (c.speakerName || 'Speaker')));
      li.append(el('span', { className: 'text' }, c.text));
      if (c.edited) li.append(el('span', { className: 'edited' }, ' (corrected)'));
      if (mine || config.isAdmin) {
        const button = el('button', { type: 'button', className: 'btn btn-small edit-btn' }, 'Correct');
        button.append(el('span', { className: 'visually-hidden' }, ': ' + c.text));
        button.addEventListener('click', () => startEdit(li, c));
        li.append(button);
      }
      return li;
    });
    $('recent-list').replaceChildren(...items);
  }

  function startEdit(li, c) {
    editing = c.utteranceId;
    window.CCC.editCaption({
      text: c.text,
      id: 'edit-text',
      mount: (form) => li.replaceChildren(form),
      async save(text) {
        const ack = await conn.call('editCaption', { utteranceId: c.utteranceId, text });
        if (ack.ok) conn.onEdit({ utteranceId: c.utteranceId, text, rev: ack.rev });
        return ack;
      },
      close() {
        editing = null;
        renderRecent();
        const again = document.querySelector('#recent-list [data-utterance="' + CSS.escape(c.utteranceId) + '"] .edit-btn');
        if (again) again.focus();
      },
    });
  }

  renderFloor();
}());
