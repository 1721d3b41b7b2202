#!/usr/bin/env python3
"""Write the entry points and variables of each role's README.md from its meta/argument_specs.yml.

Only the part between BEGIN and END below is rewritten; the prose around it is the author's.
The spec is what Ansible validates, so a table made from it cannot drift from what the role
takes, as long as CI runs `python scripts/role-readmes.py --check` (tests/unit/test_metadata.py).

    python scripts/role-readmes.py           rewrite every role's generated part
    python scripts/role-readmes.py --check   exit 1, naming each README that is out of date
"""

import argparse
import re
import sys
from pathlib import Path

import yaml

BEGIN = "<!-- BEGIN generated from meta/argument_specs.yml by scripts/role-readmes.py: do not edit -->"
END = "<!-- END generated from meta/argument_specs.yml -->"
ROOT = Path(__file__).resolve().parents[1]

# Ansible's documentation markup (ansible-doc renders it): code-like ones become code spans.
MARKUP = re.compile(r"(?<![A-Za-z0-9_])([CVOMEIB])\(([^)]*)\)")


def markdown(text, cell=True):
    """Ansible markup to Markdown, on one line (safe in a table cell, unless cell is false)."""
    def convert(found):
        kind, inner = found.groups()
        if kind == "I":
            return f"*{inner}*"
        if kind == "B":
            return f"**{inner}**"
        return f"`{inner}`"
    text = MARKUP.sub(convert, " ".join(str(text).split()))
    # A pipe ends a cell, also inside a code span, unless escaped (GitHub's table extension).
    # Outside code spans, < would start HTML.
    parts = text.split("`")
    for i in range(0, len(parts), 2):
        parts[i] = parts[i].replace("<", "&lt;")
    text = "`".join(parts)
    return text.replace("|", "\\|") if cell else text


def description(value):
    paragraphs = value if isinstance(value, list) else [value]
    return " ".join(str(p) for p in paragraphs if p)


def code(value):
    """A value as it would be written in YAML, in a code span."""
    if isinstance(value, bool):
        shown = "true" if value else "false"
    elif isinstance(value, str):
        shown = " ".join(value.split()) if value.strip() else '""'
    else:
        shown = yaml.safe_dump(value, default_flow_style=True, width=10**6).strip()
        shown = shown.removesuffix("...").strip()
    # A pipe ends a cell, also inside a code span, unless escaped (GitHub's table extension).
    return "`" + shown.replace("|", "\\|") + "`"


def kind(option):
    name = option.get("type", "str")
    if name == "list" and option.get("elements"):
        name = f"list of {option['elements']}"
    return name


def rows(options, prefix=""):
    """(variable, option) for each option and, below it, each of its sub-options."""
    for name, option in (options or {}).items():
        path = f"{prefix}{name}"
        yield path, option
        nested = "[]." if option.get("type") == "list" else "."
        yield from rows(option.get("options"), f"{path}{nested}")


def entry_points(specs):
    """The entry points once each: Ansible looks `x` and `x.yml` up as written, and the role
    declares both with one anchor."""
    names = [n for n in specs if not (n.endswith(".yml") and n[:-4] in specs)]
    both = all(f"{n}.yml" in specs and specs[f"{n}.yml"] == specs[n] for n in names if n != "main")
    return names, both


def render(role_dir):
    specs = yaml.safe_load((role_dir / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    # Defaults computed from other variables, which a typed option's spec leaves to its description.
    defaults = role_dir / "defaults" / "main.yml"
    values = (yaml.safe_load(defaults.read_text()) if defaults.exists() else None) or {}
    computed = {name for name, value in values.items() if isinstance(value, str) and "{{" in value}
    names, both = entry_points(specs)
    fqcn = f"hapair.loadbalancer.{role_dir.name}"
    out = [BEGIN, "", "## Entry points", ""]
    for name in names:
        call = f"`main` (`roles: [{fqcn}]`, or `include_role` without `tasks_from`)" if name == "main" else f"`tasks_from: {name}`"
        short = specs[name].get("short_description", "").rstrip(".")
        text = markdown(f"{short}. {description(specs[name].get('description', ''))}".strip(), cell=False)
        out.append(f"- {call}: {text}")
    if both and len(names) > 1:
        out += ["", "`tasks_from` takes each name with or without `.yml`; both are declared, so Ansible validates either."]

    # One table of every option; a column says which entry points take it, where they differ.
    taken = {}
    for name in names:
        for variable, option in rows(specs[name].get("options")):
            taken.setdefault((variable, yaml.safe_dump(option, sort_keys=True)), (option, []))[1].append(name)
    every = all(len(takers) == len(names) for _, takers in taken.values())
    out += ["", "## Variables", ""]
    if every and len(names) > 1:
        out += ["Every entry point takes every variable.", ""]
    head = ["variable", "type", "default", "required", "description"] + ([] if every else ["entry points"])
    out += ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for (variable, _), (option, takers) in taken.items():
        text = markdown(description(option.get("description", "")))
        if option.get("choices"):
            text += " Choices: " + ", ".join(code(c) for c in option["choices"]) + "."
        if option.get("no_log"):
            text += " Never logged (`no_log`)."
        shown = code(option["default"]) if "default" in option else "computed (see the description)" if variable in computed else ""
        cells = [f"`{variable}`", kind(option), shown,
                 "yes" if option.get("required") else "no", text]
        if not every:
            cells.append("all" if len(takers) == len(names) else ", ".join(f"`{t}`" for t in takers))
        out.append("| " + " | ".join(cells) + " |")
    out += ["", END]
    return "\n".join(out)


def updated(readme, block):
    """The README with its generated part replaced, or None where it has no markers."""
    text = readme.read_text() if readme.exists() else ""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        return None
    return text[:start] + block + text[end + len(END):]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a README is out of date")
    parser.add_argument("--root", type=Path, default=ROOT, help="the collection's checkout (default: this one)")
    args = parser.parse_args(argv)

    stale, broken = [], []
    for role_dir in sorted(p for p in (args.root / "roles").iterdir() if (p / "meta" / "argument_specs.yml").exists()):
        readme = role_dir / "README.md"
        new = updated(readme, render(role_dir))
        if new is None:
            broken.append(readme.relative_to(args.root))
        elif new != readme.read_text():
            stale.append(readme.relative_to(args.root))
            if not args.check:
                readme.write_text(new)
    for path in broken:
        print(f"{path}: missing, or without the markers {BEGIN!r} and {END!r} on lines of their own; "
              "add them where the tables go", file=sys.stderr)
    if args.check:
        for path in stale:
            print(f"{path} is out of date with meta/argument_specs.yml", file=sys.stderr)
        if stale:
            print("Run python scripts/role-readmes.py (without --check) and commit the READMEs.", file=sys.stderr)
    else:
        for path in stale:
            print(f"rewrote {path}")
    return 1 if broken or (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
