"""card_splice.py - put a generated section into the model card (weights/README.md).

A section lives between `<!-- NAME:begin -->` and `<!-- NAME:end -->`; splice() replaces it,
or inserts it before "## Reproduce" (else at the end). Its text is also kept in a fragment file
(FRAGMENTS[NAME]) that scripts/weights_card.py includes when it rewrites the card.
"""
import os
import re

CARD = "weights/README.md"
FRAGMENTS = {
    "full-study": "weights/logs/full-study/card.md",
    "se-study": "weights/logs/se-study/card.md",
    "robustness": "weights/logs/robustness-card.md",
}


def wrap(name, text):
    return "<!-- %s:begin -->\n%s\n<!-- %s:end -->\n" % (name, text.strip("\n"), name)


def write_or_check(path, text, check):
    """Writes text to path; with check, only compares and returns the path if it differs."""
    if check:
        old = open(path).read() if os.path.exists(path) else None
        return [] if old == text else [path]
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    return []


def splice(name, text, card=CARD, check=False):
    """Puts the section into the card and its fragment file; with check, writes nothing and
    returns the files that would change."""
    stale = write_or_check(FRAGMENTS[name], text.strip("\n") + "\n", check)
    body = open(card).read()
    block = wrap(name, text)
    pat = re.compile(r"<!-- %s:begin -->.*?<!-- %s:end -->\n?" % (re.escape(name), re.escape(name)), re.S)
    if pat.search(body):
        body = pat.sub(lambda _: block, body)
    elif "\n## Reproduce" in body:
        i = body.index("\n## Reproduce")
        body = body[:i + 1] + block + "\n" + body[i + 1:]
    else:
        body = body.rstrip("\n") + "\n\n" + block
    return stale + write_or_check(card, body, check)


def sections():
    """The committed fragments, wrapped, for weights_card.py."""
    out = []
    for name, path in FRAGMENTS.items():
        if os.path.exists(path):
            out.append(wrap(name, open(path).read()))
    return out
