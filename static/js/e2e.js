/* End-to-end encrypted rooms (docs/security.md): the room key, and captions sealed and opened in this page.
 *
 * Loaded on every page that joins a room, whatever the hub says of the room: the key in the link's fragment
 * (#k=), which the hub never sees, decides. Adds CCC.Sealer.
 */
(function () {
  'use strict';

  const { el, $, storage, roomConfig, banner } = window.CCC;

  /* The room key lives in the link's fragment (#k=KEY), which browsers never send to the hub; this page keeps
   * it in memory and in sessionStorage (this tab only). Captions arrive as "e2e1.<base64url(nonce||ciphertext)>"
   * sealed with AES-256-GCM over the associated data "ccc-e2e-v1|CODE|utteranceId"; they are opened here,
   * before any page shows them. One that does not open is shown as "unreadable caption", never as garbage.
   * WebCrypto does the AES-GCM where the page is a secure context; elsewhere (plain http:// on a LAN address)
   * the vendored @noble/ciphers (static/vendor/noble-ciphers, window.CCCAesGcm) does, with the same bytes. */
  const E2E_PREFIX = 'e2e1.';
  const E2E_TEXT = { nokey: 'encrypted caption', unreadable: 'unreadable caption', unsealed: 'not from this room' };

  function fromB64url(text) {
    const b64 = text.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((text.length + 3) % 4);
    const bin = window.atob(b64);
    return Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
  }

  function toB64url(bytes) {
    let bin = '';
    for (const b of bytes) bin += String.fromCharCode(b);
    return window.btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function hashParam(name) {
    const hash = window.location.hash.replace(/^#/, '');
    try {
      return new URLSearchParams(hash).get(name);
    } catch (err) {
      return null;
    }
  }

  const LANG_CODE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$/;

  /** Return a language's name in itself ("pt" -> "Português"), or its code where the browser has no name. */
  function languageName(code) {
    try {
      const name = new Intl.DisplayNames([code], { type: 'language' }).of(code);
      return name ? name.charAt(0).toLocaleUpperCase(code) + name.slice(1) : code;
    } catch (err) {
      return code;
    }
  }

  class Sealer {
    /** Return a new room key: 256 random bits as base64url (43 characters), as ccc/e2e.py makes them. */
    static newKey() {
      return toB64url(crypto.getRandomValues(new Uint8Array(32)));
    }

    /** Return the sealer of this page's room, or null for a room that is not end-to-end encrypted. */
    static forPage(code) {
      const fromLink = hashParam('k');
      if (!roomConfig().e2e && !fromLink) return null;
      const store = storage('session');
      const keyName = 'ccc.e2e.' + code;
      if (fromLink && store) store.setItem(keyName, fromLink);
      return new Sealer(code, fromLink || (store && store.getItem(keyName)) || null);
    }

    constructor(code, keyText) {
      this.code = code;
      this.opened = 0;
      this.failed = 0;
      this.keyText = keyText && /^[A-Za-z0-9_-]{43}$/.test(keyText) ? keyText : null;
      this.key = this.importKey(keyText);
      this.lang = ''; // the language the reader wants: a station's --translate seals translations with the text
      this.seen = new Set(); // the languages opened envelopes carried
      this.queue = Promise.resolve(); // opening and sealing, one after the other in arrival order
    }

    /** Run ``then`` once ``thing`` (a caption, an edit, a state or page) is opened, after all that came before. */
    openInOrder(thing, then) {
      const done = this.queue.then(() => this.openAll(thing)).then(then, then);
      // A page bug in one ``then`` must not stop every later caption from opening: the queue goes on.
      this.queue = done.catch((err) => { console.error('CCC: showing an opened caption failed', err); });
      return this.queue;
    }

    /** Resolve with ``text`` sealed, after all that came before (a partial never overtakes its final). */
    sealInOrder(utteranceId, text) {
      const sealed = this.queue.then(() => this.seal(utteranceId, text));
      this.queue = sealed.catch(() => null);
      return sealed;
    }

    /** Show an opened caption in ``lang`` when its envelope carries that translation, else as spoken. */
    static show(item, lang) {
      const translated = lang && item.translations ? item.translations[lang] : null;
      if (typeof translated === 'string' && translated) {
        item.text = translated;
        item.originalText = item.spokenText;
        item.lang = lang;
        item.machineTranslated = true;
      } else {
        item.text = item.spokenText;
        item.originalText = undefined;
        item.lang = undefined;
        item.machineTranslated = false;
      }
    }

    /** Return the room key as {subtle} (WebCrypto) or {raw} (the vendored AES-GCM), or null after saying why not. */
    async importKey(keyText) {
      if (!keyText) return this.problem('nokey');
      if (!/^[A-Za-z0-9_-]{43}$/.test(keyText)) return this.problem('badkey');
      const raw = fromB64url(keyText);
      if (window.crypto && window.crypto.subtle) {
        try {
          return { subtle: await crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']) };
        } catch (err) {
          return this.problem('badkey');
        }
      }
      // Plain http:// on a LAN address is not a secure context: no crypto.subtle, but getRandomValues works.
      if (window.CCCAesGcm && window.crypto && typeof crypto.getRandomValues === 'function') return { raw };
      return this.problem('nocrypto');
    }

    /** Return AES-256-GCM ciphertext||tag of ``plain`` (the same bytes WebCrypto and ccc/e2e.py make). */
    static async encrypt(key, nonce, ad, plain) {
      if (key.subtle) {
        return new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData: ad },
          key.subtle, plain));
      }
      return window.CCCAesGcm.gcm(key.raw, nonce, ad).encrypt(plain);
    }

    /** Return the plaintext of ciphertext||tag; throws when it does not open. */
    static async decrypt(key, nonce, ad, body) {
      if (key.subtle) {
        return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: nonce, additionalData: ad },
          key.subtle, body));
      }
      return window.CCCAesGcm.gcm(key.raw, nonce, ad).decrypt(body);
    }

    problem(kind) {
      showE2EProblem(kind);
      return null;
    }

    ad(utteranceId) {
      return new TextEncoder().encode('ccc-e2e-v1|' + this.code + '|' + utteranceId);
    }

    /** Return the plaintext {text, words?} of one envelope, or null when it does not open. */
    async open(utteranceId, envelope) {
      const key = await this.key;
      if (!key || typeof envelope !== 'string' || !envelope.startsWith(E2E_PREFIX)) return null;
      try {
        const raw = fromB64url(envelope.slice(E2E_PREFIX.length));
        const plain = await Sealer.decrypt(key, raw.slice(0, 12), this.ad(utteranceId), raw.slice(12));
        const data = JSON.parse(new TextDecoder().decode(plain));
        return data && typeof data.text === 'string' ? data : null;
      } catch (err) {
        return null;
      }
    }

    /** Seal a caption's text (the presenter console's) for this room and utterance. */
    async seal(utteranceId, text) {
      const key = await this.key;
      if (!key) throw new Error('no room key');
      const nonce = crypto.getRandomValues(new Uint8Array(12));
      const body = await Sealer.encrypt(key, nonce, this.ad(utteranceId), new TextEncoder().encode(JSON.stringify({ text })));
      const out = new Uint8Array(12 + body.byteLength);
      out.set(nonce);
      out.set(body, 12);
      return E2E_PREFIX + toB64url(out);
    }

    /** Open, in place, a caption, an edit, or every caption and edit of a roomState or catchUp page. */
    async openAll(thing) {
      if (!thing) return;
      const items = Array.isArray(thing.captions) || Array.isArray(thing.edits)
        ? (thing.captions || []).concat(thing.edits || []) : [thing];
      for (const item of items) await this.openOne(item);
    }

    async openOne(item) {
      if (typeof item.text !== 'string' || !item.text) return;
      if (!item.text.startsWith(E2E_PREFIX)) {
        // Nobody in the room wrote it: only the room key seals, and the hub never has it (a changed hub, or
        // its database edited, could store words of its own). Never shown as if someone said it.
        item.text = E2E_TEXT.unsealed;
        item.unreadable = 'unsealed';
        return;
      }
      const key = await this.key;
      const plain = key ? await this.open(item.utteranceId, item.text) : null;
      if (plain) {
        item.spokenText = plain.text;
        item.translations = null;
        if (plain.translations && typeof plain.translations === 'object') {
          item.translations = {};
          for (const [code, text] of Object.entries(plain.translations)) {
            if (!LANG_CODE.test(code) || typeof text !== 'string') continue;
            item.translations[code] = text;
            this.seen.add(code);
          }
        }
        Sealer.show(item, this.lang);
        if (Array.isArray(plain.words)) item.words = plain.words;
        item.unreadable = null;
        this.opened += 1;
        hideE2EProblem('wrongkey');
      } else {
        item.text = key ? E2E_TEXT.unreadable : E2E_TEXT.nokey;
        item.unreadable = key ? 'unreadable' : 'nokey';
        if (key) {
          this.failed += 1;
          if (!this.opened) showE2EProblem('wrongkey'); // nothing opened at all: the key is not this room's
        }
      }
    }
  }

  const E2E_PROBLEMS = {
    nokey: ['This room is end-to-end encrypted, and this link has no key.',
      'Captions cannot be shown. Open the room\'s full link (it ends with #k=…) from the room\'s QR code or its organiser.'],
    badkey: ['The key in this link is not a valid room key.',
      'Captions cannot be shown. Check that the whole link was copied, up to its last character.'],
    wrongkey: ['The key in this link does not open this room\'s captions.',
      'It is the wrong key, perhaps another room\'s. Ask for this room\'s link again.'],
    nocrypto: ['This browser cannot decrypt the captions of this encrypted room here.',
      'This browser has neither WebCrypto nor a random number source here. Try a current browser, or an https link.'],
  };

  /** Say plainly (role=alert) why an encrypted room's captions cannot be read on this page. */
  function showE2EProblem(kind) {
    const problem = banner('e2e-problem', 'room-closed e2e-problem');
    const [title, detail] = E2E_PROBLEMS[kind];
    problem.dataset.kind = kind;
    problem.replaceChildren(el('strong', null, title), document.createTextNode(' '), el('span', null, detail));
  }

  function hideE2EProblem(kind) {
    const shown = $('e2e-problem');
    if (shown && shown.dataset.kind === kind) shown.remove();
  }

  window.CCC.Sealer = Sealer;
  window.CCC.languageName = languageName;
}());
