/* Presenter console: join with a name (and PIN), take the floor by button or key, type and correct captions. */
(function () {
  'use strict';

  const { el, $ } = window.CCC;
  const config = window.CCC.roomConfig();
  const settings = window.CCC.loadSettings('present');

  const PARTIAL_EVERY_MS = 340; // at most 3 partials a second
  const RECENT = 15;
  const FIELD = 'input, textarea, select, button, a, summary, [contenteditable="true"]';

  let conn = null;
  let speaker = null;
  let asking = false;
  let denied = null;
  let utteranceId = window.CCC.newId();
  let lastPartialAt = 0;
  let partialTimer = null;
  let keyHeld = false; // the floor was taken by holding the push-to-talk key
  let typedKeyInField = false;
  let capturingKey = false;

  const input = $('caption-input');
  const floorBtn = $('floor-btn');

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

  function showError(node, message) {
    node.textContent = message;
    node.hidden = !message;
  }

  const handlers = {
    state({ resumed }) {
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
      renderQueue();
      renderApprovals(people);
      renderFloor();
    },
    approvalRequested() {
      if (conn) renderApprovals(Array.from(conn.participants.values()));
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
      renderQueue();
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

  /** Return the queue as this console knows it: the entries, the open offer, and this presenter's place. */
  function queueView() {
    const floorQueue = conn ? conn.floorQueue : { queue: [], offer: null };
    const place = floorQueue.queue.findIndex((q) => q.id === myId()) + 1; // 0: not queued
    const offer = floorQueue.offer;
    return { queue: floorQueue.queue, offer, place, offeredMe: Boolean(offer && offer.id === myId()) };
  }

  function renderFloor() {
    const mine = holding();
    const other = speaker && !mine ? speaker : null;
    const blocker = other || denied;
    const online = conn && conn.joined;
    const { offer, place, offeredMe } = queueView();
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
    const key = keyLabel(settings.key);
    $('key-name').textContent = key;
    $('key-hint').textContent = settings.mode === 'hold'
      ? 'Or hold ' + key + ' while you speak (when the cursor is not in a text box).'
      : 'Or press ' + key + ' to take the floor and again to release it.';
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

  let countdownTimer = null;

  /** Count an offer to this presenter down, once a second (the status line itself stays quiet). */
  function showCountdown(offer) {
    window.clearInterval(countdownTimer);
    countdownTimer = null;
    const tick = () => {
      const left = offer ? Math.max(0, Math.ceil((offer.deadline - performance.now()) / 1000)) : 0;
      $('offer-countdown').textContent = offer ? left + ' s left to take the floor' : '';
    };
    tick();
    if (offer) countdownTimer = window.setInterval(tick, 250);
  }

  // ---- The queue for the floor: raise or lower a hand, pass an offer; the admin and PIN presenters reorder --

  $('hand-btn').addEventListener('click', async () => {
    if (!conn || !conn.joined) return;
    const { place, offeredMe } = queueView();
    const ack = await conn.call(place || offeredMe ? 'lowerHand' : 'raiseHand', {});
    if (ack.ok && ack.queue) conn.onQueue(ack);
    else if (!ack.ok) showError($('caption-error'), 'The queue: ' + ack.error.message);
  });

  // ---- Approving presenters who ask to present (the admin and presenters who gave the PIN) ----------------

  function canApprove() {
    const me = conn && conn.participants.get(myId());
    return config.isAdmin || Boolean(config.hasPin && me && me.verifiedBy === 'pin');
  }

  async function decide(event, p) {
    const ack = await conn.call(event, { participantId: p.id });
    showError($('approval-error'), ack.ok ? '' : 'Could not ' + event + ' ' + p.name + ': ' + ack.error.message);
  }

  function renderApprovals(people) {
    const waiting = canApprove() ? people.filter((p) => p.waiting) : [];
    const list = $('approval-list');
    const signature = JSON.stringify(waiting.map((p) => [p.id, p.name]));
    if (list.dataset.shown === signature) return; // do not swap a button out from under a click
    list.dataset.shown = signature;
    list.replaceChildren(...waiting.map((p) => {
      const li = el('li', { className: 'approval-item', 'data-participant': p.id });
      const approve = el('button', { type: 'button', className: 'btn btn-small approve-btn' }, 'Approve');
      approve.append(el('span', { className: 'visually-hidden' }, ': ' + p.name));
      approve.addEventListener('click', () => decide('approve', p));
      const deny = el('button', { type: 'button', className: 'btn btn-small btn-danger deny-btn' }, 'Deny');
      deny.append(el('span', { className: 'visually-hidden' }, ': ' + p.name));
      deny.addEventListener('click', () => decide('deny', p));
      li.append(el('span', { className: 'person-name' }, p.name), ' asks to present: ', approve, ' ', deny);
      return li;
    }));
    $('approvals-card').hidden = waiting.length === 0;
  }

  function canManageQueue() {
    const me = conn && conn.participants.get(myId());
    return config.isAdmin || Boolean(config.hasPin && me && me.verified);
  }

  async function manage(event, data) {
    const ack = await conn.call(event, data);
    if (!ack.ok) showError($('caption-error'), 'The queue: ' + ack.error.message);
  }

  function renderQueue() {
    const { queue, offer } = queueView();
    const manager = canManageQueue();
    const items = [];
    if (offer) {
      const li = el('li', { className: 'queue-item queue-offer', 'data-participant': offer.id });
      li.append(el('span', { className: 'person-name' }, offer.name + (offer.id === myId() ? ' (you)' : '')),
        ' ', el('span', { className: 'role' }, 'offered the floor now'));
      items.push(li);
    }
    queue.forEach((q, i) => {
      const li = el('li', { className: 'queue-item', 'data-participant': q.id });
      li.append(el('span', { className: 'person-name' }, q.name + (q.id === myId() ? ' (you)' : '')));
      if (manager) {
        const up = el('button', { type: 'button', className: 'btn btn-small queue-up', disabled: i === 0 }, 'Move up');
        up.append(el('span', { className: 'visually-hidden' }, ': ' + q.name));
        up.addEventListener('click', () => manage('queueMove', { participantId: q.id, position: i - 1 }));
        const remove = el('button', { type: 'button', className: 'btn btn-small queue-remove' }, 'Remove');
        remove.append(el('span', { className: 'visually-hidden' }, ': ' + q.name));
        remove.addEventListener('click', () => manage('queueRemove', { participantId: q.id }));
        li.append(' ', up, ' ', remove);
      }
      items.push(li);
    });
    $('queue-list').replaceChildren(...items);
    $('queue-empty').hidden = items.length > 0;
  }

  floorBtn.addEventListener('click', async () => {
    if (holding()) await releaseFloor();
    else if (await takeFloor()) input.focus();
  });

  // ---- Push-to-talk key: hold or toggle; never steals a key typed into a field --------------------------

  function keyLabel(code) {
    if (code === 'Space') return 'Space';
    return code.replace(/^Key/, '').replace(/^Digit/, '');
  }

  function inField(target) {
    return Boolean(target && target.closest && target.closest(FIELD));
  }

  document.addEventListener('keydown', (event) => {
    if (capturingKey) return;
    if (event.code !== settings.key || event.ctrlKey || event.metaKey || event.altKey) return;
    if (inField(event.target) || $('console').hidden) {
      typedKeyInField = true;
      return;
    }
    event.preventDefault();
    if (event.repeat) return;
    if (settings.mode === 'toggle') {
      if (holding()) releaseFloor();
      else takeFloor();
    } else {
      keyHeld = true;
      takeFloor().then((got) => {
        if (got && !keyHeld) releaseFloor(); // the key came up before the hub answered
      });
    }
  });

  document.addEventListener('keyup', (event) => {
    if (event.code !== settings.key) return;
    if (typedKeyInField) {
      typedKeyInField = false;
      return;
    }
    if (settings.mode === 'hold' && keyHeld) {
      event.preventDefault();
      keyHeld = false;
      releaseFloor();
    }
  });

  window.addEventListener('blur', () => { // a key released in another window would leave the floor held
    if (keyHeld) {
      keyHeld = false;
      releaseFloor();
    }
  });

  $('key-change').addEventListener('click', () => {
    capturingKey = true;
    $('key-capture').hidden = false;
    $('key-change').disabled = true;
  });

  document.addEventListener('keydown', (event) => {
    if (!capturingKey) return;
    event.preventDefault();
    if (event.code !== 'Escape' && event.code !== 'Tab' && event.code) {
      settings.key = event.code;
      window.CCC.saveSettings('present', settings);
    }
    capturingKey = false;
    $('key-capture').hidden = true;
    $('key-change').disabled = false;
    $('key-change').focus();
    renderFloor();
  }, true);

  for (const radio of document.querySelectorAll('input[name="mode"]')) {
    radio.checked = radio.value === settings.mode;
    radio.addEventListener('change', () => {
      settings.mode = radio.value;
      window.CCC.saveSettings('present', settings);
      renderFloor();
    });
  }

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
    const form = el('form', { className: 'edit-form' });
    const label = el('label', { for: 'edit-text', className: 'visually-hidden' }, 'Corrected text');
    const field = el('input', { id: 'edit-text', type: 'text', maxlength: 2000, className: 'edit-text' });
    field.value = c.text;
    const save = el('button', { type: 'submit', className: 'btn btn-small btn-primary' }, 'Save');
    const cancel = el('button', { type: 'button', className: 'btn btn-small' }, 'Cancel');
    const error = el('p', { className: 'form-error', role: 'alert', hidden: true });
    form.append(label, field, save, cancel, error);
    li.replaceChildren(form);
    field.focus();
    field.select();
    const finish = () => {
      editing = null;
      renderRecent();
      const again = document.querySelector('#recent-list [data-utterance="' + CSS.escape(c.utteranceId) + '"] .edit-btn');
      if (again) again.focus();
    };
    cancel.addEventListener('click', finish);
    field.addEventListener('keydown', (event) => { if (event.key === 'Escape') finish(); });
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const text = field.value.trim();
      if (!text) return;
      save.disabled = true;
      const ack = await conn.call('editCaption', { utteranceId: c.utteranceId, text });
      save.disabled = false;
      if (!ack.ok) {
        showError(error, ack.error.message);
        return;
      }
      conn.onEdit({ utteranceId: c.utteranceId, text, rev: ack.rev });
      finish();
    });
  }

  renderFloor();
}());
