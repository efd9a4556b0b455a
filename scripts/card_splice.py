"""card_splice.py - put a generated section into the model card (weights/README.md).

A section lives between `<!-- NAME:begin -->` and `<!-- NAME:end -->`; splice() replaces it,
or inserts it before "## Reproduce" (else at the end). Its text is also kept in a fragment file
(FRAGMENTS[NAME]) that scripts/weights_card.py includes when it rewrites the card.
"""
import os
import re

CARD = "weights/README.md"
FRAGMENTS = {
    "se-study": "weights/logs/se-study/card.md",
    "robustness": "weights/logs/robustness-card.md",
}


def wrap(name, text):
    return "<!-- %s:begin -->\n%s\n<!-- %s:end -->\n" % (name, text.strip("\n"), name)


def splice(name, text, card=CARD):
    os.makedirs(os.path.dirname(FRAGMENTS[name]), exist_ok=True)
    with open(FRAGMENTS[name], "w") as f:
        f.write(text.strip("\n") + "\n")
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
    with open(card, "w") as f:
        f.write(body)


def sections():
    """The committed fragments, wrapped, for weights_card.py."""
    out = []
    for name, path in FRAGMENTS.items():
        if os.path.exists(path):
            out.append(wrap(name, open(path).read()))
    return out
