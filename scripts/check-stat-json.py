#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""check.sh's viewer step: the last "goalloc-stat --json" document in a
guest log must parse, hold every size class sorted by bytes in use, and
have a consistent heap. Prints one line on success; fails with an
exception otherwise.

Usage: check-stat-json.py LOG
"""

import json
import sys

# goalloc_sizeclasses.h: Go's 68 classes less class 0 (large objects).
NCLASSES = 67


def main():
    with open(sys.argv[1], errors='replace') as f:
        lines = [line for line in f if line.startswith('{"heap"')]
    doc = json.loads(lines[-1])
    classes = doc['classes']
    assert len(classes) == NCLASSES, len(classes)
    assert all(c['size'] > 0 for c in classes)
    keys = [c['bytes_inuse'] for c in classes]
    assert keys == sorted(keys, reverse=True), 'not sorted by bytes in use'
    assert doc['heap']['HeapSys'] >= doc['heap']['HeapInuse']
    assert isinstance(doc['caches'], list)
    assert all(c['size'] >= c['object_size'] > 0 for c in doc['caches'])
    print('goalloc-stat --json: %d classes, HeapSys %d'
          % (len(classes), doc['heap']['HeapSys']))


if __name__ == '__main__':
    main()
