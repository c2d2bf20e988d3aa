"""Language names as readers know them ("Português", not "Portuguese"), for the language picker and the CLI."""
from __future__ import annotations

# Endonyms of the languages Mozilla publishes Firefox Translations models for (and a few more); a code not
# here falls back to fxtranslate's English name, then to the code itself.
ENDONYMS = {
    "ar": "العربية", "az": "Azərbaycan", "be": "Беларуская", "bg": "Български", "bn": "বাংলা", "bs": "Bosanski",
    "ca": "Català", "cs": "Čeština", "da": "Dansk", "de": "Deutsch", "el": "Ελληνικά", "en": "English",
    "es": "Español", "et": "Eesti", "fa": "فارسی", "fi": "Suomi", "fr": "Français", "gu": "ગુજરાતી",
    "he": "עברית", "hi": "हिन्दी", "hr": "Hrvatski", "hu": "Magyar", "id": "Bahasa Indonesia", "is": "Íslenska",
    "it": "Italiano", "ja": "日本語", "kn": "ಕನ್ನಡ", "ko": "한국어", "lt": "Lietuvių", "lv": "Latviešu",
    "ml": "മലയാളം", "ms": "Bahasa Melayu", "mt": "Malti", "nb": "Norsk bokmål", "nl": "Nederlands",
    "nn": "Norsk nynorsk", "pl": "Polski", "pt": "Português", "ro": "Română", "ru": "Русский", "sk": "Slovenčina",
    "sl": "Slovenščina", "sq": "Shqip", "sr": "Српски", "sv": "Svenska", "ta": "தமிழ்", "te": "తెలుగు",
    "th": "ไทย", "tr": "Türkçe", "uk": "Українська", "vi": "Tiếng Việt", "zh": "中文",
}


def name(code: str) -> str:
    """Return the name of a language in that language, e.g. 'Português' for 'pt'."""
    if code in ENDONYMS:
        return ENDONYMS[code]
    from fxtranslate.cli.lang import NAMES  # noqa: PLC0415 - only for the rarer codes

    return NAMES.get(code, code)
