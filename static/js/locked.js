/* The password prompt of a private room (also what a code without a room shows: it must not tell which).
 *
 * A link or QR code carries the password in its fragment (#p=...), which browsers never send to the hub:
 * it is posted once to /r/<code>/unlock, which keeps a read grant in the session cookie, and the page
 * reloads as the room's own page. Without a fragment, or with a wrong one, the reader types it here.
 */
(function () {
  'use strict';

  const { $ } = window.CCC;
  const code = document.body.dataset.code;
  const form = $('unlock-form');
  const field = $('room-password');
  const error = $('unlock-error');
  const RELOADED = 'ccc.unlocked.' + code;

  function fail(message) {
    error.textContent = message;
    error.hidden = false;
    field.setAttribute('aria-invalid', 'true');
    field.setAttribute('aria-describedby', 'unlock-error locked-hint');
    field.focus();
  }

  /** Drop an old password from the link's fragment (the room's password changed), keeping the rest (#k=). */
  function forgetLinkPassword(password) {
    const params = new URLSearchParams(window.location.hash.replace(/^#/, ''));
    if (!params.has('p') || params.get('p') === password) return;
    params.delete('p');
    const rest = params.toString();
    window.history.replaceState(null, '', window.location.pathname + window.location.search + (rest ? '#' + rest : ''));
  }

  async function unlock(password) {
    const body = new FormData(form);
    body.set('password', password);
    $('unlock-btn').disabled = true;
    try {
      const response = await fetch(form.action, {
        method: 'POST', body, credentials: 'same-origin', headers: { Accept: 'application/json' },
      });
      const answer = await response.json().catch(() => ({}));
      if (response.ok && answer.ok) {
        window.CCC.keepRoomPassword(code, password); // for the projector's QR code after the reload
        forgetLinkPassword(password);
        window.sessionStorage.setItem(RELOADED, String(Date.now()));
        window.location.reload();
        return;
      }
      fail((answer.error && answer.error.message) || 'That password is not right, or there is no such room.');
    } catch (err) {
      fail('The hub could not be reached. Check the connection and try again.');
    } finally {
      $('unlock-btn').disabled = false;
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!field.value) {
      fail('Enter the room password.');
      return;
    }
    unlock(field.value);
  });

  // Still locked just after a right password: the cookie was not kept; do not reload in a loop.
  const reloaded = Number(window.sessionStorage.getItem(RELOADED) || 0);
  window.sessionStorage.removeItem(RELOADED);
  const fromLink = window.CCC.roomPassword(code, true);
  const relocked = window.sessionStorage.getItem('ccc.locked.' + code);
  window.sessionStorage.removeItem('ccc.locked.' + code);
  if (Date.now() - reloaded < 10000) fail('The password was right, but this browser did not keep the cookie that opens the room. Allow cookies for this site and try again.');
  else if (fromLink) unlock(fromLink);
  else if (relocked) { // the hub shut this page out when the password changed (roomLocked): say so, nothing is wrong yet
    error.textContent = 'This room\'s password has changed. Enter the new one to read on.';
    error.hidden = false;
  }
}());
