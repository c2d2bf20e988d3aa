/* What a page knows of its room besides captions: the people in it, who speaks, the queue for the floor, and the
 * room being changed, closed or locked. RoomConnection is the Connection (connection.js) that pages use.
 *
 * Needs ccc.js and connection.js (loaded before it). Adds CCC.RoomConnection.
 */
(function () {
  'use strict';

  const { lockedOut, showSaving, showRoomClosed, Connection } = window.CCC;

  class RoomConnection extends Connection {
    constructor(options) {
      super(options);
      this.participants = new Map();
      this.audienceCount = 0;
      this.speaker = null;
      this.floorQueue = { queue: [], offer: null };
    }

    listen(socket) {
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
      socket.on('stationAudio', (m) => this.call_('stationAudio', m)); // presenters only: a station's audio advice
    }

    /** Take a roomState: people and speaker first, so the page's state handler sees them with the captions. */
    applyState(state, resumed) {
      this.participants = new Map((state.participants || []).map((p) => [p.id, p]));
      this.audienceCount = state.audienceCount || 0;
      this.speaker = state.speaker || null;
      if (!this.speaker) this.store.partials.clear();
      super.applyState(state, resumed);
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
      this.forgetIdentity(); // the hub removed this participant: asking again is a new request
      this.setStatus('offline', 'request denied');
      this.call_('joinError', { code: 'denied', message: m.message || 'your request to present was denied' });
    }

    emitPeople() {
      this.call_('people', Array.from(this.participants.values()), this.audienceCount);
    }
  }

  window.CCC.RoomConnection = RoomConnection;
}());
