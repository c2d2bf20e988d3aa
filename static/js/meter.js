/* The presenter console's microphones card: each station's audio advice (stationAudio) in plain words.
 *
 * The hub relays a station's advice when it changes, and gives a joining console the latest of each station in
 * roomState.stationAudio. Each station keeps one list item whose text is updated in place, so the polite live
 * region announces only what changed. Text only: names and figures never go through innerHTML.
 *
 * Needs ccc.js. Adds CCC.meterPanel, and CCC.audioAdvice for the admin page's list of who is present.
 */
(function () {
  'use strict';

  const { el, $ } = window.CCC;

  // The station's words (ccc/station/meter.py ADVICE, on its terminal line and in `make doctor`), as sentences.
  const WORDS = {
    good: 'Good: the microphone hears the speaker clearly.',
    clipping: "Clipping: turn the microphone's input gain down.",
    too_quiet: 'Too quiet: move the microphone closer or raise its input gain.',
    echo: 'The room echoes: move the microphone closer or use a headset microphone.',
    noisy: 'Noisy: move the microphone closer to the speaker or use a headset microphone.',
    silence: 'No speech heard yet.',
  };

  /** Return the figures behind the advice, e.g. "speech -20 dBFS, SNR 24 dB, echo 0.4 s". */
  function figures(m) {
    const echo = typeof m.echoS === 'number' ? ', echo ' + m.echoS.toFixed(1) + ' s' : '';
    return 'speech ' + Math.round(m.levelDb) + ' dBFS, SNR ' + Math.round(m.snrDb) + ' dB' + echo;
  }

  /** Return a station's advice in words with its figures, or null for a code this page does not know. */
  function audioAdvice(m) {
    return WORDS[m.advice] ? WORDS[m.advice] + ' (' + figures(m) + ')' : null;
  }

  /** Run the card: returns {reset(list), update(message), keep(people)}. */
  function meterPanel() {
    const items = new Map(); // participantId -> its <li>

    function render(m) {
      if (!WORDS[m.advice]) return; // the hub checks the code; a newer one this page does not know is skipped
      let li = items.get(m.participantId);
      if (!li) {
        li = el('li', { className: 'audio-item', 'data-participant': m.participantId, 'aria-atomic': 'true' });
        li.append(el('span', { className: 'person-name' }), ' ', el('span', { className: 'audio-advice' }), ' ',
          el('span', { className: 'audio-figures' }));
        items.set(m.participantId, li);
        $('audio-list').append(li);
      }
      li.dataset.advice = m.advice;
      li.querySelector('.person-name').textContent = (m.name || 'A station') + ':';
      li.querySelector('.audio-advice').textContent = WORDS[m.advice];
      li.querySelector('.audio-figures').textContent = '(' + figures(m) + ')';
      $('audio-card').hidden = false;
    }

    function remove(id) {
      const li = items.get(id);
      if (li) li.remove();
      items.delete(id);
      $('audio-card').hidden = items.size === 0;
    }

    return {
      reset(list) {
        const now = new Set(list.map((m) => m.participantId));
        Array.from(items.keys()).filter((id) => !now.has(id)).forEach(remove);
        list.forEach(render);
      },
      update: render,
      keep(people) { // a station that left takes its advice with it
        const here = new Set(people.map((p) => p.id));
        Array.from(items.keys()).filter((id) => !here.has(id)).forEach(remove);
      },
    };
  }

  Object.assign(window.CCC, { meterPanel, audioAdvice });
}());
