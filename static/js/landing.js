/* Landing page: tidy a typed room code (the hub accepts any case and spaces too). */
(function () {
  'use strict';

  const input = document.getElementById('room-code');
  const form = input && input.form;
  if (!form) return;

  form.addEventListener('submit', (event) => {
    const code = input.value.replace(/[\s-]+/g, '').toUpperCase();
    if (!code) {
      event.preventDefault();
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return;
    }
    input.value = code;
  });
}());
