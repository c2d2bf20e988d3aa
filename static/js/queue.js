/* The presenter console's queue for the floor and its requests to present: raise or lower a hand, pass an offer;
 * the admin and presenters who gave the room's PIN reorder the queue and approve or deny who asks to present.
 *
 * Needs ccc.js. Adds CCC.queuePanel.
 */
(function () {
  'use strict';

  const { el, $, showError } = window.CCC;

  /** Return a small button that says what it does to whom (the name for screen readers only). */
  function actionButton(label, className, name, action, disabled) {
    const button = el('button', { type: 'button', className: 'btn btn-small ' + className, disabled }, label);
    button.append(el('span', { className: 'visually-hidden' }, ': ' + name));
    button.addEventListener('click', action);
    return button;
  }

  /**
   * Run the queue and approval lists of the console: ``connection()`` returns its RoomConnection (null before the
   * first join), ``config`` is the room's (CCC.roomConfig). Returns {view, render, renderApprovals}.
   */
  function queuePanel(connection, config) {
    function me() {
      const conn = connection();
      return conn ? conn.participants.get(conn.participantId) : null;
    }

    /** Return the queue as this console knows it: the entries, the open offer, and this presenter's place. */
    function view() {
      const conn = connection();
      const myId = conn ? conn.participantId : null;
      const floorQueue = conn ? conn.floorQueue : { queue: [], offer: null };
      const place = floorQueue.queue.findIndex((q) => q.id === myId) + 1; // 0: not queued
      const offer = floorQueue.offer;
      return { queue: floorQueue.queue, offer, place, offeredMe: Boolean(offer && offer.id === myId), myId };
    }

    $('hand-btn').addEventListener('click', async () => {
      const conn = connection();
      if (!conn || !conn.joined) return;
      const { place, offeredMe } = view();
      const ack = await conn.call(place || offeredMe ? 'lowerHand' : 'raiseHand', {});
      if (ack.ok && ack.queue) conn.onQueue(ack);
      else if (!ack.ok) showError($('caption-error'), 'The queue: ' + ack.error.message);
    });

    function canApprove() {
      const mine = me();
      return config.isAdmin || Boolean(config.hasPin && mine && mine.verifiedBy === 'pin');
    }

    function canManageQueue() {
      const mine = me();
      return config.isAdmin || Boolean(config.hasPin && mine && mine.verified);
    }

    async function decide(event, p) {
      const ack = await connection().call(event, { participantId: p.id });
      showError($('approval-error'), ack.ok ? '' : 'Could not ' + event + ' ' + p.name + ': ' + ack.error.message);
    }

    async function manage(event, data) {
      const ack = await connection().call(event, data);
      if (!ack.ok) showError($('caption-error'), 'The queue: ' + ack.error.message);
    }

    function renderApprovals(people) {
      const waiting = canApprove() ? people.filter((p) => p.waiting) : [];
      const list = $('approval-list');
      const signature = JSON.stringify(waiting.map((p) => [p.id, p.name]));
      if (list.dataset.shown === signature) return; // do not swap a button out from under a click
      list.dataset.shown = signature;
      list.replaceChildren(...waiting.map((p) => {
        const li = el('li', { className: 'approval-item', 'data-participant': p.id });
        li.append(el('span', { className: 'person-name' }, p.name), ' asks to present: ',
          actionButton('Approve', 'approve-btn', p.name, () => decide('approve', p)), ' ',
          actionButton('Deny', 'btn-danger deny-btn', p.name, () => decide('deny', p)));
        return li;
      }));
      $('approvals-card').hidden = waiting.length === 0;
    }

    function render() {
      const { queue, offer, myId } = view();
      const manager = canManageQueue();
      const items = [];
      if (offer) {
        const li = el('li', { className: 'queue-item queue-offer', 'data-participant': offer.id });
        li.append(el('span', { className: 'person-name' }, offer.name + (offer.id === myId ? ' (you)' : '')),
          ' ', el('span', { className: 'role' }, 'offered the floor now'));
        items.push(li);
      }
      queue.forEach((q, i) => {
        const li = el('li', { className: 'queue-item', 'data-participant': q.id });
        li.append(el('span', { className: 'person-name' }, q.name + (q.id === myId ? ' (you)' : '')));
        if (manager) {
          li.append(' ', actionButton('Move up', 'queue-up', q.name,
            () => manage('queueMove', { participantId: q.id, position: i - 1 }), i === 0),
          ' ', actionButton('Remove', 'queue-remove', q.name, () => manage('queueRemove', { participantId: q.id })));
        }
        items.push(li);
      });
      $('queue-list').replaceChildren(...items);
      $('queue-empty').hidden = items.length > 0;
    }

    return { view, render, renderApprovals };
  }

  Object.assign(window.CCC, { queuePanel });
}());
