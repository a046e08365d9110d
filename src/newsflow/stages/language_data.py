"""Read-only data for the language stage: which codes we emit and how detector labels map onto them.

Kept apart from the logic in :mod:`newsflow.stages.language` (STYLE.md habit 7).
"""

from __future__ import annotations

# The 75 languages of the lingua test set, by ISO 639-1 code. These are the
# languages the stage is evaluated on (benchmarks/langid.py) and the only ones
# the short-text detector (lingua) knows.
# fmt: off
CORE_LANGUAGES: frozenset[str] = frozenset(
    {
        "af", "ar", "az", "be", "bg", "bn", "bs", "ca", "cs", "cy", "da", "de", "el", "en", "eo",
        "es", "et", "eu", "fa", "fi", "fr", "ga", "gu", "he", "hi", "hr", "hu", "hy", "id", "is",
        "it", "ja", "ka", "kk", "ko", "la", "lg", "lt", "lv", "mi", "mk", "mn", "mr", "ms", "nb",
        "nl", "nn", "pa", "pl", "pt", "ro", "ru", "sk", "sl", "sn", "so", "sq", "sr", "st", "sv",
        "sw", "ta", "te", "th", "tl", "tr", "ts", "tn", "uk", "ur", "vi", "xh", "yo", "zh", "zu",
    }
)
# fmt: on

# Languages fastText's lid.176 knows that are outside the core set but written
# in a script no core language uses, so emitting them cannot steal a core
# language's text. Other fastText-only labels (gl, jv, oc, ...) are dropped and
# their probability mass goes to the core languages, because they are mostly
# confused with a close core neighbour (es, id, ca, ...).
EXTRA_SCRIPT_LANGUAGES: frozenset[str] = frozenset({"am", "bo", "dv", "km", "kn", "lo", "ml", "my", "or", "si"})

SUPPORTED_LANGUAGES: frozenset[str] = CORE_LANGUAGES | EXTRA_SCRIPT_LANGUAGES

# fastText lid.176 label -> code we emit. Everything not listed maps to itself.
#   no  -> nb : lid.176 has "no" (Norwegian, mostly Bokmål text) and "nn"; the
#               test set and ISO 639-1 use nb/nn.
#   sh  -> hr : lid.176's Serbo-Croatian (Latin script) label; its training text
#               is mostly Croatian. bs/sr are told apart by the short-text
#               detector when fastText is unsure (see CONFUSABLE below).
#   arz -> ar : Egyptian Arabic is written and read as Arabic.
#   wuu -> zh : Wu Chinese in Han characters.
# Dropped (mass goes to the core languages): azb (South Azerbaijani, Arabic
# script, while the core az is Latin-script), and all other non-ISO-639-1 labels.
FASTTEXT_CODE_MAP: dict[str, str] = {
    "no": "nb",
    "sh": "hr",
    "arz": "ar",
    "wuu": "zh",
}

# Core languages lid.176 has no label for at all. When fastText's best core
# guess is weak, text in one of these can only be found by lingua.
NOT_IN_FASTTEXT: frozenset[str] = frozenset({"lg", "mi", "sn", "st", "tn", "ts", "xh", "zu"})

# Codes producers use for ``declared_language`` that are not the ones we emit.
DECLARED_CODE_MAP: dict[str, str] = {"no": "nb", "iw": "he", "in": "id", "tgl": "tl", "fil": "tl"}

# CLD2 and py3langid labels -> codes we emit: the legacy codes producers also use, plus
# CLD2's "zh-Hant" (traditional Chinese) and "sh" (Serbo-Croatian, as for fastText).
VOTER_CODE_MAP: dict[str, str] = DECLARED_CODE_MAP | {"zh-Hant": "zh", "sh": "hr"}


def _markers(groups: dict[str, str]) -> dict[str, frozenset[str]]:
    """``{"nb da": "ikke jeg"}`` -> ``{"nb": {...}, "da": {...}}``: a word may mark several members."""
    out: dict[str, set[str]] = {}
    for members, words in groups.items():
        for member in members.split():
            out.setdefault(member, set()).update(words.split())
    return {member: frozenset(words) for member, words in out.items()}


# Marker words: common words one written standard uses and its near-twin does
# not (spelling or vocabulary), from standard grammars and dictionaries, not
# from the evaluation data. Keys list every member that uses the words. Only
# consulted when the detectors' winner is in one of these groups, and only to
# move probability mass inside the group.
MARKERS: dict[str, frozenset[str]] = _markers(
    {
        # Malay (Malaysia) vs Indonesian.
        "ms": """
            kerana daripada ialah iaitu sahaja bahawa selepas bilangan manakala kerajaan boleh wang
            polis hospital universiti kualiti aktiviti komuniti kapasiti sekiranya berkenaan kenyataan
            pejabat kenderaan jabatan mahu pelbagai semasa tempoh baharu percuma cuba kereta telefon
            televisyen filem muzik kaedah projek kempen antarabangsa tentera amat lelaki perempuan
            mesyuarat syarikat setiausaha kakitangan perniagaan
            """,
        "id": """
            karena bisa pemerintah saja uang kantor bahwa kendaraan yaitu setelah sesudah polisi
            universitas kualitas aktivitas komunitas kapasitas proyek telepon musik mobil coba gratis
            berbagai tentara internasional nggak harus agar sedangkan provinsi kabupaten kecamatan
            banget anda perusahaan sekretaris karyawan rapat
            """,
        # Bosnian vs Croatian vs Serbian in Latin script (Cyrillic text is Serbian by script).
        "bs": "historija historije historiji historijski hljeb",
        "bs sr": """
            ko šta hiljada hiljade hiljadu sedmica sedmice univerzitet univerziteta fudbal fudbalski
            avion porodica porodice porodici muzika muzike januar januara februar februara mart marta
            april aprila maj maja juni juna juli jula septembar septembra oktobar oktobra novembar
            novembra decembar decembra hemija hemijski tačno tačka vazduh voz voza pozorište nauka
            nauke naučni tokom učestvovati učešće kafa saradnja saradnje evropa evropske evropski
            evropskoj
            """,
        "bs hr": """
            vrijeme vremena mjesto mjesta svijet svijeta uvijek također djeca djece riječ riječi
            lijepo poslije vidjeti rijeka rijeke dijete vijek mlijeko
            """,
        "hr": """
            tko tisuća tisuće tisuću povijest povijesti povijesni tjedan tjedna tjednu sveučilište
            sveučilišta nogomet nogometni zrakoplov obitelj obitelji glazba glazbe glazbeni siječanj
            siječnja veljača veljače ožujak ožujka travanj travnja svibanj svibnja lipanj lipnja srpanj
            srpnja kolovoz kolovoza rujan rujna listopad listopada studeni studenoga prosinac prosinca
            kemija kemijski točno točka zrak kruh vlak vlaka tvrtka tvrtke kazalište znanost znanosti
            znanstveni izvješće tijekom sudjelovati sudjelovanje kava suradnja suradnje europa
            europske europski europskoj primjerice momčad
            """,
        "sr": """
            vreme mesto mesta svet sveta uvek takođe deca dece reč reči lepo posle videti opština
            opštine hleb nedelja verovatno mleko vek veka reka reke dete istorija istorije
            """,
        # Norwegian Bokmål vs Nynorsk vs Danish.
        "nb": "hva noe noen mye mer ble fikk sier gjør nå uten øye",
        "nb da": "hvorfor hvem hver disse derfor flere selv ikke jeg hun bare hele fra være",
        "nb nn": "etter av mellom gjennom mot ut spørsmål tjue informasjon",
        "nn": """
            ikkje eg ein eit dei kva korleis frå heile ho berre noko nokon nokre mykje vere vore fekk
            òg vart vert hjå saman medan sjølv kvar kven kvifor desse difor fleire enno elles seier
            gjer meir gong stad staden då
            """,
        "da": """
            af efter blev fik meget noget nogen nogle hvad nu mellem gennem mod ud uden siger gør
            købe tyve spørgsmål øje øjeblik information
            """,
    }
)

# Code -> the group it is confused with (itself included).
CONFUSABLE_GROUPS: dict[str, tuple[str, ...]] = {
    code: group for group in (("ms", "id"), ("bs", "hr", "sr"), ("nb", "nn", "da")) for code in group
}
