"""Readable names for the 250 signs, and search that forgives spaces, case and common synonyms.

The competition's labels are glosses squashed into one word (`callonphone`, `hesheit`); a learner
types "call on phone", "thanks" or "THANK YOU".
"""

from __future__ import annotations

import re
from functools import cache

from signbridge.data.landmarks import sign_to_index

# Labels whose readable name differs from the label itself.
READABLE: dict[str, str] = {
    "callonphone": "call on phone", "frenchfries": "french fries", "glasswindow": "glass window",
    "haveto": "have to", "hesheit": "he/she/it", "icecream": "ice cream", "minemy": "mine/my",
    "thankyou": "thank you", "weus": "we/us", "wake": "wake up",
}
# Words a learner may search for instead, by label.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "TV": ("television", "telly"), "airplane": ("plane", "aeroplane", "aircraft"),
    "alligator": ("crocodile",), "another": ("other",), "backyard": ("yard", "garden"),
    "bath": ("bathtub", "bathe"), "beside": ("next to",), "bug": ("insect",),
    "bye": ("goodbye", "bye-bye", "farewell"), "callonphone": ("phone", "telephone", "call"),
    "cheek": ("cheeks",), "child": ("kid", "children"), "close": ("shut",),
    "closet": ("wardrobe", "cupboard"), "dad": ("father", "daddy", "papa"),
    "drink": ("beverage",), "dryer": ("tumble dryer",), "ear": ("ears",), "eye": ("eyes",),
    "fast": ("quick", "quickly"), "feet": ("foot",), "finger": ("fingers",),
    "finish": ("done", "finished", "complete"), "fireman": ("firefighter",),
    "frenchfries": ("fries", "chips"), "garbage": ("trash", "rubbish", "bin"),
    "gift": ("present",), "glasswindow": ("window", "glass"), "grandma": ("grandmother", "granny"),
    "grandpa": ("grandfather", "granddad"), "happy": ("glad",), "haveto": ("must", "need to"),
    "hello": ("hi", "hey"), "hen": ("chicken",), "hesheit": ("he", "she", "it", "him", "her"),
    "home": ("house",), "kitty": ("kitten",), "lamp": ("light",),
    "mad": ("angry", "cross"), "many": ("lots", "a lot"), "minemy": ("mine", "my"),
    "mom": ("mother", "mum", "mommy", "mummy", "mama"), "napkin": ("serviette",),
    "no": ("nope",), "owie": ("hurt", "ouch", "pain", "boo-boo"), "pajamas": ("pyjamas", "pjs"),
    "penny": ("coin", "cent"), "person": ("people",), "police": ("cop", "policeman"),
    "potty": ("toilet", "bathroom"), "pretty": ("beautiful", "lovely"),
    "puppy": ("pup",), "refrigerator": ("fridge",), "say": ("tell",), "see": ("watch",),
    "shhh": ("shh", "hush", "shush"), "sick": ("ill",), "sleepy": ("tired",),
    "stairs": ("steps", "staircase"), "store": ("shop",),
    "talk": ("speak",), "thankyou": ("thanks", "thank"), "tooth": ("teeth",),
    "vacuum": ("hoover", "vacuum cleaner"), "wake": ("awaken",),
    "weus": ("we", "us"), "yes": ("yeah",), "yucky": ("gross", "disgusting"),
}


MIN_INFIX = 3  # shorter queries match the start of a word only ("x" is not in "next to")


def readable(sign: str) -> str:
    """The name a learner reads: "thank you" for `thankyou`."""
    return READABLE.get(sign, sign)


def _squashed(text: str) -> str:
    """Lower case, without spaces or punctuation: "Thank-You" and "thankyou" compare equal."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


@cache
def _terms() -> dict[str, tuple[str, ...]]:
    """Every sign's searchable terms, squashed: its label, readable name, words and synonyms."""
    terms = {}
    for sign in sign_to_index():
        words = {sign, readable(sign), *re.split(r"[ /]", readable(sign)), *SYNONYMS.get(sign, ())}
        terms[sign] = tuple(sorted({_squashed(w) for w in words if _squashed(w)}))
    return terms


def search(query: str) -> list[str]:
    """Signs matching `query`, best first: a name or synonym equal to it, then starting with it,
    then containing it (from MIN_INFIX letters); alphabetical within each. An empty query gives
    all signs."""
    wanted = _squashed(query)
    if not wanted:
        return sorted(sign_to_index(), key=lambda sign: readable(sign).lower())
    ranked = []
    for sign, terms in _terms().items():
        best = min((0 if t == wanted else 1 if t.startswith(wanted)
                    else 2 if len(wanted) >= MIN_INFIX and wanted in t else 3) for t in terms)
        if best < 3:
            ranked.append((best, readable(sign).lower(), sign))
    return [sign for *_, sign in sorted(ranked)]


def resolve(query: str, exact: bool = False) -> str | None:
    """The one sign `query` names (its best match), or None when nothing matches; `exact`: only
    a label, readable name or synonym equal to it (spaces, case and punctuation aside)."""
    wanted = _squashed(query)
    if exact:
        return next((sign for sign, terms in _terms().items() if wanted in terms), None)
    found = search(query) if wanted else []
    return found[0] if found else None
