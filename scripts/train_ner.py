#!/usr/bin/env python
"""Train the shipped NER tagger from the permissively licensed sets in ner-train/.

    /work/venv/bin/python scripts/train_ner.py            # train, write model + checksum, score Europarl
    /work/venv/bin/python scripts/train_ner.py --dry-run  # data statistics only

Reads ONLY ``<data>/ner-train/`` (default ``../shared/data`` from the repo
root, or ``$NEWSFLOW_DATA``). Europarl (no formal licence) is never trained on:
it is the development set printed at the end. Writes
``src/newsflow/stages/entities/model/ner_tagger.npz`` and ``.sha256``.
Needs scikit-learn and ``names`` (training only; prediction needs numpy alone). Fixed
seed, single thread, byte-identical output on re-run; ~2 minutes on a quiet
core. See docs/ner-training.md.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.resources
import io
import os
import re
import sys
import time
import warnings
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from newsflow.stages.entities.tagger import (
    BOS,
    EOS,
    MAX_SENTENCE_TOKENS,
    MODEL_FILE,
    N_SLOTS,
    SENTENCE_END,
    SLOT_CUR,
    SLOT_INIT,
    SLOT_M1,
    SLOT_M2,
    SLOT_P1,
    SLOT_P2,
    TAGS,
    Lexicon,
    PerceptronTagger,
    lang_group,
    stack_features,
    word_feature_hashes,
)
from newsflow.stages.entities.tokenize import Token, token_spans

SEED = 20141
# First stage: hidden units, passes over the data, and the pruning cut-off for
# an embedding row (its largest |value|); chosen on a development run without
# the PUD sets, scored on them (docs/ner-training.md).
HIDDEN = 32
NET_EPOCHS = 3
NET_MIN_WEIGHT = 0.05
REPO = Path(__file__).resolve().parents[1]
MODEL_DIR = REPO / "src" / "newsflow" / "stages" / "entities" / "model"
TYPES = ("PER", "ORG", "LOC", "MISC")

Sentence = tuple[list[str], list[str]]

GAZETTEER = REPO / "src" / "newsflow" / "stages" / "entities" / "data" / "gazetteer.json.gz"
# Kinds of gazetteer place that a bare one-word mention usually means
# (countries and regions, not the many small towns named like words).
BIG_PLACE_KINDS = frozenset({"country", "continent", "region", "state", "province"})
BIG_CITY_POPULATION = 500_000
# Census surnames kept: the rarest ones are mostly ordinary words.
SURNAMES_KEPT = 20_000
# Chosen on the held-out PUD sets: 30,000 and 60,000 scored the same; the smaller list is kept.
COMMON_WORDS_PER_LANGUAGE = 30_000
# Words that head or end organisation names, in the training and the transfer
# languages: "Università di Bologna" should look like "University of Oxford".
ORG_WORDS = """
university università universidad université universität universiteit uniwersytet университет
college academy accademia academia académie akademie академия institute istituto instituto institut институт
school scuola escuela école schule школа museum museo musée музей
bank banca banco banque банк company compagnia compañía compagnie gesellschaft компания
corporation corp inc ltd llc plc gmbh ag spa s.p.a. sa s.a. nv bv oao zao ooo
group gruppo grupo groupe gruppe группа holding holdings industries airlines airways railways
party partito partido parti partei партия union unione unión унион
council consiglio consejo conseil rat совет ministry ministero ministerio ministère ministerium министерство
department dipartimento departamento département agency agenzia agencia agence agentur агентство
committee comitato comité komitee комитет commission commissione comisión kommission комиссия
federation federazione federación fédération föderation федерация association associazione asociación
verband verein ассоциация foundation fondazione fundación fondation stiftung фонд
society società sociedad société общество organization organisation organizzazione organización
организация league lega liga ligue лига club fc cf ac sc united
parliament parlamento parlement parlament парламент senate senato senado sénat senat сенат
congress congresso congreso congrès kongress конгресс assembly assemblea asamblea assemblée
court corte tribunal gericht суд army esercito ejército armée armee армия
police polizia policía polizei полиция church chiesa iglesia église kirche церковь
news times post journal herald gazette gazzetta zeitung газета records studios pictures press
orchestra orquesta orchestre orchester оркестр band
"""


# -- tag clean-up ---------------------------------------------------------------


def norm_tag(tag: str) -> str:
    """Upper-case, validate; anything malformed becomes O."""
    m = re.fullmatch(r"([BI])-(PER|ORG|LOC|MISC)", tag.strip().upper())
    return f"{m.group(1)}-{m.group(2)}" if m else "O"


def to_iob2(tags: list[str]) -> list[str]:
    """IOB1 (or broken IOB2) to IOB2: an I- that does not continue its type starts an entity."""
    out: list[str] = []
    prev = "O"
    for tag in tags:
        fixed = "B-" + tag[2:] if tag.startswith("I-") and (prev == "O" or prev[2:] != tag[2:]) else tag
        out.append(fixed)
        prev = fixed
    return out


def resplit(sent: Sentence) -> Iterator[Sentence]:
    """Cut at the tagger's sentence-end tokens and length cap, as prediction does."""
    words, tags = sent
    start = 0
    for i, w in enumerate(words):
        if w in SENTENCE_END or i - start + 1 >= MAX_SENTENCE_TOKENS or i == len(words) - 1:
            yield words[start : i + 1], to_iob2(tags[start : i + 1])
            start = i + 1


# -- readers ----------------------------------------------------------------------


def read_columns(path: Path, tok_col: int, tag_col: int, *, min_cols: int, comment: str = "#") -> list[Sentence]:
    sents: list[Sentence] = []
    words: list[str] = []
    tags: list[str] = []
    for line in path.read_text("utf-8").splitlines():
        if not line.strip():
            if words:
                sents.append((words, tags))
                words, tags = [], []
            continue
        if line.startswith(comment) or line.startswith("-DOCSTART"):
            continue
        cols = line.split("\t") if "\t" in line else line.split()
        if len(cols) < min_cols or not cols[tok_col].strip():
            continue
        words.append(cols[tok_col].strip())
        tags.append(cols[tag_col].strip())
    if words:
        sents.append((words, tags))
    return sents


def read_europeana(path: Path) -> list[Sentence]:
    words: list[str] = []
    tags: list[str] = []
    for line in path.read_text("utf-8").splitlines():
        cols = line.split()
        if len(cols) != 2 or line.startswith("# "):
            continue
        words.append(cols[0])
        tags.append(norm_tag(cols[1]))
    return [(words, to_iob2(tags))]


def germeval_tag(tag: str) -> str:
    if tag == "O" or len(tag) < 3:
        return "O"
    prefix, label = tag[:2], tag[2:]
    if label.endswith("part"):
        return "O"  # "EU-weit": a name inside a common word is not an entity span
    if label.endswith("deriv") or label == "OTH":
        return prefix + "MISC"  # "deutschen" as CoNLL MISC
    return prefix + label


def cen_tag(tag: str) -> str:
    if tag == "O" or len(tag) < 3:
        return "O"
    prefix, label = tag[:2], tag[2:]
    if label.startswith("nam_liv_person") or label == "nam_liv_god":
        return prefix + "PER"
    if label.startswith("nam_org_nation"):
        return prefix + "MISC"
    if label.startswith("nam_org_"):
        return prefix + "ORG"
    if label.startswith(("nam_loc", "nam_fac")):
        return prefix + "LOC"
    if label.startswith(("nam_adj", "nam_eve", "nam_pro", "nam_liv")):
        return prefix + "MISC"
    return "O"  # currency, position, tech, www, numbers: not names in the CoNLL sense


def read_factru(folder: Path) -> list[Sentence]:
    """factRuEval-2016 objects -> IOB2 over its own tokens, name spans only."""
    name_spans = {"name", "surname", "patronymic", "nickname", "org_name", "loc_name"}
    obj_type = {"Person": "PER", "Org": "ORG", "Location": "LOC", "LocOrg": "LOC"}
    sents: list[Sentence] = []
    for tokens_file in sorted(folder.glob("*.tokens")):
        base = tokens_file.with_suffix("")
        doc: list[list[tuple[int, str]]] = [[]]
        for line in tokens_file.read_text("utf-8").splitlines():
            cols = line.split()
            if not cols:
                if doc[-1]:
                    doc.append([])
                continue
            doc[-1].append((int(cols[0]), cols[3]))
        span_tokens: dict[str, list[int]] = {}
        for line in base.with_suffix(".spans").read_text("utf-8").splitlines():
            cols = line.split("#")[0].split()
            if len(cols) >= 6 and cols[1] in name_spans:
                first, count = int(cols[4]), int(cols[5])
                span_tokens[cols[0]] = list(range(first, first + count))
        entities: list[tuple[int, int, str]] = []
        for line in base.with_suffix(".objects").read_text("utf-8").splitlines():
            cols = line.split("#")[0].split()
            if len(cols) < 3 or cols[1] not in obj_type:
                continue
            toks = [t for s in cols[2:] for t in span_tokens.get(s, [])]
            if toks:
                entities.append((min(toks), max(toks), obj_type[cols[1]]))
        # Outer (longest) entities win over nested ones.
        entities.sort(key=lambda e: (e[0] - e[1], e[0]))
        label: dict[int, str] = {}
        for lo, hi, typ in entities:
            ids = range(lo, hi + 1)
            if hi - lo > 8 or any(i in label for i in ids):
                continue
            for i in ids:
                label[i] = ("B-" if i == lo else "I-") + typ
        for sent in doc:
            if sent:
                sents.append(([w for _, w in sent], [label.get(i, "O") for i, _ in sent]))
    return sents


def load_training(root: Path) -> list[tuple[str, str, list[Sentence]]]:
    """(source, lang, sentences) for every training set, tags in IOB2 PER/ORG/LOC/MISC."""
    t = root / "ner-train"
    sets: list[tuple[str, str, list[Sentence]]] = []
    for sub, lang in [
        ("enp_DE.lft.bio", "de"),
        ("enp_DE.onb.bio", "de"),
        ("enp_DE.sbb.bio", "de"),
        ("enp_FR.bnf.bio", "fr"),
        ("enp_NL.kb.bio", "nl"),
    ]:
        sets.append((f"europeana/{sub}", lang, read_europeana(t / "europeana_newspapers" / sub / sub)))
    ge: list[Sentence] = []
    for name in ("NER-de-dev.tsv", "NER-de-test.tsv"):
        for w, tags in read_columns(t / "germeval2014" / "GermEval2014" / name, 1, 2, min_cols=3):
            ge.append((w, [germeval_tag(x) for x in tags]))
    sets.append(("germeval2014", "de", ge))
    for folder, lang in [
        ("uner_pt_bosque", "pt"),
        ("uner_en_ewt", "en"),
        ("uner_pud_de", "de"),
        ("uner_pud_en", "en"),
        ("uner_pud_pt", "pt"),
        ("uner_pud_ru", "ru"),
    ]:
        sents: list[Sentence] = []
        for f in sorted((t / folder).glob("*.iob2")):
            sents += [(w, [norm_tag(x) for x in tags]) for w, tags in read_columns(f, 1, 2, min_cols=3)]
        sets.append((folder, lang, sents))
    wr: list[Sentence] = []
    for name in ("train.txt", "dev.txt", "test.txt"):
        path = t / "wikiner_ru_linspector" / "extrinsic" / "data" / "ner" / "ru" / name
        wr += [(w, [norm_tag(x) for x in tags]) for w, tags in read_columns(path, 0, 3, min_cols=4)]
    sets.append(("wikiner_ru_linspector", "ru", wr))
    sets.append(
        (
            "factRuEval2016",
            "ru",
            read_factru(t / "factRuEval2016" / "devset") + read_factru(t / "factRuEval2016" / "testset"),
        )
    )
    cen: list[Sentence] = []
    for name in ("cen-train.iob", "cen-val.iob", "cen-test.iob"):
        cen += [(w, [cen_tag(x) for x in tags]) for w, tags in read_columns(t / "cen-pl" / name, 0, 3, min_cols=4)]
    sets.append(("cen-pl", "pl", cen))
    return [(src, lang, [s for sent in sents for s in resplit(sent)]) for src, lang, sents in sets]


def print_stats(sets: list[tuple[str, str, list[Sentence]]]) -> None:
    print(f"{'source':28} {'lang':4} {'sents':>7} {'tokens':>8} " + " ".join(f"{x:>6}" for x in TYPES))
    tot = Counter[str]()
    for src, lang, sents in sets:
        c = Counter(t[2:] for _, tags in sents for t in tags if t.startswith("B-"))
        n_tok = sum(len(w) for w, _ in sents)
        tot.update(c)
        tot["tokens"] += n_tok
        tot["sents"] += len(sents)
        print(f"{src:28} {lang:4} {len(sents):7d} {n_tok:8d} " + " ".join(f"{c[x]:6d}" for x in TYPES))
    print(f"{'TOTAL':28} {'':4} {tot['sents']:7d} {tot['tokens']:8d} " + " ".join(f"{tot[x]:6d}" for x in TYPES))


# -- name lists (the tagger's lexicon features) -------------------------------------


def _words(name: str) -> list[str]:
    return [w for w in token_spans(name)[0] if any(ch.isalpha() for ch in w)]


def build_lexicon(common_per_language: int = 0, usage_per_language: int = 0) -> dict[str, tuple[str, ...]]:
    """Lowercased word -> codes of the name lists it is in.

    - ``L1``: a one-word place name in the shipped gazetteer (GeoNames, pycountry,
      CLDR and countrynames translations: see scripts/build_gazetteer.py);
      ``Lk`` as well when one of those places is a country, region or big city;
      ``Lp``: part of a longer place name ("Nuova", "York").
    - ``O1``/``Op``, ``P1``/``Pp``: the same for the gazetteer's few organisations and people.
    - ``F``: a first name, ``S``: one of the 20,000 commonest surnames, from the
      US Census 1990 name lists (public domain) as packaged by ``names`` (MIT).
    - ``Ow``: a word that heads organisation names (``ORG_WORDS``).
    - ``D``: a frequent dictionary word (``common_words``).
    - ``C…`` / ``R…``: its Brown cluster and how often it is capitalised (``capitalised_usage``).
    """
    codes: dict[str, set[str]] = {}

    def add(word: str, code: str) -> None:
        codes.setdefault(word.lower(), set()).add(code)

    gaz = orjson.loads(gzip.decompress(GAZETTEER.read_bytes()))
    entities = gaz["entities"]
    for name, indices in gaz["names"].items():
        words = _words(name)
        for i in indices:
            _, _, etype, kind, population, *_ = entities[i]
            letter = etype[0]
            if len(words) == 1:
                add(words[0], letter + "1")
                if etype == "LOC" and (kind in BIG_PLACE_KINDS or population >= BIG_CITY_POPULATION):
                    add(words[0], "Lk")
            else:
                for w in words:
                    add(w, letter + "p")
    census = importlib.resources.files("names")
    for table in ("dist.male.first", "dist.female.first"):
        for line in census.joinpath(table).read_text("ascii").splitlines():
            if line.strip():
                add(line.split()[0], "F")
    surnames = census.joinpath("dist.all.last").read_text("ascii").splitlines()
    for line in surnames[:SURNAMES_KEPT]:
        if line.strip():
            add(line.split()[0], "S")
    for w in ORG_WORDS.split():
        add(w, "Ow")
    for w in common_words(common_per_language):
        add(w, "D")
    for w, usage_codes in capitalised_usage(usage_per_language).items():
        for code in usage_codes:
            add(w, code)
    return {w: tuple(sorted(c)) for w, c in sorted(codes.items())}


COMMON_WORD_LANGUAGES = ("en", "de", "fr", "it", "es", "pt", "nl", "ru", "pl")


def common_words(per_language: int) -> set[str]:
    """Frequent dictionary words of the training and transfer languages, lowercased.

    A word is kept when it is among the ``per_language`` most frequent words of a
    language (wordfreq) and a lower-case dictionary form there (a key or lemma of
    spaCy's lemma tables). The frequency list alone would hold famous names ("trump",
    "london"); the lemma tables hold vocabulary, not names. Italian and Spanish
    have no training sentences, so this is the only way the tagger can learn
    that a capitalised "Governo" or "Ministerio" is an ordinary word.
    """
    if per_language <= 0:
        return set()
    import wordfreq

    tables = importlib.resources.files("spacy_lookups_data") / "data"
    kept: set[str] = set()
    for lang in COMMON_WORD_LANGUAGES:
        vocabulary: set[str] = set()
        for table in tables.iterdir():
            if table.name.startswith(f"{lang}_lemma_lookup"):
                pairs = orjson.loads(gzip.decompress(table.read_bytes()))
                # Only lower-case entries: the capitalised ones are names ("London"
                # in the German table) or German nouns.
                vocabulary.update(k for k in pairs if k.islower())
                vocabulary.update(v for v in pairs.values() if isinstance(v, str) and v.islower())
        top = wordfreq.top_n_list(lang, per_language)
        kept.update(w for w in top if len(w) >= 3 and w.isalpha() and w in vocabulary)
    return kept


# Languages of spaCy's lexeme tables with Brown clusters and word probabilities.
USAGE_LANGUAGES = ("en", "de", "es")
# Bounds of the buckets of log P(capitalised form) - log P(lower-case form), natural log.
USAGE_RATIO_BOUNDS = (-4.0, -2.0, 0.0, 2.0, 4.0, 6.0)
USAGE_WORDS_PER_LANGUAGE = 100_000


def capitalised_usage(per_language: int) -> dict[str, set[str]]:
    """How a capitalised word is used in large corpora, from spaCy's lexeme tables (spacy-lookups-data).

    For the ``per_language`` most probable capitalised forms of each of
    ``USAGE_LANGUAGES`` (the likeliest form per lower-cased word):
    - ``C<lang><id>``: its Brown cluster. Words that are used alike share a
      cluster ("Trump" and "Poole" in one English cluster, "Wright" and
      "Merkel" in another), so a name the training sentences never hold
      still looks like the ones they do. Id 0 is the tables' "no cluster" and is skipped.
    - ``R<lang><bucket>``: how much more often the word is written with a capital
      than without (``USAGE_RATIO_BOUNDS``; a form never seen in lower case
      takes the tables' out-of-vocabulary probability): names are
      capitalised everywhere, "The" or "Government" only sometimes.
    Keyed by the lower-cased word like every other list, and given to
    capitalised tokens only, like them. The codes are language-tagged, but
    apply to every language's text: "Microsoft" in a French sentence has its
    English cluster.
    """
    if per_language <= 0:
        return {}
    tables = importlib.resources.files("spacy_lookups_data") / "data"

    def table(lang: str, name: str) -> dict[str, Any]:
        loaded: dict[str, Any] = orjson.loads(gzip.decompress((tables / f"{lang}_lexeme_{name}.json.gz").read_bytes()))
        return loaded

    out: dict[str, set[str]] = {}
    for lang in USAGE_LANGUAGES:
        clusters, probs = table(lang, "cluster"), table(lang, "prob")
        oov = float(table(lang, "settings")["oov_prob"])
        likeliest: dict[str, str] = {}
        for form in sorted((w for w in probs if w[:1].isupper()), key=lambda w: (-probs[w], w)):
            low = form.lower()
            if low not in likeliest and any(ch.isalpha() for ch in form):
                likeliest[low] = form
                if len(likeliest) >= per_language:
                    break
        for low, form in likeliest.items():
            codes = out.setdefault(low, set())
            if clusters.get(form):
                codes.add(f"C{lang}{clusters[form]}")
            ratio = float(probs[form]) - float(probs.get(low, oov))
            codes.add(f"R{lang}{sum(ratio >= b for b in USAGE_RATIO_BOUNDS)}")
    return out


def lexicon_arrays(lexicon: Lexicon) -> dict[str, npt.NDArray[Any]]:
    """The lexicon as stored in the model file: words, the index of each word's code set, and the sets.

    The words are one UTF-8 blob split at newlines (tokens never hold
    whitespace): a numpy string array pads every word to the longest one's
    length in UTF-32, ~30 MB for these words, which a worker would then
    briefly hold at load. A code set is a run of ``lexicon_set_members``
    (indexes into ``lexicon_code_names``) starting at ``lexicon_set_starts[k]``.
    """
    codes = sorted({c for cs in lexicon.values() for c in cs})
    code_index = {c: i for i, c in enumerate(codes)}
    code_sets = sorted({tuple(sorted(cs)) for cs in lexicon.values()})
    set_index = {cs: i for i, cs in enumerate(code_sets)}
    starts = np.cumsum([0] + [len(cs) for cs in code_sets[:-1]]) if code_sets else np.zeros(0)
    return {
        "lexicon_words": np.frombuffer("\n".join(lexicon).encode("utf-8", "surrogatepass"), np.uint8),
        "lexicon_set_ids": np.array([set_index[tuple(sorted(cs))] for cs in lexicon.values()], np.uint32),
        "lexicon_set_starts": np.asarray(starts, np.uint32),
        "lexicon_set_members": np.array([code_index[c] for cs in code_sets for c in cs], np.uint16),
        "lexicon_code_names": np.array(codes),
    }


# -- features -------------------------------------------------------------------


def build_matrix(
    sents: list[tuple[str, Sentence]], lexicon: Lexicon
) -> tuple[sparse.csr_matrix, npt.NDArray[np.int64], npt.NDArray[np.uint32]]:
    """Sparse design matrix, labels and the hash of each column, for (feature group, sentence) pairs."""
    groups = sorted({g for g, _ in sents})
    vocab = [(g, w) for g in groups for w in (BOS, EOS)]
    vocab += sorted({(g, w) for g, (words, _) in sents for w in words} - set(vocab))
    word_id = {gw: i for i, gw in enumerate(vocab)}
    # Per (word, slot) hashed feature lists, flattened.
    pair_hashes: list[int] = []
    pair_len = np.zeros(len(vocab) * N_SLOTS, np.int64)
    for i, (g, w) in enumerate(vocab):
        for s, hs in enumerate(word_feature_hashes(w, g, lexicon)):
            pair_hashes.extend(hs)
            pair_len[i * N_SLOTS + s] = len(hs)
    all_hashes = np.array(pair_hashes, np.uint32)
    col_hashes, cols = np.unique(all_hashes, return_inverse=True)
    pair_ptr = np.concatenate([[0], np.cumsum(pair_len)[:-1]])
    # Each token's five (word, slot) pairs, in the tagger's window order.
    pairs: list[int] = []
    labels: list[int] = []
    tag_id = {t: i for i, t in enumerate(TAGS)}
    for g, (words, tags) in sents:
        bos, eos = word_id[g, BOS], word_id[g, EOS]
        ids = [bos, bos, *(word_id[g, w] for w in words), eos, eos]
        for j in range(len(words)):
            k = j + 2
            pairs += (
                ids[k - 2] * N_SLOTS + SLOT_M2,
                ids[k - 1] * N_SLOTS + SLOT_M1,
                ids[k] * N_SLOTS + (SLOT_INIT if j == 0 else SLOT_CUR),
                ids[k + 1] * N_SLOTS + SLOT_P1,
                ids[k + 2] * N_SLOTS + SLOT_P2,
            )
        labels += (tag_id[t] for t in tags)
    p = np.array(pairs, np.int64)
    lens = pair_len[p]
    total = int(lens.sum())
    starts = np.repeat(pair_ptr[p], lens)
    within = np.arange(total) - np.repeat(np.cumsum(lens) - lens, lens)
    indices = cols[starts + within]
    row_len = lens.reshape(-1, 5).sum(axis=1)
    indptr = np.concatenate([[0], np.cumsum(row_len)])
    x = sparse.csr_matrix(
        (np.ones(total, np.float32), indices.astype(np.int32), indptr), shape=(len(labels), len(col_hashes))
    )
    x.sum_duplicates()
    return x, np.array(labels, np.int64), col_hashes.astype(np.uint32)


# -- the first stage: a one-hidden-layer network on the hashed features ----------


class HiddenLayerNet:
    """Feature embeddings summed per token -> ReLU -> tag scores, trained with
    softmax cross-entropy by mini-batch Adagrad (row-wise for the embeddings).

    Written out in numpy (no deep-learning framework): the design matrix is
    sparse, and each batch touches ~30 k of its ~1.9 M feature rows, so only
    those rows are read and updated. Deterministic for a given seed.
    """

    def __init__(
        self,
        hidden: int,
        epochs: int,
        seed: int,
        *,
        rate: float = 0.05,
        dropout: float = 0.2,
        l2: float = 1e-5,
        batch: int = 256,
    ) -> None:
        self.hidden, self.epochs, self.seed = hidden, epochs, seed
        self.rate, self.dropout, self.l2, self.batch = rate, dropout, l2, batch

    def fit(self, x: sparse.csr_matrix, y: npt.NDArray[np.int64]) -> HiddenLayerNet:
        rng = np.random.default_rng(self.seed)
        n_feat, h, k = x.shape[1], self.hidden, len(TAGS)
        # Zero embeddings: a feature's row moves only as far as the data pushes it,
        # so rare and useless features stay near zero and prune away. The positive
        # hidden bias keeps every unit active (and learning) at the start.
        emb = np.zeros((n_feat, h), np.float32)
        b1 = np.full(h, 0.1, np.float32)
        w2 = (rng.standard_normal((h, k)) / np.sqrt(h)).astype(np.float32)
        b2 = np.zeros(k, np.float32)
        g_emb = np.full(n_feat, 1e-6, np.float32)
        g_b1, g_w2, g_b2 = np.full(h, 1e-6, np.float32), np.full((h, k), 1e-6, np.float32), np.full(k, 1e-6, np.float32)
        keep = np.float32(1 - self.dropout)
        for _ in range(self.epochs):
            order = rng.permutation(x.shape[0])
            for i in range(0, len(order), self.batch):
                idx = order[i : i + self.batch]
                xb = x[idx]
                cols, inv = np.unique(xb.indices, return_inverse=True)
                xc = sparse.csr_matrix((xb.data, inv.astype(np.int32), xb.indptr), shape=(len(idx), len(cols)))
                e = emb[cols]
                pre = xc @ e + b1
                mask = (rng.random(pre.shape) < keep).astype(np.float32) / keep
                act = np.maximum(pre, 0) * mask
                z = act @ w2 + b2
                z -= z.max(axis=1, keepdims=True)
                prob = np.exp(z)
                prob /= prob.sum(axis=1, keepdims=True)
                prob[np.arange(len(idx)), y[idx]] -= 1  # now d(loss)/dz, times the batch size
                dz = prob / np.float32(len(idx))
                d_pre = (dz @ w2.T) * mask * (pre > 0)
                dense_grads = [(w2, g_w2, act.T @ dz), (b2, g_b2, dz.sum(axis=0)), (b1, g_b1, d_pre.sum(axis=0))]
                d_emb = xc.T @ d_pre + self.l2 * e
                g_emb[cols] += (d_emb**2).mean(axis=1)
                emb[cols] = e - self.rate * d_emb / np.sqrt(g_emb[cols])[:, None]
                for param, accumulated, grad in dense_grads:
                    np.add(accumulated, grad**2, out=accumulated)
                    np.subtract(param, self.rate * grad / np.sqrt(accumulated), out=param)
        self.emb, self.b1, self.w2, self.b2 = emb, b1, w2, b2
        return self

    def decision_function(self, x: sparse.csr_matrix) -> npt.NDArray[np.float32]:
        out: npt.NDArray[np.float32] = (np.maximum(x @ self.emb + self.b1, 0) @ self.w2 + self.b2).astype(np.float32)
        return out


# -- evaluation on Europarl (dev only, never trained on) ----------------------------


def spans_of(tags: list[str]) -> set[tuple[int, int, str]]:
    out: set[tuple[int, int, str]] = set()
    start, typ = -1, ""
    for i, t in enumerate([*to_iob2(tags), "O"]):
        if typ and not (t.startswith("I-") and t[2:] == typ):
            out.add((start, i, typ))
            typ = ""
        if t.startswith("B-"):
            start, typ = i, t[2:]
    return out


def tokens_of(words: list[str]) -> list[Token]:
    toks: list[Token] = []
    pos = 0
    for w in words:
        toks.append(Token(w, pos, pos + len(w)))
        pos += len(w) + 1
    return toks


def europarl_sets(root: Path) -> list[tuple[str, str, list[Sentence]]]:
    """Europarl NER en/de/it/es: no formal licence, so never trained on."""
    sets = []
    for lang in ("en", "de", "it", "es"):
        path = root / "ner-train" / "europarl_ner" / f"{lang}-europarl.test.conll02"
        sets.append(
            (f"europarl {lang}", lang, [(w, [norm_tag(x) for x in t]) for w, t in read_columns(path, 0, 1, min_cols=2)])
        )
    return sets


def dev_scores(tagger: PerceptronTagger, sets: list[tuple[str, str, list[Sentence]]], *, quiet: bool = False) -> float:
    """Strict-span F1 over PER+ORG+LOC per set; returns the micro F1 over all of them pooled."""
    total = [0, 0, 0]
    for name, lang, sents in sets:
        tp = fp = fn = 0
        for words, tags in sents:
            toks = tokens_of(words)
            start_of = {t.start: i for i, t in enumerate(toks)}
            end_of = {t.end: i + 1 for i, t in enumerate(toks)}
            pred = {(start_of[s], end_of[e], ty) for s, e, ty in tagger.tag(toks, lang) if ty != "MISC"}
            gold = {g for g in spans_of(tags) if g[2] != "MISC"}
            tp += len(pred & gold)
            fp += len(pred - gold)
            fn += len(gold - pred)
        total = [total[0] + tp, total[1] + fp, total[2] + fn]
        p = tp / max(tp + fp, 1)
        r = tp / max(tp + fn, 1)
        if not quiet:
            print(f"{name}: P={p:.3f} R={r:.3f} F1(PER+ORG+LOC)={2 * p * r / max(p + r, 1e-9):.3f}")
    tp, fp, fn = total
    return 2 * tp / max(2 * tp + fp + fn, 1)


# -- main -------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--data", type=Path, default=Path(os.environ.get("NEWSFLOW_DATA", REPO.parent / "shared" / "data")))
    ap.add_argument("--out", type=Path, default=MODEL_DIR / MODEL_FILE)
    ap.add_argument(
        "--hidden", type=int, default=HIDDEN, help="hidden units of the first stage; 0: logistic regression"
    )
    ap.add_argument("--epochs", type=int, help=f"passes over the data (default {NET_EPOCHS}, or 6 with --hidden 0)")
    ap.add_argument("--c", type=float, default=1.0, help="inverse L2 strength (--hidden 0)")
    ap.add_argument(
        "--min-weight",
        type=float,
        help=f"prune features whose largest |weight| is below (default {NET_MIN_WEIGHT}, or 0.02 with --hidden 0)",
    )
    ap.add_argument(
        "--exclude",
        nargs="*",
        default=[],
        help="leave out sources whose name starts with any of these (e.g. uner_ for a model free of share-alike data)",
    )
    ap.add_argument("--warm-words", type=int, default=20000, help="most frequent words pre-scored at load")
    ap.add_argument(
        "--common-words",
        type=int,
        default=COMMON_WORDS_PER_LANGUAGE,
        help=f"frequent dictionary words per language, lexicon code D (default {COMMON_WORDS_PER_LANGUAGE}; 0: none)",
    )
    ap.add_argument(
        "--usage-words",
        type=int,
        default=USAGE_WORDS_PER_LANGUAGE,
        help="capitalised words per language with corpus-usage codes C (Brown cluster) and R (how often "
        f"capitalised), from spaCy's lexeme tables (default {USAGE_WORDS_PER_LANGUAGE}; 0: none)",
    )
    ap.add_argument("--no-lexicon", action="store_true", help="train without the name-list features")
    ap.add_argument(
        "--tune-on",
        choices=("europarl", "pud"),
        default="europarl",
        help="dev set for the decoding thresholds; pud needs --exclude uner_pud (it must not be trained on)",
    )
    ap.add_argument("--threshold", type=float, help="fix the entity/O margin instead of tuning it")
    ap.add_argument("--weak-threshold", type=float, help="fix the weak (name-extension) margin; with --threshold")
    ap.add_argument(
        "--seed",
        type=int,
        default=SEED,
        help=f"sentence shuffle and solver seed (default {SEED}, the shipped model's); "
        "another seed shows how much a result moves by chance",
    )
    ap.add_argument("--dry-run", action="store_true")
    args = ap.parse_args()
    t0 = time.perf_counter()
    seed = args.seed
    print(f"seed={seed} data={args.data}")
    all_sets = load_training(args.data)
    sets = [s for s in all_sets if not s[0].startswith(tuple(args.exclude or ["\0"]))]
    if args.tune_on == "pud":
        dev = [s for s in all_sets if s[0].startswith("uner_pud")]
        if any(s[0].startswith("uner_pud") for s in sets):
            ap.error("--tune-on pud needs --exclude uner_pud")
    else:
        dev = europarl_sets(args.data)
    print_stats(sets)
    if args.dry_run:
        return 0
    sents = [(lang_group(lang), s) for _, lang, ss in sets for s in ss]
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(sents))
    sents = [sents[i] for i in order]
    freq = Counter(w for _, (words, _) in sents for w in words)
    warm = sorted(freq, key=lambda w: (-freq[w], w))[: args.warm_words]
    lexicon = {} if args.no_lexicon else build_lexicon(args.common_words, args.usage_words)
    code_counts = Counter(c if c[:1] not in "CR" else c[:3] for cs in lexicon.values() for c in cs)
    print(f"lexicon: {len(lexicon)} words; " + ", ".join(f"{c} {n}" for c, n in sorted(code_counts.items())))
    x, y, col_hashes = build_matrix(sents, lexicon)
    print(f"matrix: {x.shape[0]} tokens x {x.shape[1]} features, {x.nnz} non-zeros ({time.perf_counter() - t0:.0f}s)")
    # Both first stages are softmax models: their per-tag scores are
    # comparable, so one margin threshold trades precision for recall
    # (one-vs-rest hinge models scored 3-8 F1 points lower on Europarl).
    first_row = np.concatenate([[j == 0 for j in range(len(w))] for _, (w, _) in sents])
    last_row = np.concatenate([[j == len(w) - 1 for j in range(len(w))] for _, (w, _) in sents])
    caps_row = np.array([t[:1].isupper() for _, (w, _) in sents for t in w])
    fold = np.concatenate([np.full(len(w), i % 2) for i, (_, (w, _)) in enumerate(sents)])

    def fit_first_stage(rows: npt.NDArray[np.bool_]) -> LogisticRegression | HiddenLayerNet:
        if args.hidden:
            return HiddenLayerNet(args.hidden, args.epochs or NET_EPOCHS, seed).fit(x[rows], y[rows])
        clf = LogisticRegression(solver="saga", C=args.c, max_iter=args.epochs or 6, tol=1e-4, random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # a fixed epoch budget is intended
            clf.fit(x[rows], y[rows])
        return clf

    # Stacking: the second stage must learn from first-stage scores as they
    # look on unseen text, so it is fitted on 2-fold out-of-fold scores.
    oof = np.zeros((x.shape[0], len(TAGS)), np.float32)
    for k in (0, 1):
        part = fit_first_stage(fold != k)
        oof[fold == k] = part.decision_function(x[fold == k])
        print(f"fold {k} fitted ({time.perf_counter() - t0:.0f}s)")
    feats = stack_features(oof, caps_row, first_row, last_row)
    sample = rng.choice(len(y), size=min(len(y), 600_000), replace=False)
    stacker = LogisticRegression(C=1.0, max_iter=300, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        stacker.fit(feats[sample], y[sample])
    stack = (stacker.coef_.T.astype(np.float32), stacker.intercept_.astype(np.float32))
    print(f"second stage fitted on {len(sample)} tokens ({time.perf_counter() - t0:.0f}s)")
    clf = fit_first_stage(np.ones(len(y), bool))
    print(f"trained ({time.perf_counter() - t0:.0f}s)")
    output: tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]] | None = None
    if isinstance(clf, HiddenLayerNet):
        coef, intercept, output = clf.emb, clf.b1, (clf.w2, clf.b2)
    else:
        coef = clf.coef_.T.astype(np.float32)  # (features, tags)
        intercept = clf.intercept_.astype(np.float32)
    min_weight = args.min_weight if args.min_weight is not None else (NET_MIN_WEIGHT if args.hidden else 0.02)
    keep = np.abs(coef).max(axis=1) >= min_weight
    keys = col_hashes[keep]
    kept = coef[keep]
    # int8 rows: one scale per row for the network's embeddings (their ranges
    # differ a lot between features), one for the whole linear model.
    if output is not None:
        row_scale = (np.abs(kept).max(axis=1) / 127.0).astype(np.float32)
        weights = np.clip(np.rint(kept / row_scale[:, None]), -127, 127).astype(np.int8)
        dense = weights.astype(np.float32) * row_scale[:, None]
        scales: dict[str, Any] = {"row_scale": row_scale}
    else:
        scale = float(np.abs(kept).max()) / 127.0
        weights = np.clip(np.rint(kept / scale), -127, 127).astype(np.int8)
        dense = weights.astype(np.float32) * np.float32(scale)
        scales = {"scale": np.float32(scale)}
    print(f"kept {keep.sum()} of {len(keep)} features ({weights.shape[1]} values each)")
    # Two decoding scalars: the entity/O margin, and the weaker margin at
    # which a capitalised token may extend a confident name. They are either
    # given (the shipped model's come from a --tune-on pud run, see
    # docs/ner-training.md) or tuned on a dev set that is not trained on.
    if args.threshold is not None:
        weak = args.threshold if args.weak_threshold is None else args.weak_threshold
        best = (
            dev_scores(
                PerceptronTagger(keys, dense, intercept, args.threshold, (), weak, stack, lexicon, output),
                dev,
                quiet=True,
            ),
            args.threshold,
            weak,
        )
        print(f"threshold {args.threshold:+.1f} weak {weak:+.1f}: {args.tune_on} micro F1 {best[0]:.4f}")
    else:
        best = (-1.0, 0.0, 0.0)
        for threshold in (-2.0, -1.5, -1.0, -0.5, 0.0, 0.5):
            for drop in (0.0, 1.0, 2.0):
                tagger = PerceptronTagger(
                    keys, dense, intercept, threshold, (), threshold - drop, stack, lexicon, output
                )
                f1 = dev_scores(tagger, dev, quiet=True)
                print(f"threshold {threshold:+.1f} weak {threshold - drop:+.1f}: {args.tune_on} micro F1 {f1:.3f}")
                best = max(best, (f1, threshold, threshold - drop))
    print(f"threshold {best[1]:+.1f}, weak threshold {best[2]:+.1f}")
    buf = io.BytesIO()
    np.savez_compressed(
        buf,
        keys=keys,
        weights=weights,
        **scales,
        intercept=intercept,
        threshold=np.float32(best[1]),
        weak_threshold=np.float32(best[2]),
        stack_w=stack[0],
        stack_b=stack[1],
        warm_words=np.array(warm),
        tags=np.array(TAGS),
        **({"out_w": output[0], "out_b": output[1]} if output is not None else {}),
        **(lexicon_arrays(lexicon) if lexicon else {}),
    )
    data = buf.getvalue()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    args.out.with_name(args.out.name + ".sha256").write_text(f"{digest}  {args.out.name}\n", "ascii")
    print(f"wrote {args.out} ({len(data) / 1e6:.1f} MB) sha256 {digest}")
    tagger = PerceptronTagger.load(args.out)
    dev_scores(tagger, europarl_sets(args.data) + (dev if args.tune_on == "pud" else []))
    print(f"done in {time.perf_counter() - t0:.0f}s")
    return 0


if __name__ == "__main__":
    # One BLAS thread: the second stage's lbfgs fit ran ~7x slower with two
    # training runs side by side, each spinning OpenBLAS threads on 2 cores.
    with threadpool_limits(limits=1):
        sys.exit(main())
