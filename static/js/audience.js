/* Audience page: the whole transcript on a phone, following the live line unless the reader scrolls up. */
(function () {
  'use strict';

  const { el, $ } = window.CCC;
  const config = window.CCC.roomConfig();
  let settings = window.CCC.loadSettings('audience');

  const scroller = $('main');
  const list = $('captions');
  const partialZone = $('partials');
  const empty = $('transcript-empty');
  const announcer = $('announcer');
  const jump = $('jump-live');
  const jumpCount = $('jump-count');
  const rowByUtterance = new Map();
  const SIZES = [80, 90, 100, 115, 130, 150, 175, 200, 250];
  const NEAR_BOTTOM_PX = 48;

  let following = true;
  let unseen = 0;
  let lastSpeakerId = null;
  const pending = { finals: [], edits: [], partials: false, rebuild: false };

  // ---- Rendering, batched to one DOM update per animation frame ---------------------------------------

  function captionRow(c, showSpeaker) {
    const li = el('li', { className: 'cap', 'data-seq': c.seq, 'data-utterance': c.utteranceId });
    if (showSpeaker) li.append(el('span', { className: 'who' }, c.speakerName || 'Speaker'));
    li.append(el('span', { className: 'text', 'data-unreadable': c.unreadable || null }, c.text));
    if (c.edited) li.append(el('span', { className: 'edited' }, ' (corrected)'));
    markTranslation(li, c);
    rowByUtterance.set(c.utteranceId, li);
    return li;
  }

  let translationIds = 0;

  /** Mark a machine-translated caption, with its original one tap away (a disclosure button). */
  function markTranslation(li, c) {
    for (const old of li.querySelectorAll('.mt')) old.remove();
    const text = li.querySelector('.text');
    if (!c.machineTranslated || typeof c.originalText !== 'string') {
      text.removeAttribute('lang');
      return;
    }
    text.lang = c.lang;
    translationIds += 1;
    const id = 'original-' + translationIds;
    const toggle = el('button', { type: 'button', className: 'btn-link mt mt-toggle', 'aria-expanded': 'false',
      'aria-controls': id }, 'Machine translation: show original');
    const original = el('span', { className: 'mt mt-original', id, lang: (conn.room && conn.room.lang) || 'en' },
      c.originalText);
    original.hidden = true;
    toggle.addEventListener('click', () => {
      const open = original.hidden;
      original.hidden = !open;
      toggle.setAttribute('aria-expanded', open ? 'true' : 'false');
      toggle.textContent = open ? 'Machine translation: hide original' : 'Machine translation: show original';
    });
    li.append(el('span', { className: 'mt' }, ' '), toggle, original);
  }

  function appendFinal(c) {
    const order = conn.store.order;
    const index = order.indexOf(c);
    if (pending.rebuild || list.children.length !== index) {
      pending.rebuild = true; // arrived out of order: rebuild once instead of splicing
      return;
    }
    const show = c.speakerId !== lastSpeakerId;
    list.append(captionRow(c, show));
    lastSpeakerId = c.speakerId;
  }

  function rebuild() {
    rowByUtterance.clear();
    lastSpeakerId = null;
    const rows = conn.store.order.map((c) => {
      const row = captionRow(c, c.speakerId !== lastSpeakerId);
      lastSpeakerId = c.speakerId;
      return row;
    });
    list.replaceChildren(...rows);
  }

  function renderPartials() {
    const rows = [];
    for (const p of conn.store.partials.values()) {
      const row = el('p', { className: 'cap partial', 'data-utterance': p.utteranceId });
      if (p.speakerId !== lastSpeakerId) row.append(el('span', { className: 'who' }, p.speakerName || 'Speaker'));
      row.append(el('span', { className: 'text', 'data-unreadable': p.unreadable || null }, p.text));
      rows.push(row);
    }
    partialZone.replaceChildren(...rows);
  }

  const render = window.CCC.perFrame(() => {
    const wasAtBottom = following;
    if (pending.rebuild) {
      rebuild();
    } else {
      for (const c of pending.finals) appendFinal(c);
      if (pending.rebuild) rebuild();
    }
    for (const c of pending.edits) {
      const row = rowByUtterance.get(c.utteranceId);
      if (row) window.CCC.setCaptionText(row.querySelector('.text'), c);
      if (row) markTranslation(row, c);
      if (row && !row.querySelector('.edited')) row.append(el('span', { className: 'edited' }, ' (corrected)'));
    }
    const newFinals = pending.finals.length;
    pending.finals = [];
    pending.edits = [];
    pending.rebuild = false;
    pending.partials = false;
    renderPartials();
    empty.hidden = conn.store.order.length > 0 || conn.store.partials.size > 0;
    if (wasAtBottom) {
      toBottom(false);
    } else if (newFinals) {
      unseen += newFinals;
      jumpCount.textContent = '(' + unseen + ' new)';
    }
  });

  // ---- Following the live line ---------------------------------------------------------------------------

  function distanceFromBottom() {
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight;
  }

  function toBottom(smooth) {
    scroller.scrollTo({ top: scroller.scrollHeight, behavior: smooth && !window.CCC.reducedMotion() ? 'smooth' : 'auto' });
  }

  function setFollowing(on) {
    if (on === following) return;
    following = on;
    document.body.dataset.following = on ? 'true' : 'false';
    jump.hidden = on;
    if (on) {
      unseen = 0;
      jumpCount.textContent = '';
    }
  }

  scroller.addEventListener('scroll', () => {
    setFollowing(distanceFromBottom() <= NEAR_BOTTOM_PX);
  }, { passive: true });

  window.addEventListener('resize', () => { if (following) toBottom(false); });

  jump.addEventListener('click', () => {
    setFollowing(true);
    toBottom(true);
    scroller.focus({ preventScroll: true });
  });

  // ---- Room connection -------------------------------------------------------------------------------------

  const conn = new window.CCC.RoomConnection({
    code: config.code,
    role: 'audience',
    lang: settings.lang, // in an e2e room: the translations the station seals, where there are some
    handlers: {
      state({ state, added, edited }) {
        window.CCC.showSaving(Boolean(state.room.saving));
        pending.finals.push(...added);
        pending.edits.push(...edited);
        render();
        showLanguages(state.room);
      },
      language(lang) {
        $('caption-lang').value = lang;
      },
      languages() { // an e2e room's station seals a language not offered before
        if (conn.room) showLanguages(conn.room);
      },
      translated() { // earlier finals now in the language read: shown again, in place
        pending.rebuild = true;
        render();
      },
      caption(c) {
        pending.finals.push(c);
        window.CCC.announce(announcer, c); // finals only, never partials
        render();
      },
      partial() {
        pending.partials = true;
        render();
      },
      edit(c) {
        pending.edits.push(c);
        render();
      },
      people(people, count) {
        window.CCC.renderPeople($('people-list'), people);
        $('audience-count').textContent = String(count);
        $('audience-label').textContent = 'reading';
        $('people-audience').textContent = String(count);
        $('people-count').textContent = String(people.length);
      },
      speaker(speaker, change) {
        const box = $('speaker-status');
        box.dataset.speaking = speaker ? 'true' : 'false';
        $('speaker-text').textContent = speaker ? speaker.name + ' is speaking' : 'Nobody is speaking';
        if (speaker && change && change.changed && settings.vibrate && navigator.vibrate) navigator.vibrate(150);
      },
      status(status, rtt, note) {
        window.CCC.showStatus($('conn'), status, rtt, note);
      },
      roomUpdated(m) {
        // A deleted room has no transcript left to download.
        if (m.deleted) $('download').hidden = true;
      },
      joinError(error) {
        empty.hidden = false;
        empty.textContent = error.code === 'room_not_found'
          ? 'This room has been closed. Ask for the new room code.' : 'Could not join: ' + (error.message || error.code);
        window.CCC.showStatus($('conn'), 'offline', null, error.code === 'room_not_found' ? 'room closed' : null);
      },
    },
  });

  // ---- Reading settings ------------------------------------------------------------------------------------

  function saveAndApply() {
    window.CCC.saveSettings('audience', settings);
    window.CCC.applySettings('audience', settings);
    $('size-value').textContent = settings.size + '%';
    if (following) toBottom(false);
  }

  function stepSize(direction) {
    const current = SIZES.indexOf(Number(settings.size));
    const index = Math.max(0, Math.min(SIZES.length - 1, (current < 0 ? 2 : current) + direction));
    settings.size = SIZES[index];
    $('size-down').disabled = index === 0;
    $('size-up').disabled = index === SIZES.length - 1;
    saveAndApply();
  }

  /** Offer the languages the hub can translate this room into ("Captions in"), or say why there are none. */
  function showLanguages(room) {
    const select = $('caption-lang');
    const note = $('lang-note');
    const own = room.lang === 'en' || !room.lang ? 'English' : room.lang;
    const options = [el('option', { value: '' }, own + ' (original)')];
    for (const l of conn.languages()) options.push(el('option', { value: l.code, lang: l.code }, l.name));
    select.replaceChildren(...options);
    select.value = conn.readingLang || '';
    select.disabled = options.length === 1;
    const sealed = config.e2e || room.e2e;
    if (sealed && options.length > 1) {
      note.textContent = 'Machine translation, made by the presenter\'s station and sealed with the room key; '
        + 'each caption keeps its original one tap away.';
    } else if (sealed) {
      note.textContent = 'The hub cannot translate an end-to-end encrypted room. Translations show here when '
        + 'the presenter\'s station makes them (--translate).';
    } else if (options.length === 1) {
      note.textContent = 'This hub has no translation models installed.';
    } else {
      note.textContent = 'Machine translation, made on this hub; each caption keeps its original one tap away.';
    }
  }

  function initSettings() {
    $('size-value').textContent = settings.size + '%';
    $('size-down').addEventListener('click', () => stepSize(-1));
    $('size-up').addEventListener('click', () => stepSize(1));
    for (const radio of document.querySelectorAll('input[name="theme"]')) {
      radio.checked = radio.value === settings.theme;
      radio.addEventListener('change', () => { settings.theme = radio.value; saveAndApply(); });
    }
    for (const radio of document.querySelectorAll('input[name="font"]')) {
      radio.checked = radio.value === settings.font;
      radio.addEventListener('change', () => { settings.font = radio.value; saveAndApply(); });
    }
    const spacing = $('spacing');
    spacing.value = String(settings.spacing);
    if (!spacing.value) spacing.value = '1.5';
    spacing.addEventListener('change', () => { settings.spacing = Number(spacing.value); saveAndApply(); });
    if (navigator.vibrate) {
      $('vibrate-field').hidden = false;
      $('vibrate').checked = Boolean(settings.vibrate);
      $('vibrate').addEventListener('change', () => { settings.vibrate = $('vibrate').checked; saveAndApply(); });
    }
    $('caption-lang').addEventListener('change', () => {
      settings.lang = $('caption-lang').value;
      saveAndApply();
      conn.setLanguage(settings.lang);
    });
    window.CCC.bindDialog($('open-settings'), $('settings-panel'));
    window.CCC.bindDialog($('open-people'), $('people-panel'));
  }

  if (config.e2e) { // the hub cannot write this room's transcript: its page opens it here, with the key
    const download = $('download');
    const keyText = conn.sealer && conn.sealer.keyText;
    download.href = '/r/' + encodeURIComponent(config.code) + '/transcript' + (keyText ? '#k=' + keyText : '');
    download.removeAttribute('download');
  }
  document.body.dataset.following = 'true';
  initSettings();
  window.CCC.audience = conn; // for tests and the curious
  conn.start();
}());
