"""Set translations in a catalogue: `python scripts/po_set.py da < pairs.json`.

Reads a JSON object {msgid: translation} (or {msgid: [singular, plural]}) from standard input,
adds or updates those entries in publisher/translations/<lang>/LC_MESSAGES/messages.po, and
recompiles the .mo. Holds a lock so parallel writers do not lose each other's entries.
"""

from __future__ import annotations

import fcntl
import json
import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent / "publisher" / "translations"


def main() -> None:
    lang = sys.argv[1]
    pairs = json.load(sys.stdin)
    po_path = ROOT / lang / "LC_MESSAGES" / "messages.po"
    with open(ROOT / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=lang)
        for msgid, msgstr in pairs.items():
            if isinstance(msgstr, list):
                key = (msgid, msgstr[2]) if len(msgstr) > 2 else msgid
                catalog.add(key, tuple(msgstr[:2]))
                # Catalog.add keeps the old string of an existing entry: set it explicitly.
                catalog[msgid].string = tuple(msgstr[:2])
            else:
                catalog.add(msgid, msgstr)
                catalog[msgid].string = msgstr
        with po_path.open("wb") as fh:
            write_po(fh, catalog, width=100, sort_output=True, omit_header=False)
        with po_path.with_suffix(".mo").open("wb") as fh:
            write_mo(fh, catalog)
    print(f"{lang}: set {len(pairs)} entries")


if __name__ == "__main__":
    main()
