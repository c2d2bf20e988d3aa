/* The language a reader reads a room in: the hub's translations (setLanguage), or in an end-to-end room the
 * translations its station seals inside each caption (e2e.js opens them; the hub never sees them).
 *
 * Needs connection.js (loaded before it): adds these methods to CCC.Connection. The page hears of changes
 * through its handlers: language (the language now read), languages (an e2e room's picker grows) and
 * translated (earlier finals shown again, in place, in the language now read).
 */
(function () {
  'use strict';

  const { Connection, Sealer, languageName } = window.CCC;

  Object.assign(Connection.prototype, {
    /** Return the languages the room offers ([{code, name}]): the hub's, or in an e2e room those its station seals. */
    languages() {
      if (this.sealer) return [...this.sealer.seen].sort().map((code) => ({ code, name: languageName(code) }));
      return (this.room && this.room.languages) || [];
    },

    /** Read finals in ``lang`` from now on ('' : the original); when the hub does not offer it, the original. */
    async setLanguage(lang) {
      this.lang = lang || '';
      if (this.sealer) return this.sealedLanguage();
      if (!this.joined) return this.readingLang;
      const offered = this.lang && this.languages().some((l) => l.code === this.lang);
      if (!offered && !this.readingLang) return '';
      const ack = await this.call('setLanguage', { lang: offered ? this.lang : null }, 8000);
      this.readingLang = ack.ok && ack.lang !== (this.room && this.room.lang) ? ack.lang : '';
      this.call_('language', this.readingLang);
      if (ack.ok) this.retell(ack.captions || []);
      return this.readingLang;
    },

    /** In an e2e room, tell the page when an envelope brought a language it had not seen (the picker grows). */
    noticeLanguages() {
      if (!this.sealer || this.sealer.seen.size === this.seenLanguages) return;
      this.seenLanguages = this.sealer.seen.size;
      if (this.lang && !this.readingLang && this.sealer.seen.has(this.lang)) this.readingLang = this.lang;
      this.call_('languages', this.languages());
      this.call_('language', this.readingLang);
    },

    /** In an e2e room, show every opened caption again in the language wanted, where its envelope has it. */
    sealedLanguage() {
      this.sealer.lang = this.lang;
      this.readingLang = this.sealer.seen.has(this.lang) ? this.lang : '';
      const changed = [];
      for (const caption of this.store.order) {
        if (typeof caption.spokenText !== 'string') continue;
        const before = caption.text;
        Sealer.show(caption, this.lang);
        if (caption.text !== before) changed.push(caption);
      }
      this.call_('language', this.readingLang);
      if (changed.length) this.call_('translated', changed);
      return this.readingLang;
    },

    /** Show the earlier finals in the language now read: the recent ones the hub sent, the rest as spoken. */
    retell(captions) {
      const changed = new Set();
      for (const c of captions) {
        const caption = this.store.retell(c);
        if (caption) changed.add(caption);
      }
      for (const caption of this.store.order) {
        if (changed.has(caption) || !caption.machineTranslated) continue;
        if (caption.lang === this.readingLang) continue; // older than the hub's answer, already in this language
        caption.text = caption.originalText; // older still: back to the words as spoken, not another language
        caption.lang = this.room && this.room.lang;
        caption.machineTranslated = false;
        changed.add(caption);
      }
      if (changed.size) this.call_('translated', [...changed]);
    },
  });
})();
