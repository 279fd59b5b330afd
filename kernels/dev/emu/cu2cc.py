#!/usr/bin/env python3
"""cu2cc.py - rewrites a CUDA source (.cu / .cuh) into C++ that g++ compiles
against the host emulator's shim headers (kernels/dev/emu/include):

  NAME<<<CFG>>>(ARGS)  ->  emu_kernel("NAME", emu_cfg(CFG), NAME)(ARGS)
  __launch_bounds__(N) ... {  ->  the same, plus EMU_LAUNCH_BOUNDS(N) as the
                                  body's first statement
  __shared__ T name[n];       ->  a reference to the running block's own,
                                  NaN-filled copy (emu_static_shared)

NAME may be qualified and carry template arguments (k<CELL><<<...>>>).
Comments and string literals are left alone, line numbers are kept (and a
#line directive names the original file), the sources are never edited:

  cu2cc.py SRC OUT
"""
import re
import sys


def code_mask(text):
    """True for each character that is code (not a comment or a literal)."""
    mask = [True] * len(text)
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            j += 1
        else:
            i += 1
            continue
        for k in range(i, min(j, n)):
            mask[k] = False
        i = j
    return mask


def name_start(text, end):
    """Start of the kernel expression that ends just before index end."""
    i = end
    while True:
        while i > 0 and text[i - 1] in " \t":
            i -= 1
        if i > 0 and text[i - 1] == ">":  # template arguments: balanced <>
            depth, i = 0, i - 1
            while i >= 0:
                if text[i] == ">":
                    depth += 1
                elif text[i] == "<":
                    depth -= 1
                    if depth == 0:
                        break
                i -= 1
            if i < 0:
                raise SystemExit("cu2cc: unbalanced template arguments before a launch")
        j = i
        while j > 0 and (text[j - 1].isalnum() or text[j - 1] == "_"):
            j -= 1
        if j == i:
            raise SystemExit("cu2cc: no kernel name before '<<<'")
        i = j
        if text[i - 2:i] == "::":
            i -= 2
            continue
        return i


def rewrite_launches(text):
    mask = code_mask(text)
    out, pos = [], 0
    for m in re.finditer(r"<<<", text):
        s = m.start()
        if not mask[s] or s < pos:
            continue
        e = text.find(">>>", s + 3)
        if e < 0:
            raise SystemExit("cu2cc: '<<<' without '>>>'")
        ns = name_start(text, s)
        name = text[ns:s].strip()
        cfg = text[s + 3:e]
        out.append(text[pos:ns])
        out.append('emu_kernel("%s", emu_cfg(%s), %s)' % (re.sub(r"\s+", "", name), cfg, name))
        pos = e + 3
    out.append(text[pos:])
    return "".join(out)


def add_launch_bounds(text):
    mask = code_mask(text)
    out, pos = [], 0
    for m in re.finditer(r"__launch_bounds__\s*\(", text):
        s = m.start()
        if not mask[s]:
            continue
        # the bound: up to the matching parenthesis
        depth, j = 0, m.end() - 1
        while True:
            if text[j] == "(":
                depth += 1
            elif text[j] == ")":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        bound = text[m.end():j].split(",")[0]
        # the body: the first '{' after the parameter list
        k = text.find("{", j)
        while k >= 0 and not mask[k]:
            k = text.find("{", k + 1)
        if k < 0:
            raise SystemExit("cu2cc: no body after __launch_bounds__")
        out.append(text[pos:k + 1])
        out.append(" EMU_LAUNCH_BOUNDS(%s)" % bound)
        pos = k + 1
    out.append(text[pos:])
    return "".join(out)


def static_shared(text):
    mask = code_mask(text)
    pat = re.compile(r"(?<!extern )__shared__\s+([A-Za-z_][\w\s]*?)\s+(\w+)\s*(\[[^\];]+\])\s*;")

    def sub(m):
        if not mask[m.start()]:
            return m.group(0)
        typ, name, dims = m.group(1), m.group(2), m.group(3)
        return ("static char emu_tag_%s; auto &%s = *emu_static_shared<%s%s>(&emu_tag_%s);"
                % (name, name, typ, dims, name))
    return pat.sub(sub, text)


def main():
    if len(sys.argv) != 3:
        raise SystemExit("usage: cu2cc.py SRC OUT")
    src, dst = sys.argv[1], sys.argv[2]
    with open(src, encoding="utf-8") as f:
        text = f.read()
    text = static_shared(add_launch_bounds(rewrite_launches(text)))
    with open(dst, "w", encoding="utf-8") as f:
        f.write('#line 1 "%s"\n' % src)
        f.write(text)


if __name__ == "__main__":
    main()
