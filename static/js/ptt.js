/* The presenter console's push-to-talk key, as a foot pedal or a clicker would press it: hold it while speaking
 * (or press it once to take the floor and again to release it). It never steals a key typed into a field. The
 * key and the mode are chosen on the page and remembered with the console's settings.
 *
 * Needs ccc.js. Adds CCC.pushToTalk.
 */
(function () {
  'use strict';

  const { $, saveSettings } = window.CCC;
  const FIELD = 'input, textarea, select, button, a, summary, [contenteditable="true"]';

  /** Return a key's code as people name it ("Space", "F8", "B"). */
  function keyLabel(code) {
    if (code === 'Space') return 'Space';
    return code.replace(/^Key/, '').replace(/^Digit/, '');
  }

  function inField(target) {
    return Boolean(target && target.closest && target.closest(FIELD));
  }

  /**
   * Take the floor with the key in ``settings`` (``settings.key``, ``settings.mode``: hold or toggle) through
   * ``floor``: {holding(), take() resolving with whether the floor is held, release(), idle() true while the
   * console is not shown}.
   */
  function pushToTalk(settings, floor) {
    let keyHeld = false; // the floor was taken by holding the key
    let typedKeyInField = false;
    let capturingKey = false;

    function showKey() {
      const key = keyLabel(settings.key);
      $('key-name').textContent = key;
      $('key-hint').textContent = settings.mode === 'hold'
        ? 'Or hold ' + key + ' while you speak (when the cursor is not in a text box).'
        : 'Or press ' + key + ' to take the floor and again to release it.';
    }

    document.addEventListener('keydown', (event) => {
      if (capturingKey) return;
      if (event.code !== settings.key || event.ctrlKey || event.metaKey || event.altKey) return;
      if (inField(event.target) || floor.idle()) {
        typedKeyInField = true;
        return;
      }
      event.preventDefault();
      if (event.repeat) return;
      if (settings.mode === 'toggle') {
        if (floor.holding()) floor.release();
        else floor.take();
      } else {
        keyHeld = true;
        floor.take().then((got) => {
          if (got && !keyHeld) floor.release(); // the key came up before the hub answered
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
        floor.release();
      }
    });

    window.addEventListener('blur', () => { // a key released in another window would leave the floor held
      if (keyHeld) {
        keyHeld = false;
        floor.release();
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
      // The key being chosen is not a press: without this the listener above saw it too, once the disabled
      // "Change key" button had lost focus, and took the floor.
      event.stopPropagation();
      if (event.code !== 'Escape' && event.code !== 'Tab' && event.code) {
        settings.key = event.code;
        saveSettings('present', settings);
      }
      capturingKey = false;
      $('key-capture').hidden = true;
      $('key-change').disabled = false;
      $('key-change').focus();
      showKey();
    }, true);

    for (const radio of document.querySelectorAll('input[name="mode"]')) {
      radio.checked = radio.value === settings.mode;
      radio.addEventListener('change', () => {
        settings.mode = radio.value;
        saveSettings('present', settings);
        showKey();
      });
    }
    showKey();
  }

  Object.assign(window.CCC, { pushToTalk });
}());
