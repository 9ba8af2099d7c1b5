#!/usr/bin/env python3
"""Reads callgrind profiles: call counts, and per-request costs as the difference of two runs.

Usage:
  callgrind_profile.py calls PROFILE FUNCTION...
      how often each named function was called, summed over every call site (callgrind_annotate
      shows costs, not counts); callgrind.sh uses this for allocations per request
  callgrind_profile.py top BIG SMALL REQUESTS [ROWS]
      per request, (BIG - SMALL) / REQUESTS: each function's own instructions, inclusive instructions
      and calls, largest own cost first; names demangled with `swift demangle` when it is on PATH
  callgrind_profile.py edges BIG SMALL REQUESTS REGEX
      per request, the callers and callees of every function whose demangled name matches REGEX,
      with the inclusive instructions and calls along each edge

Inclusive costs of async Swift functions are not a tree: a callee's return resumes its caller's
continuation from inside the callee, so read them as "this much ran under here", and trust own costs.
"""
import collections
import re
import shutil
import subprocess
import sys

# `fn=(12) name` defines id 12; later `fn=(12)` or `cfn=(12)` refers to it. fn and cfn share the table.
NAME = re.compile(r"^(c?fn)=(?:\((\d+)\))?\s*(.*)$")


class Profile:
    """Own cost, inclusive cost of outgoing calls, call counts, and per-edge cost and count."""

    def __init__(self, path):
        self.own = collections.Counter()
        self.called = collections.Counter()
        self.calls = collections.Counter()
        self.edge_cost = collections.Counter()
        self.edge_calls = collections.Counter()
        names = {}
        function = callee = None
        call_pending = False
        with open(path, encoding="utf-8", errors="replace") as profile:
            for line in profile:
                if line.startswith(("fn=", "cfn=")):
                    kind, ident, name = NAME.match(line.rstrip("\n")).groups()
                    if ident is not None:
                        if name:
                            names[ident] = name
                        name = names.get(ident, "")
                    if kind == "fn":
                        function = name
                    else:
                        callee = name
                elif line.startswith("calls="):
                    count = int(line[6:].split()[0])
                    self.calls[callee] += count
                    self.edge_calls[function, callee] += count
                    call_pending = True
                elif line[:1].isdigit() or line[:1] in "+-*":
                    fields = line.split()
                    cost = int(fields[1]) if len(fields) > 1 else 0
                    # The cost line after `calls=` is the call's inclusive cost, not the caller's own.
                    if call_pending:
                        self.called[function] += cost
                        self.edge_cost[function, callee] += cost
                        call_pending = False
                    else:
                        self.own[function] += cost

    def functions(self):
        return set(self.own) | set(self.called) | set(self.calls)


def demangled(names):
    names = list(names)
    if not shutil.which("swift"):
        return dict(zip(names, names))
    result = subprocess.run(["swift", "demangle", "--simplified"], input="\n".join(names),
                            capture_output=True, text=True, check=True).stdout.split("\n")
    return dict(zip(names, result))


def per_request(big, small, requests):
    def diff(counter_name, key):
        return (getattr(big, counter_name)[key] - getattr(small, counter_name)[key]) / requests
    return diff


def top(big_path, small_path, requests, rows=60):
    big, small = Profile(big_path), Profile(small_path)
    diff = per_request(big, small, requests)
    table = [(f, diff("own", f), diff("own", f) + diff("called", f), diff("calls", f))
             for f in big.functions() | small.functions()]
    table.sort(key=lambda row: -row[1])
    table = table[:rows]
    names = demangled(row[0] for row in table)
    print(f"{'own':>9} {'inclusive':>10} {'calls':>7}  function (per request)")
    for function, own, inclusive, calls in table:
        print(f"{own:9.0f} {inclusive:10.0f} {calls:7.2f}  {names[function]}")


def edges(big_path, small_path, requests, pattern):
    big, small = Profile(big_path), Profile(small_path)
    diff = per_request(big, small, requests)
    functions = big.functions() | small.functions()
    names = demangled(functions)
    wanted = re.compile(pattern)
    all_edges = set(big.edge_cost) | set(small.edge_cost)
    for function in sorted(functions, key=lambda f: names[f]):
        if not wanted.search(names[function]):
            continue
        own = diff("own", function)
        calls = diff("calls", function)
        if abs(own) < 1 and abs(calls) < 0.01:
            continue
        print(f"== {names[function]}: own {own:.0f}, inclusive {own + diff('called', function):.0f}, "
              f"{calls:.2f} calls")
        for arrow, side in (("<-", 1), ("->", 0)):
            lines = [(diff("edge_cost", edge), diff("edge_calls", edge), edge[1 - side])
                     for edge in all_edges if edge[side] == function]
            for cost, count, other in sorted(lines, key=lambda line: -line[0]):
                if abs(cost) >= 1 or abs(count) >= 0.01:
                    print(f"  {arrow} {cost:8.0f} {count:7.2f}x  {names.get(other, other)}")


def main():
    args = sys.argv[1:]
    if len(args) >= 3 and args[0] == "calls":
        profile = Profile(args[1])
        for name in args[2:]:
            print(name, profile.calls[name])
    elif len(args) in (4, 5) and args[0] == "top":
        top(args[1], args[2], float(args[3]), *(int(a) for a in args[4:]))
    elif len(args) == 5 and args[0] == "edges":
        edges(args[1], args[2], float(args[3]), args[4])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
