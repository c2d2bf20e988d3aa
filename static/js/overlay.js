/* Caption overlay: the last few lines, live partials and finals, on a transparent or chroma-key page.
 *
 * Joins as a reader (role "audience", no name), so it never takes the projector's place. The options on <body>
 * were validated by the hub (ccc/hub/overlay.py); they are checked again here before reaching the CSSOM.
 */
(function () {
  'use strict';

  const { $ } = window.CCC;
  const root = document.documentElement;
  const d = document.body.dataset;
  const HEX = /^#[0-9a-f]{6}$/;

  function int(value, low, high, fallback) {
    const n = Number(value);
    return Number.isFinite(n) ? Math.min(Math.max(Math.round(n), low), high) : fallback;
  }

  const options = {
    lines: int(d.lines, 1, 10, 2),
    size: int(d.size, 12, 200, 48),
    color: HEX.test(d.color) ? d.color : '#ffffff',
    bg: HEX.test(d.bg) ? d.bg : 'none',
    bgopacity: int(d.bgopacity, 0, 100, 75),
    chroma: HEX.test(d.chroma) ? d.chroma : 'none',
    names: d.names !== 'false',
  };

  function rgba(hex, percent) {
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
    return 'rgb(' + r + ' ' + g + ' ' + b + ' / ' + (percent / 100) + ')';
  }

  root.style.setProperty('--ov-size', options.size + 'px');
  root.style.setProperty('--ov-lines', String(options.lines));
  root.style.setProperty('--ov-color', options.color);
  root.dataset.bg = options.bg === 'none' || options.bgopacity === 0 ? 'none' : 'box';
  if (options.bg !== 'none') root.style.setProperty('--ov-bg', rgba(options.bg, options.bgopacity));
  root.dataset.chroma = options.chroma === 'none' ? 'none' : 'on';
  if (options.chroma !== 'none') root.style.setProperty('--ov-chroma', options.chroma);

  // ---- Captions: the last N lines, reconciled once per animation frame ---------------------------------

  const lines = $('lines');
  const announcer = $('announcer');
  const translation = window.CCC.translationOptions(); // &lang=pt (&bilingual=1: the original under it)
  const showLines = window.CCC.captionLines(lines, {
    bilingual: translation.bilingual,
    speakerLabel: (c) => (options.names ? (c.speakerName || 'Speaker') + ': ' : ''),
  });

  const render = window.CCC.perFrame(() => {
    const store = conn.store;
    const wanted = store.order.slice(-options.lines).concat(Array.from(store.partials.values())).slice(-options.lines);
    showLines(wanted);
    lines.hidden = wanted.length === 0; // nothing at all on screen (no empty box) until someone speaks
  });

  const conn = new window.CCC.RoomConnection({
    code: d.code,
    role: 'audience',
    name: '',
    lang: translation.lang,
    handlers: {
      state: render,
      caption(c) {
        window.CCC.announce(announcer, c);
        render();
      },
      partial: render,
      edit: render,
      translated: render,
      status(status) {
        root.dataset.status = status;
      },
    },
  });

  render();
  window.CCC.overlay = conn;
  conn.start();
}());
