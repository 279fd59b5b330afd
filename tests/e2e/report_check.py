#!/usr/bin/python3
"""report_check.py - checks a report.html the way tests/e2e/report.sh needs.

  report_check.py [--no-plots-ok] HTML [EXPECTED...]

Fails (exit 1, saying why) unless the page is well formed (every opened tag
closed in order, one html/head/body, unique ids), self-contained (no script,
link, img, iframe, object or embed element; no src/srcset/action attribute;
href only to "#fragments"; no "http", "@import" or "url(" anywhere in the
file), every inline SVG has a viewBox and no NaN/inf coordinates, and each
EXPECTED string occurs in the raw HTML.  At least one plot is required
unless --no-plots-ok.  Standard library only.
"""
import re
import sys
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
        "source", "track", "wbr"}
FORBIDDEN_TAGS = {"script", "link", "img", "iframe", "object", "embed", "audio", "video",
                  "source", "base", "form", "frame", "frameset", "applet", "image", "use"}
FORBIDDEN_ATTRS = {"src", "srcset", "action", "formaction", "xlink:href", "background",
                   "poster", "data"}
BAD_NUMBER = re.compile(r"(?<![a-z])(nan|inf)(?![a-z])", re.I)
NUMERIC_ATTRS = {"x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "r", "width", "height",
                 "points", "d", "transform", "viewbox"}


class Checker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.counts, self.ids = [], [], {}, set()
        self.in_style = False

    def err(self, msg):
        line, col = self.getpos()
        self.errors.append("line %d: %s" % (line, msg))

    def attrs_ok(self, tag, attrs):
        for name, value in attrs:
            value = value or ""
            if name in FORBIDDEN_ATTRS:
                self.err("<%s> has a %s attribute" % (tag, name))
            if name == "href" and not value.startswith("#"):
                self.err("<%s href=%r> points outside the page" % (tag, value))
            if name == "style" and re.search(r"url\(|@import|expression", value, re.I):
                self.err("<%s style=%r> loads something" % (tag, value))
            if name.startswith("on"):
                self.err("<%s> has an event handler %s" % (tag, name))
            if name == "id":
                if value in self.ids:
                    self.err("duplicate id %r" % value)
                self.ids.add(value)
            if name in NUMERIC_ATTRS and BAD_NUMBER.search(value):
                self.err("<%s %s=%r> is not a number" % (tag, name, value))

    def handle_starttag(self, tag, attrs):
        in_svg = any(t == "svg" for t, _ in self.stack)
        key = "svg " + tag if in_svg and tag != "svg" else tag
        self.counts[key] = self.counts.get(key, 0) + 1
        if tag in FORBIDDEN_TAGS:
            self.err("forbidden element <%s>" % tag)
        if tag == "svg" and "viewbox" not in dict(attrs):
            self.err("<svg> without viewBox")
        self.attrs_ok(tag, attrs)
        if tag == "style":
            self.in_style = True
        if tag not in VOID:
            self.stack.append((tag, self.getpos()[0]))

    def handle_startendtag(self, tag, attrs):
        self.counts[tag] = self.counts.get(tag, 0) + 1
        if tag in FORBIDDEN_TAGS:
            self.err("forbidden element <%s>" % tag)
        self.attrs_ok(tag, attrs)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if tag == "style":
            self.in_style = False
        if not self.stack:
            self.err("</%s> closes nothing" % tag)
        elif self.stack[-1][0] != tag:
            self.err("</%s> closes <%s> opened on line %d" % (tag, *self.stack[-1]))
        else:
            self.stack.pop()

    def handle_data(self, data):
        if self.in_style and re.search(r"url\(|@import", data, re.I):
            self.err("<style> loads something")


def main():
    args = sys.argv[1:]
    plots_needed = not (args and args[0] == "--no-plots-ok")
    if not plots_needed:
        args = args[1:]
    if not args:
        print(__doc__)
        return 2
    path, expected = args[0], args[1:]
    raw = open(path, encoding="utf-8").read()
    c = Checker()
    c.feed(raw)
    c.close()
    errors = c.errors
    for tag, line in c.stack:
        errors.append("<%s> opened on line %d is never closed" % (tag, line))
    for tag in ("html", "head", "body", "title", "style"):
        if c.counts.get(tag, 0) != 1:
            errors.append("%d <%s> elements, want 1" % (c.counts.get(tag, 0), tag))
    if not raw.lstrip().lower().startswith("<!doctype html>"):
        errors.append("no <!DOCTYPE html> at the start")
    if '<meta charset="utf-8">' not in raw:
        errors.append("no <meta charset=\"utf-8\">")
    for pat in ("http", "<script", "@import", "url("):
        if pat.lower() in raw.lower():
            i = raw.lower().index(pat.lower())
            errors.append("external reference %r: ...%s..." % (pat, raw[max(0, i - 60):i + 40]))
    for want in expected:
        if want not in raw:
            errors.append("expected text not found: %r" % want)
    if plots_needed and c.counts.get("svg", 0) == 0:
        errors.append("no inline <svg> plot at all")
    for e in errors:
        print("report_check: %s: %s" % (path, e))
    if not errors:
        print("report_check: %s: ok (%d elements, %d svg)" % (path,
              sum(c.counts.values()), c.counts.get("svg", 0)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
