/* Projector page: the last few caption lines in very large type, the speaker, and how to join. */
(function () {
  'use strict';

  const { $ } = window.CCC;
  const config = window.CCC.roomConfig();
  let settings = window.CCC.loadSettings('projector');

  const lines = $('lines');
  const idle = $('idle');
  const KEEP_FINALS = 8; // more than any setting shows; older lines are clipped off the top, then dropped

  // ---- Captions, reconciled once per animation frame -----------------------------------------------

  const translation = window.CCC.translationOptions(); // ?lang=pt (&bilingual=1: the original under it)
  const showLines = window.CCC.captionLines(lines, {
    bilingual: translation.bilingual,
    skip: 1, // child 0 is the idle message
    speakerLabel: (c) => (c.speakerName || 'Speaker') + ':',
  });

  const render = window.CCC.perFrame(() => {
    const store = conn.store;
    const wanted = store.order.slice(-KEEP_FINALS).concat(Array.from(store.partials.values()));
    showLines(wanted);
    idle.hidden = wanted.length > 0;
  });

  // ---- Speaker and connection -------------------------------------------------------------------------

  function showSpeaker(speaker) {
    const box = $('speaker-status');
    box.dataset.speaking = speaker ? 'true' : 'false';
    $('speaker-name').textContent = speaker ? speaker.name : 'Waiting for a speaker';
    $('speaker-state').textContent = speaker ? 'speaking' : '';
  }

  // ---- The queue for the floor: who is next, in words (not colour alone), and an open offer's countdown ----

  const showCountdown = window.CCC.offerCountdown($('queue-countdown'), (left) => '(' + left + ' s)');

  function showQueue(floorQueue) {
    const { queue, offer } = floorQueue;
    const box = $('queue-next');
    let text = '';
    if (offer) {
      text = 'Next: ' + offer.name + ' may take the floor now';
      if (queue.length) text += '; then ' + queue.map((q) => q.name).join(', ');
    } else if (queue.length) {
      text = 'Next: ' + queue[0].name + (queue.length > 1 ? '; then ' + queue.slice(1).map((q) => q.name).join(', ') : '');
    }
    box.hidden = !text;
    box.dataset.offer = offer ? 'open' : 'none';
    if ($('queue-text').textContent !== text) $('queue-text').textContent = text;
    showCountdown(offer);
  }

  const conn = new window.CCC.RoomConnection({
    code: config.code,
    role: 'projector',
    name: 'Projector',
    lang: translation.lang,
    handlers: {
      state: render,
      caption: render,
      partial: render,
      edit: render,
      translated: render,
      speaker: showSpeaker,
      queue: showQueue,
      status(status, rtt, note) {
        window.CCC.showStatus($('conn'), status, rtt, note);
      },
      joinError(error) {
        idle.hidden = false;
        idle.textContent = error.code === 'room_not_found' ? 'This room has been closed.' : 'Could not join: ' + error.message;
      },
    },
  });

  // ---- Settings: lines, size, theme, QR code; keys S, Q, F ---------------------------------------------

  function saveAndApply() {
    window.CCC.saveSettings('projector', settings);
    window.CCC.applySettings('projector', settings);
    $('qr-setting').checked = Boolean(settings.qr);
  }

  function toggleFullscreen() {
    if (document.fullscreenElement) document.exitFullscreen();
    else if (document.documentElement.requestFullscreen) document.documentElement.requestFullscreen().catch(() => {});
  }

  function initSettings() {
    const linesSetting = $('lines-setting');
    const sizeSetting = $('size-setting');
    linesSetting.value = String(settings.lines);
    sizeSetting.value = settings.size;
    linesSetting.addEventListener('change', () => { settings.lines = Number(linesSetting.value); saveAndApply(); });
    sizeSetting.addEventListener('change', () => { settings.size = sizeSetting.value; saveAndApply(); });
    for (const radio of document.querySelectorAll('input[name="theme"]')) {
      radio.checked = radio.value === settings.theme;
      radio.addEventListener('change', () => { settings.theme = radio.value; saveAndApply(); });
    }
    $('qr-setting').checked = Boolean(settings.qr);
    $('qr-setting').addEventListener('change', () => { settings.qr = $('qr-setting').checked; saveAndApply(); });
    $('hide-qr').addEventListener('click', () => { settings.qr = false; saveAndApply(); $('open-settings').focus(); });
    $('fullscreen').addEventListener('click', toggleFullscreen);
    window.CCC.bindDialog($('open-settings'), $('settings-panel'));

    document.addEventListener('keydown', (event) => {
      if (event.ctrlKey || event.metaKey || event.altKey || $('settings-panel').open) return;
      if (event.target.closest && event.target.closest('input, select, textarea')) return;
      const key = event.key.toLowerCase();
      if (key === 'q') {
        settings.qr = !settings.qr;
        saveAndApply();
      } else if (key === 's') {
        $('open-settings').click();
      } else if (key === 'f') {
        toggleFullscreen();
      }
    });

    // In kiosk mode nobody needs the pointer: hide it, and the settings button, when the mouse rests.
    let restTimer = null;
    const wake = () => {
      document.body.dataset.resting = 'false';
      window.clearTimeout(restTimer);
      restTimer = window.setTimeout(() => { document.body.dataset.resting = 'true'; }, 3000);
    };
    document.addEventListener('pointermove', wake, { passive: true });
    document.addEventListener('keydown', wake);
    wake();
  }

  // ---- A private room's QR code and link carry its password in the fragment ---------------------------

  /** Ask the hub (which keeps only the password's hash) for the QR code with the password this page knows. */
  async function privateQr() {
    const password = window.CCC.roomPassword(config.code);
    if ($('join-card').dataset.private !== 'true' || !password || config.e2e) return; // e2e: showKeyedQr
    const body = new FormData();
    body.set('password', password);
    const response = await fetch('/r/' + encodeURIComponent(config.code) + '/qr.svg', {
      method: 'POST', body, credentials: 'same-origin',
    }).catch(() => null);
    if (!response || !response.ok) return; // the plain code stays: phones then get the password prompt
    const svg = await response.text();
    $('join-qr').src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(svg);
    $('join-url').textContent = config.joinUrl.split('://').pop() + '#p=' + encodeURIComponent(password);
    $('join-private').hidden = false;
    document.documentElement.dataset.qrPassword = 'true';
  }

  // ---- An end-to-end encrypted room: the hub's QR code has no key, so this page draws one that has ----------

  function showKeyedQr() {
    const img = $('join-qr');
    const keyText = conn.sealer && conn.sealer.keyText;
    if (!config.e2e || !img) return;
    if (!keyText || typeof window.qrcode !== 'function') {
      img.hidden = true; // a keyless link would only say "no key"
      $('join-url').textContent = 'Ask the organiser for this room\'s link.';
      return;
    }
    const password = window.CCC.roomPassword(config.code); // a private e2e room: both in the fragment
    const link = config.joinUrl + '#' + (password ? 'p=' + encodeURIComponent(password) + '&' : '') + 'k=' + keyText;
    const qr = window.qrcode(0, 'M');
    qr.addData(link);
    qr.make();
    const n = qr.getModuleCount();
    const quiet = 4;
    const NS = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(NS, 'svg');
    svg.setAttribute('viewBox', '0 0 ' + (n + 2 * quiet) + ' ' + (n + 2 * quiet));
    svg.setAttribute('width', '250');
    svg.setAttribute('height', '250');
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', 'QR code to open the captions of room ' + config.code + ', with its key');
    svg.setAttribute('class', 'join-qr');
    svg.id = 'join-qr';
    let d = '';
    for (let r = 0; r < n; r += 1) {
      for (let c = 0; c < n; c += 1) if (qr.isDark(r, c)) d += 'M' + (c + quiet) + ' ' + (r + quiet) + 'h1v1h-1z';
    }
    const paper = document.createElementNS(NS, 'rect');
    paper.setAttribute('width', '100%');
    paper.setAttribute('height', '100%');
    paper.setAttribute('fill', '#fff');
    const ink = document.createElementNS(NS, 'path');
    ink.setAttribute('d', d);
    ink.setAttribute('fill', '#000');
    svg.append(paper, ink);
    img.replaceWith(svg);
    $('join-url').textContent = config.joinUrl.split('://').pop() + ' (scan: the link carries the key)';
  }

  initSettings();
  privateQr();
  window.CCC.projector = conn;
  showKeyedQr();
  conn.start();
}());
