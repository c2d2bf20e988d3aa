/* Captions as a page knows and shows them: the store (finals by seq, live partials by speaker), caption lines that
 * turn from partial to final in place, corrections, and the one-line editor that makes them.
 *
 * Needs ccc.js. Adds CCC.CaptionStore, CCC.setCaptionText, CCC.captionLines, CCC.translationOptions,
 * CCC.announce and CCC.editCaption. Caption text only ever reaches the page through textContent.
 */
(function () {
  'use strict';

  const { el, showError } = window.CCC;

  class CaptionStore {
    constructor() {
      this.finals = new Map(); // utteranceId -> caption
      this.seqs = new Set();
      this.order = []; // finals, ascending seq
      this.partials = new Map(); // speakerId -> partial caption
      this.lastSeq = 0;
      this.lastRev = 0;
    }

    /** Add a final; return false for one already known (same seq or utteranceId). */
    addFinal(c) {
      if (this.finals.has(c.utteranceId) || (c.seq != null && this.seqs.has(c.seq))) return false;
      const caption = Object.assign({ rev: 0 }, c, { isFinal: true });
      this.finals.set(caption.utteranceId, caption);
      if (caption.seq != null) this.seqs.add(caption.seq);
      let i = this.order.length;
      while (i > 0 && this.order[i - 1].seq > caption.seq) i -= 1;
      this.order.splice(i, 0, caption);
      for (const [speaker, partial] of this.partials) {
        if (partial.utteranceId === caption.utteranceId) this.partials.delete(speaker);
      }
      this.lastSeq = Math.max(this.lastSeq, caption.seq || 0);
      return true;
    }

    /** Keep a speaker's live partial, unless its final is already here. */
    addPartial(c) {
      if (this.finals.has(c.utteranceId)) return false;
      this.partials.set(c.speakerId, Object.assign({}, c, { isFinal: false }));
      return true;
    }

    /** Apply a captionEdited payload; return the changed caption or null. */
    applyEdit(e) {
      this.lastRev = Math.max(this.lastRev, e.rev || 0);
      const caption = this.finals.get(e.utteranceId);
      if (!caption || (e.rev || 0) <= (caption.rev || 0)) return null;
      caption.text = e.text;
      caption.unreadable = e.unreadable || null; // an e2e correction that did not open
      caption.lang = e.lang; // a correction in the reader's language carries its original too
      caption.originalText = e.originalText;
      caption.machineTranslated = e.machineTranslated;
      caption.rev = e.rev;
      caption.edited = true;
      return caption;
    }

    /** Note that all finals and edits up to a state's or a last page's ``lastSeq`` and ``lastRev`` are here. */
    reached(page) {
      this.lastSeq = Math.max(this.lastSeq, page.lastSeq || 0);
      this.lastRev = Math.max(this.lastRev, page.lastRev || 0);
    }

    /** Take the finals and edits of a roomState or catchUp page; return the captions added and those edited. */
    merge(page) {
      const added = [];
      for (const c of page.captions || []) if (this.addFinal(c)) added.push(this.finals.get(c.utteranceId));
      const edited = [];
      for (const e of page.edits || []) {
        const c = this.applyEdit(e);
        if (c) edited.push(c);
      }
      return { added, edited };
    }

    /** Show a known final in the language a setLanguage answer gives it in; return it, or null (unknown, outdated). */
    retell(c) {
      const caption = this.finals.get(c.utteranceId);
      if (!caption || (c.rev || 0) < (caption.rev || 0)) return null;
      caption.text = c.text;
      caption.lang = c.lang;
      caption.originalText = c.originalText;
      caption.machineTranslated = c.machineTranslated;
      return caption;
    }

    dropPartial(speakerId, utteranceId) {
      const partial = this.partials.get(speakerId);
      if (partial && (!utteranceId || partial.utteranceId === utteranceId)) {
        this.partials.delete(speakerId);
        return true;
      }
      return false;
    }
  }

  /** Put a caption's text into its element, marked when it is an e2e caption that did not open. */
  function setCaptionText(node, c) {
    if (node.textContent !== c.text) node.textContent = c.text;
    if (c.unreadable) node.dataset.unreadable = c.unreadable;
    else delete node.dataset.unreadable;
  }

  /**
   * Caption lines in ``container`` (the projector's and the overlay's): one element per utterance, kept in
   * place as a partial becomes its final. Returns ``show(wanted)``, which makes the container hold exactly
   * these captions, in order, after its first ``skip`` children; ``speakerLabel(c)`` names the speaker where
   * the speaker changes ('' shows no name).
   */
  function captionLines(container, { skip = 0, speakerLabel, bilingual = false }) {
    const nodes = new Map(); // utteranceId -> line element

    function lineFor(c) {
      let node = nodes.get(c.utteranceId);
      if (!node) {
        node = el('p', { className: 'line', 'data-utterance': c.utteranceId });
        node.append(el('span', { className: 'who' }), el('span', { className: 'text' }));
        nodes.set(c.utteranceId, node);
      }
      node.dataset.state = c.isFinal ? 'final' : 'partial';
      const text = node.querySelector('.text');
      setCaptionText(text, c);
      if (c.machineTranslated) text.lang = c.lang;
      else text.removeAttribute('lang');
      let original = node.querySelector('.original');
      const showOriginal = bilingual && c.machineTranslated && typeof c.originalText === 'string';
      if (showOriginal && !original) {
        original = el('span', { className: 'original' });
        node.append(original);
      }
      if (showOriginal) {
        if (original.textContent !== c.originalText) original.textContent = c.originalText;
        original.lang = (c.originalLang || 'en');
      } else if (original) {
        original.remove();
      }
      node.dataset.translated = c.machineTranslated ? 'true' : 'false';
      return node;
    }

    return function show(wanted) {
      const keep = new Set(wanted.map((c) => c.utteranceId));
      for (const [id, node] of nodes) {
        if (!keep.has(id)) {
          node.remove();
          nodes.delete(id);
        }
      }
      let previousSpeaker = null;
      wanted.forEach((c, i) => {
        const node = lineFor(c);
        const who = node.querySelector('.who');
        const label = c.speakerId !== previousSpeaker ? speakerLabel(c) : '';
        if (who.textContent !== label) who.textContent = label;
        who.hidden = !label;
        previousSpeaker = c.speakerId;
        const slot = container.children[i + skip] || null;
        if (node !== slot) container.insertBefore(node, slot);
      });
    };
  }

  /** Return the language a projector or overlay was asked for (``?lang=pt``, checked) and ``&bilingual=1``. */
  function translationOptions() {
    const params = new URLSearchParams(window.location.search);
    const lang = (params.get('lang') || '').trim();
    return {
      lang: /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$/.test(lang) ? lang : '',
      bilingual: ['1', 'yes', 'on', 'true'].includes((params.get('bilingual') || '').toLowerCase()),
    };
  }

  /** Say a final in an aria-live ``announcer`` ("Speaker: text", the name where the speaker changes); keep five. */
  function announce(announcer, c) {
    const said = (c.speakerId !== announcer.dataset.lastSpeaker ? (c.speakerName || 'Speaker') + ': ' : '') + c.text;
    announcer.dataset.lastSpeaker = c.speakerId;
    announcer.append(el('p', null, said));
    while (announcer.childElementCount > 5) announcer.firstElementChild.remove();
  }

  /**
   * Open a one-line editor of a caption's ``text``: ``mount(form)`` puts it in the page. Save sends the trimmed
   * text through ``save(text)``, which resolves with the hub's ack; a refusal is shown in place, and the text
   * stays. ``close(saved)`` takes the editor away: after a save (true), Cancel or Escape (false).
   */
  function editCaption({ text, mount, save, close, id = null, className = 'edit-form' }) {
    const form = el('form', { className });
    const field = el('input', { id, type: 'text', maxlength: 2000, className: 'edit-text',
      'aria-label': 'Corrected text' });
    field.value = text;
    const saveButton = el('button', { type: 'submit', className: 'btn btn-small btn-primary' }, 'Save');
    const cancel = el('button', { type: 'button', className: 'btn btn-small' }, 'Cancel');
    const error = el('p', { className: 'form-error', role: 'alert', hidden: true });
    form.append(field, saveButton, cancel, error);
    mount(form);
    field.focus();
    field.select();
    cancel.addEventListener('click', () => close(false));
    field.addEventListener('keydown', (event) => { if (event.key === 'Escape') close(false); });
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const corrected = field.value.trim();
      if (!corrected) return;
      saveButton.disabled = true;
      const ack = await save(corrected);
      saveButton.disabled = false;
      if (ack.ok) close(true);
      else showError(error, (ack.error && ack.error.message) || 'The correction was not saved.');
    });
    return form;
  }

  Object.assign(window.CCC, { CaptionStore, setCaptionText, captionLines, translationOptions, announce, editCaption });
}());
