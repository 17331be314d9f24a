#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Count the KUnit cases of the modules a guest loaded (scripts/lib.sh's
ktap_report).

Usage: ktap-count.py LOG KTAP_OUT

The kernel prints an empty KTAP plan at boot ("KTAP version 1", "1..0")
and kunit.py parse stops there, so only what follows the guest's
@@GOALLOC-BOOTED line is read. Each test module prints its suites without
a top-level header, numbered on from the last loaded module, with other
printk lines in between. This rebuilds one KTAP document from the suites
alone (KTAP_OUT), renumbered and under a "1..N" plan, and prints one line:
  KUNIT passed=P failed=F skipped=S suites=N
followed by one "  failed: SUITE.CASE (why)" line per failure.

Counting: one count per test CASE. A parameterised case counts once,
failed if any of its parameters failed (as KUnit itself reports it); its
parameters are shown by kunit.py, not counted. A suite whose plan says N
cases but that printed fewer results (the guest crashed or hung mid-suite)
counts every missing case as failed; a suite that failed to initialise
counts as one failed case. A suite name seen twice is counted once (the
second copy is /sys/kernel/debug/kunit/SUITE/results read by a guest
command).
"""

import re
import sys

TIMESTAMP = re.compile(r'^\[\s*\d+\.\d+\] ')
# Other printk lines start at column 0 and may fall anywhere, even between
# "KTAP version 1" and "# Subtest:" (a late "input: ..." probe line does);
# KTAP lines are indented or start with ok, not ok, # or KTAP.
KTAP_LINE = re.compile(r'^(\s|ok |not ok |# |KTAP version |1\.\.)')
CASE = re.compile(r'^    (not ok|ok) (\d+) (\S+)(.*)$')
SUITE_END = re.compile(r'^(not ok|ok) (\d+) (\S+)(.*)$')
SUITE_PLAN = re.compile(r'^    1\.\.\d+$')
SUITE_BODY = re.compile(r'^ {8}((not )?ok \d+ |KTAP version |# |1\.\.\d+$)')
COMMENT = re.compile(r'^ {0,4}# ')
SUBTEST = '    # Subtest: '


def ktap_lines(log):
    """The KTAP lines the guest printed after booting, without timestamps."""
    with open(log, errors='replace') as f:
        lines = [TIMESTAMP.sub('', line.rstrip('\r\n')) for line in f]
    for i, line in enumerate(lines):
        if '@@GOALLOC-BOOTED' in line:
            return [x for x in lines[i + 1:] if KTAP_LINE.match(x)]
    return []


def new_suite(name, body, **extra):
    return dict(name=name, plan=None, body=body, cases={}, end=None, **extra)


def split_suites(lines):
    """Suites: dicts of name, plan, body (lines), cases {num: (name, status)}
    and end (the suite's result line), in the order printed."""
    suites = []
    cur = None
    i = 0
    while i < len(lines):
        line = lines[i]
        if line == '    KTAP version 1' and i + 1 < len(lines) and \
                lines[i + 1].startswith(SUBTEST):
            if cur:
                suites.append(cur)
            cur = new_suite(lines[i + 1][len(SUBTEST):].strip(),
                            [line, lines[i + 1]])
            i += 2
            continue
        m = SUITE_END.match(line)
        if m:
            if cur is None or cur['name'] != m.group(3):
                if cur:
                    suites.append(cur)
                # A suite that failed to initialise prints only its end line.
                cur = new_suite(m.group(3), [], noinit=True)
            cur['end'] = (m.group(1), m.group(4))
            suites.append(cur)
            cur = None
        elif cur is not None:
            m = CASE.match(line)
            if m:
                st = 'fail' if m.group(1) == 'not ok' else \
                     'skip' if '# SKIP' in m.group(4) else 'pass'
                cur['cases'][int(m.group(2))] = (m.group(3), st)
                cur['body'].append(line)
            elif SUITE_PLAN.match(line) and cur['plan'] is None:
                cur['plan'] = int(line.split('..')[1])
                cur['body'].append(line)
            elif SUITE_BODY.match(line) or COMMENT.match(line):
                cur['body'].append(line)
        i += 1
    if cur:
        suites.append(cur)
    # Suite names are unique (debugfs uses them): a second copy is a guest
    # command printing /sys/kernel/debug/kunit/*/results, not a new run.
    seen = set()
    return [s for s in suites if not (s['name'] in seen or seen.add(s['name']))]


def main():
    log, ktap_out = sys.argv[1], sys.argv[2]
    suites = split_suites(ktap_lines(log))
    passed = failed = skipped = 0
    fails = []
    doc = ['KTAP version 1', '1..%d' % len(suites)]
    for n, s in enumerate(suites, 1):
        doc += s['body']
        if s.get('noinit'):
            failed += 1
            fails.append('%s (suite failed to initialise)' % s['name'])
        for num in sorted(s['cases']):
            name, st = s['cases'][num]
            if st == 'pass':
                passed += 1
            elif st == 'skip':
                skipped += 1
            else:
                failed += 1
                fails.append('%s.%s' % (s['name'], name))
        plan = s['plan'] if s['plan'] is not None else len(s['cases'])
        missing = plan - len(s['cases'])
        if missing > 0:
            failed += missing
            fails.append('%s: %d of %d cases never reported (crash or hang)'
                         % (s['name'], missing, plan))
        if s['end'] is None:
            if missing <= 0 and not s.get('noinit'):
                failed += 1
                fails.append('%s: no suite result line (crash or hang)'
                             % s['name'])
        else:
            doc.append('%s %d %s%s' % (s['end'][0], n, s['name'], s['end'][1]))
    with open(ktap_out, 'w') as f:
        f.write('\n'.join(doc) + '\n')
    print('KUNIT passed=%d failed=%d skipped=%d suites=%d'
          % (passed, failed, skipped, len(suites)))
    for x in fails:
        print('  failed: ' + x)


if __name__ == '__main__':
    main()
